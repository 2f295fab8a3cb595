<#
.SYNOPSIS
Win32 app detection script: whether this package's version of the NymiDiag
module is installed.

.DESCRIPTION
Intune's rule for a custom detection script: the app is detected when the
script exits 0 and writes something to stdout; exit 0 with nothing on
stdout means "not detected", and anything on stderr or another exit code
means the check failed. So this script prints one line and exits 0 only
when <ModuleRoot>\NymiDiag\<version>\ holds NymiDiag.psd1 (saying that
ModuleVersion), NymiDiag.psm1 and the native library for this process's
runtime (bin\win-x64\nymidiag.dll in a 64-bit Windows PowerShell); in
every other case it prints nothing and exits 0. It never writes to stderr
and changes nothing.

The version is stamped in by build.ps1 -Task Package; the copy in the
source tree, not stamped, detects nothing.

.PARAMETER ModuleRoot
Module folder to look in. Default:
%ProgramFiles%\WindowsPowerShell\Modules (the 64-bit Program Files also
from a 32-bit process). Intune passes no parameters; the tests do.

.EXAMPLE
powershell.exe -NoProfile -ExecutionPolicy Bypass -File .\Test-NymiDiagInstalled.ps1

Prints "NymiDiag 0.1.0 installed in C:\Program Files\WindowsPowerShell\Modules\NymiDiag\0.1.0 (win-x64)"
when the module is there.
#>
[CmdletBinding()]
param(
    [string] $ModuleRoot = ''
)

Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'
$NymiPackageVersion = '' # stamped by build.ps1 -Task Package

# region install helpers
. ([System.IO.Path]::Combine($PSScriptRoot, 'InstallHelpers.ps1'))
# endregion install helpers

# region runtime id
. ([System.IO.Path]::Combine($PSScriptRoot, '..', 'NymiDiag', 'Private', 'RuntimeId.ps1'))
# endregion runtime id

$found = ''
try {
    $root = $ModuleRoot
    if (-not $root) { $root = GetNymiInstallDefault -Kind 'ModuleRoot' }
    if ($NymiPackageVersion -and $root) {
        $folder = [System.IO.Path]::Combine($root, 'NymiDiag', $NymiPackageVersion)
        $rid = GetNymiRuntimeId
        $library = [System.IO.Path]::Combine($folder, 'bin', $rid, (GetNymiLibraryName -RuntimeId $rid))
        $manifest = [System.IO.Path]::Combine($folder, 'NymiDiag.psd1')
        if ([System.IO.File]::Exists($manifest) -and [System.IO.File]::Exists([System.IO.Path]::Combine($folder, 'NymiDiag.psm1')) -and
            [System.IO.File]::Exists($library)) {
            $stated = [regex]::Match([System.IO.File]::ReadAllText($manifest), "(?m)^\s*ModuleVersion\s*=\s*'([^']+)'")
            if ($stated.Success -and $stated.Groups[1].Value -eq $NymiPackageVersion) {
                $found = "NymiDiag $NymiPackageVersion installed in $folder ($rid)"
            }
        }
    }
}
catch {
    # Whatever went wrong, the module is not usable as installed: "not
    # detected", which makes Intune install it again.
    $found = ''
}
if ($found) { Write-Output $found }
exit 0
