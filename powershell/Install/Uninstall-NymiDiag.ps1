<#
.SYNOPSIS
Win32 app uninstall script: removes the NymiDiag module this package
installed.

.DESCRIPTION
Run from the Win32 app folder (beside NymiDiag\<version>\). It removes
<ModuleRoot>\NymiDiag\<version>\ of this package's version (every version
with -AllVersions) and the NymiDiag folder when nothing else is left in it.
The configuration file and the reports stay unless -RemoveData is given;
the event source stays unless -RemoveEventSource is given (other versions
or the host scripts may still write to it).

Nothing installed is not an error: the script says so and exits 0. Each
action is appended to -LogPath as one line with the UTC time; one summary
line goes to stdout, nothing to stderr:

  NymiDiag uninstall: result=changed version=0.1.0 module=removed event_source=kept data=kept exit=0

Exit codes: 0 success (also when nothing was installed), 1603 fatal error
(the reason is in the log and the summary line), 1618 the module folder is
in use (a PowerShell session holds its library); Intune retries later.

.PARAMETER ModuleRoot
Module folder the module was installed into. Default:
%ProgramFiles%\WindowsPowerShell\Modules (the 64-bit Program Files also
from a 32-bit process). Required where %ProgramFiles% is not defined.

.PARAMETER ConfigPath
The configuration file, removed with -RemoveData. Default:
$env:NYMIDIAG_CONFIG when set, else %ProgramData%\NymiDiag\config.json.

.PARAMETER ReportFolder
Folder of the reports removed with -RemoveData. Default: the ReportFolder
in the configuration file, else %ProgramData%\NymiDiag.

.PARAMETER LogPath
Log file, appended (and kept, also with -RemoveData). Default:
%ProgramData%\NymiDiag\install.log. Required where %ProgramData% is not
defined.

.PARAMETER EventSource
Event source removed with -RemoveEventSource. Default 'NymiDiag'.

.PARAMETER AllVersions
Remove every installed version of NymiDiag, not only this package's.

.PARAMETER RemoveEventSource
Also unregister the event source.

.PARAMETER RemoveData
Also remove the configuration file and the reports (diagnosis-*.json,
remediation-*.json, startup-*.json), and their folders when empty.

.PARAMETER UnknownArgument
Collects arguments that match no parameter, so that a mistyped one ends as
a logged 1603 rather than an error on stderr. Not for use.

.EXAMPLE
powershell.exe -NoProfile -ExecutionPolicy Bypass -File .\Uninstall-NymiDiag.ps1

The Win32 app uninstall command: removes this package's version, keeps the
configuration, the reports and the event source.

.EXAMPLE
powershell.exe -NoProfile -ExecutionPolicy Bypass -File .\Uninstall-NymiDiag.ps1 -AllVersions -RemoveEventSource -RemoveData

Removes every trace but the install log.
#>
# No positional parameters: a stray word on the command line is reported,
# not taken for -ModuleRoot.
[CmdletBinding(PositionalBinding = $false)]
param(
    [string] $ModuleRoot = '',
    [string] $ConfigPath = '',
    [string] $ReportFolder = '',
    [string] $LogPath = '',
    [string] $EventSource = 'NymiDiag',
    [switch] $AllVersions,
    [switch] $RemoveEventSource,
    [switch] $RemoveData,
    [Parameter(ValueFromRemainingArguments = $true)]
    [object[]] $UnknownArgument
)

Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$script:NymiInstallAction = 'uninstall'
$script:NymiInstallLogPath = ''
$script:NymiInstallLogProblem = ''

# region install helpers
. ([System.IO.Path]::Combine($PSScriptRoot, 'InstallHelpers.ps1'))
# endregion install helpers

function RemoveNymiModuleVersion {
    # Removes the version folders (this package's, or every one with
    # -AllVersions), each moved aside first so that a half-deleted folder
    # never looks like a module; returns 'removed' or 'absent'.
    param([Parameter(Mandatory = $true)][string] $Root, [string] $Version, [switch] $All)
    $parent = [System.IO.Path]::Combine($Root, 'NymiDiag')
    if (-not [System.IO.Directory]::Exists($parent)) {
        WriteNymiInstallLog "no module installed: $parent does not exist"
        return 'absent'
    }
    foreach ($stale in @(RemoveNymiStaleStaging -Parent $parent)) { WriteNymiInstallLog "removed $stale, left by an interrupted run, from $parent" }
    $targets = @(foreach ($folder in [System.IO.Directory]::GetDirectories($parent)) {
            $name = [System.IO.Path]::GetFileName($folder)
            $parsed = $null
            # Only module version folders (a version name holding the
            # manifest): anything else in the folder is not ours to remove.
            if (-not [System.Version]::TryParse($name, [ref]$parsed)) { continue }
            if (-not [System.IO.File]::Exists([System.IO.Path]::Combine($folder, 'NymiDiag.psd1'))) { continue }
            if ($All -or $name -eq $Version) { $folder }
        })
    if ($targets.Count -eq 0) {
        $which = 'no version'
        if (-not $All) { $which = "version $Version not" }
        WriteNymiInstallLog "no module removed: $which installed in $parent"
        return 'absent'
    }
    foreach ($folder in $targets) {
        $name = [System.IO.Path]::GetFileName($folder)
        $aside = [System.IO.Path]::Combine($parent, (GetNymiStagingName -Version $name -Kind 'old'))
        try { [System.IO.Directory]::Move($folder, $aside) }
        catch {
            if (TestNymiInUseError -Exception $_.Exception) { $script:NymiInstallExit = 1618 }
            throw "$folder could not be moved aside (in use?): $($_.Exception.Message)"
        }
        [System.IO.Directory]::Delete($aside, $true)
        WriteNymiInstallLog "removed module $name from $folder"
    }
    if ([System.IO.Directory]::GetFileSystemEntries($parent).Count -eq 0) {
        [System.IO.Directory]::Delete($parent)
        WriteNymiInstallLog "removed the empty folder $parent"
    }
    'removed'
}

function UnregisterNymiEventSource {
    # Returns 'removed', 'absent', 'kept' (not asked) or 'skipped'.
    param([string] $Source, [switch] $Remove)
    if (-not $Remove) { return 'kept' }
    if (-not $Source) {
        WriteNymiInstallLog 'event source: skipped, -EventSource is empty'
        return 'skipped'
    }
    if ([System.Environment]::OSVersion.Platform -ne [System.PlatformID]::Win32NT) {
        WriteNymiInstallLog "event source $($Source): skipped, event logs exist only on Windows"
        return 'skipped'
    }
    if ((GetNymiEventSourceState -Source $Source) -eq 'absent') {
        WriteNymiInstallLog "event source $Source not registered"
        return 'absent'
    }
    [System.Diagnostics.EventLog]::DeleteEventSource($Source)
    WriteNymiInstallLog "unregistered event source $Source"
    'removed'
}

function GetNymiConfiguredReportFolder {
    # The ReportFolder the configuration file names, or ''.
    param([string] $Path)
    if (-not $Path -or -not [System.IO.File]::Exists($Path)) { return '' }
    try {
        $config = [System.IO.File]::ReadAllText($Path) | ConvertFrom-Json
        if ($config.PSObject.Properties['ReportFolder'] -and $config.ReportFolder) { return [string]$config.ReportFolder }
    }
    catch { WriteNymiInstallLog "configuration file $Path not read for its ReportFolder: $($_.Exception.Message)" }
    ''
}

function RemoveNymiData {
    # Removes the configuration file and the reports, then their folders
    # when empty; returns 'removed', 'absent' or 'kept' (not asked).
    param([string] $Config, [string] $Reports, [switch] $Remove)
    if (-not $Remove) { return 'kept' }
    $removed = 0
    if ($Config -and [System.IO.File]::Exists($Config)) {
        [System.IO.File]::Delete($Config)
        WriteNymiInstallLog "removed configuration file $Config"
        $removed++
    }
    if ($Reports -and [System.IO.Directory]::Exists($Reports)) {
        $count = 0
        foreach ($pattern in 'diagnosis-*.json', 'remediation-*.json', 'startup-*.json') {
            foreach ($file in [System.IO.Directory]::GetFiles($Reports, $pattern)) {
                [System.IO.File]::Delete($file)
                $count++
            }
        }
        if ($count -gt 0) { WriteNymiInstallLog "removed $count reports from $Reports"; $removed += $count }
    }
    foreach ($folder in @($Reports, $(if ($Config) { [System.IO.Path]::GetDirectoryName($Config) })) | Select-Object -Unique) {
        if ($folder -and [System.IO.Directory]::Exists($folder) -and [System.IO.Directory]::GetFileSystemEntries($folder).Count -eq 0) {
            [System.IO.Directory]::Delete($folder)
            WriteNymiInstallLog "removed the empty folder $folder"
        }
    }
    if ($removed -eq 0) {
        WriteNymiInstallLog 'no configuration file or reports to remove'
        return 'absent'
    }
    'removed'
}

$script:NymiInstallExit = 0
$version = ''
$parts = New-Object System.Collections.Generic.List[string]
$result = 'unchanged'
$detail = ''
try {
    $script:NymiInstallLogPath = ResolveNymiInstallPath -Value $LogPath -Kind 'Log' -Parameter 'LogPath'
    WriteNymiInstallLog "start: $($MyInvocation.MyCommand.Path) $((@($PSBoundParameters.Keys | Where-Object { $_ -ne 'UnknownArgument' }) | ForEach-Object { '-' + $_ }) -join ' ')"
    if ($UnknownArgument -and @($UnknownArgument).Count -gt 0) { throw "unknown arguments: $(@($UnknownArgument) -join ' ')" }
    if (-not $AllVersions) { $version = (GetNymiPackagedModule -Folder $PSScriptRoot).Version }
    $root = ResolveNymiInstallPath -Value $ModuleRoot -Kind 'ModuleRoot' -Parameter 'ModuleRoot'
    $config = ''
    $reports = ''
    if ($RemoveData) {
        $config = ResolveNymiInstallPath -Value $ConfigPath -Kind 'Config' -Parameter 'ConfigPath'
        $reports = $ReportFolder
        if (-not $reports) { $reports = GetNymiConfiguredReportFolder -Path $config }
        $reports = ResolveNymiInstallPath -Value $reports -Kind 'Reports' -Parameter 'ReportFolder'
    }

    $module = RemoveNymiModuleVersion -Root $root -Version $version -All:$AllVersions
    $parts.Add("module=$module")
    $eventState = UnregisterNymiEventSource -Source $EventSource -Remove:$RemoveEventSource
    $parts.Add("event_source=$eventState")
    $data = RemoveNymiData -Config $config -Reports $reports -Remove:$RemoveData
    $parts.Add("data=$data")
    if ($module -eq 'removed' -or $eventState -eq 'removed' -or $data -eq 'removed') { $result = 'changed' }
    else { WriteNymiInstallLog 'nothing to remove' }
    WriteNymiInstallLog "done: $result"
}
catch {
    $result = 'failed'
    if ($script:NymiInstallExit -eq 0) { $script:NymiInstallExit = 1603 }
    $detail = ($_.Exception.Message -replace '\s+', ' ').Trim()
    WriteNymiInstallLog "failed (exit $($script:NymiInstallExit)): $detail"
}
$summary = "NymiDiag uninstall: result=$result"
if ($version) { $summary += " version=$version" }
if ($parts.Count -gt 0) { $summary += ' ' + ($parts -join ' ') }
$summary += " exit=$($script:NymiInstallExit)"
if ($result -eq 'unchanged') { $summary += ' detail="nothing installed"' }
if ($script:NymiInstallLogProblem) { $summary += " log_not_written=`"$(($script:NymiInstallLogProblem -replace '\s+', ' ').Trim())`"" }
if ($detail) { $summary += " detail=`"$detail`"" }
Write-Output $summary
exit $script:NymiInstallExit
