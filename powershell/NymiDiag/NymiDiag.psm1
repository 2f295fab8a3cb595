# NymiDiag: diagnoses why a Windows terminal cannot get its NEA certificates
# from the Nymi Enterprise Server. The analysis runs in the native library
# (bin/<rid>/); this module loads it, turns its JSON reports into objects
# and adds what only Windows APIs know.

# Under WDAC or AppLocker, a module the policy does not trust runs in
# Constrained Language Mode, which refuses what this module is made of:
# loading the native library and the shim, calling .NET methods. Checked
# first, before anything that mode refuses, so that the import stops with
# this one error and not with a cascade from deeper files. The packaged psm1
# keeps this block (only the sources region is replaced), and nothing in the
# module may use the class or enum keywords: they fail at parse time in that
# mode, before any check could run.
if ($ExecutionContext.SessionState.LanguageMode -ne 'FullLanguage') {
    throw ('NymiDiag cannot load in {0} mode: the module loads a native library and .NET types, ' +
        'which Constrained Language Mode allows only for trusted code. Sign the module with a certificate ' +
        'your WDAC/AppLocker policy trusts (build.ps1 -Task Sign), or allow its folder; see the README section ' +
        '"WDAC, AppLocker and Constrained Language Mode".') -f $ExecutionContext.SessionState.LanguageMode
}

Set-StrictMode -Version 3.0

# The C ABI version this module was written for (NYMIDIAG_ABI_VERSION in
# include/nymidiag.h).
$script:NymiAbiVersion = [uint32]1

# region sources
# In the source layout the functions are dot-sourced from Private/ and
# Public/. build.ps1 -Task Package replaces this region with the text of
# those files and the module version stamped in, so that the packaged
# module is one file to parse and reads nothing else at import.
#
# The module's version is not known yet while the psm1 runs (it is set
# after the root module has run), so it is read from the manifest text
# here; Import-PowerShellDataFile would cost most of a second by loading
# Microsoft.PowerShell.Utility first.
$script:NymiModuleVersion = '0.0.0'
$declared = [regex]::Match([System.IO.File]::ReadAllText((Join-Path $PSScriptRoot 'NymiDiag.psd1')), '(?m)^\s*ModuleVersion\s*=\s*''([0-9.]+)''')
if ($declared.Success) { $script:NymiModuleVersion = $declared.Groups[1].Value }
foreach ($folder in 'Private', 'Public') {
    # Ordinal order, as the package concatenates them.
    $files = [System.IO.Directory]::GetFiles((Join-Path $PSScriptRoot $folder), '*.ps1')
    [System.Array]::Sort($files, [System.StringComparer]::Ordinal)
    foreach ($file in $files) { . $file }
}
# endregion sources

# Fails the import with one actionable line when the library is missing,
# built for another architecture, or of another ABI version.
$script:NymiNative = ImportNymiNative -ModuleRoot $PSScriptRoot -ExpectedAbiVersion $script:NymiAbiVersion

$script:NymiCaller = 'NymiDiag {0}; PowerShell {1} {2}; {3}-bit' -f $script:NymiModuleVersion, $PSVersionTable.PSVersion, $PSVersionTable.PSEdition, ([IntPtr]::Size * 8)

# The manifest's FunctionsToExport is the one list of public commands;
# every public function, and only those, has a dash in its name.
Export-ModuleMember -Function '*-*'
