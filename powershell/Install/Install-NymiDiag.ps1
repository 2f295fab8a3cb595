<#
.SYNOPSIS
Win32 app install script: puts the NymiDiag module on this machine, writes
its configuration file and registers its event source.

.DESCRIPTION
Run from the Win32 app folder that build.ps1 -Task Package writes
(out/win32app/: this script, Uninstall-NymiDiag.ps1,
Test-NymiDiagInstalled.ps1 and NymiDiag\<version>\). It

1. copies NymiDiag\<version>\ into -ModuleRoot (a newer version beside an
   older one stays beside it; the same version with other content is
   replaced at once: copied to a folder beside it, then renamed into place);
2. writes the configuration file -ConfigPath from the configuration
   parameters given (only those; with none it leaves an existing file as
   it is);
3. registers the event source -EventSource in the Application log
   (Windows only).

Running it again with the same inputs changes nothing and says so. Each
action is appended to -LogPath as one line with the UTC time; one summary
line goes to stdout, nothing to stderr:

  NymiDiag install: result=changed version=0.1.0 module=installed config=written event_source=registered exit=0

Exit codes (the Win32 app's defaults):
  0     success, also when nothing needed changing
  1603  fatal error: a parameter out of range, a folder that cannot be
        written, not run as administrator; the reason is in the log and
        in the summary line
  1618  the installed module folder of this version is in use (a
        PowerShell session holds its library); Intune retries later

The configuration parameters are checked here, not by PowerShell's
parameter binding, so that a wrong value ends as a logged 1603 and not as
an error on stderr; an unknown parameter ends the same way.

.PARAMETER ModuleRoot
Module folder to install into. Default:
%ProgramFiles%\WindowsPowerShell\Modules, the all-users folder both
Windows PowerShell 5.1 and PowerShell 7 read, in the 64-bit Program Files
also from a 32-bit process. Required where %ProgramFiles% is not defined
(systems other than Windows). Must exist.

.PARAMETER ConfigPath
The configuration file. Default: $env:NYMIDIAG_CONFIG when set, else
%ProgramData%\NymiDiag\config.json.

.PARAMETER LogPath
Log file, appended. Default: %ProgramData%\NymiDiag\install.log. Required
where %ProgramData% is not defined.

.PARAMETER EventSource
Event source to register in the Application log. Default 'NymiDiag'; ''
registers none.

.PARAMETER NesUri
Configuration NesUri: the NES URL (http or https) or a bare host name; ''
means "from the logs".

.PARAMETER Site
Configuration Site: free text up to 64 characters the fleet view groups by.

.PARAMETER ExpectedLocal
Configuration ExpectedLocal: an integer from 0 to 100.

.PARAMETER ExpectedNes
Configuration ExpectedNes: an integer from 0 to 100.

.PARAMETER TimeoutSec
Configuration TimeoutSec: an integer from 1 to 300.

.PARAMETER TrustedRootPath
Configuration TrustedRootPath: a PEM or DER file of CA certificates, or ''.

.PARAMETER ReportFolder
Configuration ReportFolder: the folder of the JSON reports.

.PARAMETER FailOnError
Configuration FailOnError: -FailOnError writes true, -FailOnError:$false
writes false.

.PARAMETER UnknownArgument
Collects arguments that match no parameter, so that a mistyped one ends as
a logged 1603 rather than an error on stderr. Not for use.

.EXAMPLE
powershell.exe -NoProfile -ExecutionPolicy Bypass -File .\Install-NymiDiag.ps1 -NesUri https://nes.corp.example/nes -Site Ward-3

The Win32 app install command: module, configuration with NesUri and Site,
event source.

.EXAMPLE
pwsh -File ./Install-NymiDiag.ps1 -ModuleRoot /tmp/modules -ConfigPath /tmp/nymidiag/config.json -LogPath /tmp/nymidiag/install.log -TimeoutSec 30

Elsewhere than Windows every path is given; the event source is skipped.
#>
# No positional parameters: a stray word on the command line is reported,
# not taken for -ModuleRoot.
[CmdletBinding(PositionalBinding = $false)]
param(
    [string] $ModuleRoot = '',
    [string] $ConfigPath = '',
    [string] $LogPath = '',
    [string] $EventSource = 'NymiDiag',
    [string] $NesUri,
    [string] $Site,
    [string] $ExpectedLocal,
    [string] $ExpectedNes,
    [string] $TimeoutSec,
    [string] $TrustedRootPath,
    [string] $ReportFolder,
    [switch] $FailOnError,
    [Parameter(ValueFromRemainingArguments = $true)]
    [object[]] $UnknownArgument
)

Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$script:NymiInstallAction = 'install'
$script:NymiInstallLogPath = ''
$script:NymiInstallLogProblem = ''

# region install helpers
. ([System.IO.Path]::Combine($PSScriptRoot, 'InstallHelpers.ps1'))
# endregion install helpers

function ConvertToNymiJsonString {
    # A JSON string literal; the same bytes in every PowerShell edition
    # (ConvertTo-Json escapes differently in 5.1 and 7). Characters
    # outside ASCII are escaped too, so the file reads the same whatever
    # encoding a reader assumes (Windows PowerShell 5.1 reads a file
    # without a byte order mark in the ANSI code page).
    param([AllowEmptyString()][string] $Value)
    $escaped = [regex]::Replace($Value, '[\\"\x00-\x1F\u007F-\uFFFF]', {
            param($m)
            switch ($m.Value) {
                '\' { '\\' }
                '"' { '\"' }
                "`n" { '\n' }
                "`r" { '\r' }
                "`t" { '\t' }
                default { '\u{0:x4}' -f [int][char]$m.Value }
            }
        })
    '"' + $escaped + '"'
}

function GetNymiConfigSetting {
    # The configuration parameters given, checked and typed, in the order
    # of the configuration table; throws naming the first wrong one.
    param([Parameter(Mandatory = $true)] $Bound)
    $settings = New-Object System.Collections.Specialized.OrderedDictionary
    foreach ($name in 'NesUri', 'ExpectedLocal', 'ExpectedNes', 'TimeoutSec', 'TrustedRootPath', 'ReportFolder', 'Site', 'FailOnError') {
        if (-not $Bound.ContainsKey($name)) { continue }
        $value = $Bound[$name]
        switch ($name) {
            'NesUri' {
                $text = [string]$value
                if ($text) {
                    $uri = $null
                    $isUrl = [System.Uri]::TryCreate($text, [System.UriKind]::Absolute, [ref]$uri) -and
                    ($uri.Scheme -eq 'http' -or $uri.Scheme -eq 'https') -and $uri.Host
                    $isHost = $text.Length -le 253 -and $text -match '^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$'
                    if (-not $isUrl -and -not $isHost) { throw "-NesUri '$text' is neither an http(s) URL nor a bare host name." }
                }
                $settings[$name] = $text
            }
            'Site' {
                $text = [string]$value
                if ($text.Length -gt 64) { throw "-Site is $($text.Length) characters long; at most 64." }
                if ($text -match '[\x00-\x1F]') { throw '-Site holds a control character.' }
                $settings[$name] = $text
            }
            { 'ExpectedLocal', 'ExpectedNes', 'TimeoutSec' -contains $_ } {
                $low = 0
                if ($name -eq 'TimeoutSec') { $low = 1 }
                $high = 100
                if ($name -eq 'TimeoutSec') { $high = 300 }
                $text = ([string]$value).Trim()
                $number = 0
                if ($text -notmatch '^[0-9]{1,9}$' -or -not [int]::TryParse($text, [ref]$number) -or $number -lt $low -or $number -gt $high) {
                    throw "-$name '$value' is not an integer from $low to $high."
                }
                $settings[$name] = $number
            }
            { 'TrustedRootPath', 'ReportFolder' -contains $_ } {
                $text = [string]$value
                if ($name -eq 'ReportFolder' -and -not $text) { throw '-ReportFolder is empty.' }
                if ($text -match '[\x00-\x1F"<>|]') { throw "-$name '$text' is not a valid path." }
                $settings[$name] = $text
            }
            'FailOnError' { $settings[$name] = [bool]$value }
        }
    }
    $settings
}

function ConvertToNymiConfigJson {
    # The configuration file's text: one JSON object, the keys in table
    # order, integers and booleans unquoted.
    param([Parameter(Mandatory = $true)] $Settings)
    $lines = foreach ($key in $Settings.Keys) {
        $value = $Settings[$key]
        if ($value -is [bool]) { $json = 'false'; if ($value) { $json = 'true' } }
        elseif ($value -is [int]) { $json = $value.ToString([System.Globalization.CultureInfo]::InvariantCulture) }
        else { $json = ConvertToNymiJsonString -Value $value }
        '  "{0}": {1}' -f $key, $json
    }
    "{`n" + (@($lines) -join ",`n") + "`n}`n"
}

function InstallNymiModule {
    # Copies the package's module into <ModuleRoot>\NymiDiag\<version>;
    # returns 'installed', 'replaced' or 'unchanged'.
    param([Parameter(Mandatory = $true)] $Package, [Parameter(Mandatory = $true)][string] $Root)
    if (-not [System.IO.Directory]::Exists($Root)) { throw "-ModuleRoot $Root does not exist." }
    $parent = [System.IO.Path]::Combine($Root, 'NymiDiag')
    foreach ($stale in @(RemoveNymiStaleStaging -Parent $parent)) { WriteNymiInstallLog "removed $stale, left by an interrupted run, from $parent" }
    $dest = [System.IO.Path]::Combine($parent, $Package.Version)
    $exists = [System.IO.Directory]::Exists($dest)
    if ($exists -and (GetNymiTreeDigest -Path $dest) -ceq (GetNymiTreeDigest -Path $Package.Path)) {
        WriteNymiInstallLog "module $($Package.Version) already in $dest with the same files"
        return 'unchanged'
    }
    $staging = [System.IO.Path]::Combine($parent, (GetNymiStagingName -Version $Package.Version -Kind 'new'))
    CopyNymiTree -From $Package.Path -To $staging
    if (-not $exists) {
        [System.IO.Directory]::Move($staging, $dest)
        WriteNymiInstallLog "copied module $($Package.Version) to $dest"
        return 'installed'
    }
    $old = [System.IO.Path]::Combine($parent, (GetNymiStagingName -Version $Package.Version -Kind 'old'))
    try { [System.IO.Directory]::Move($dest, $old) }
    catch {
        [System.IO.Directory]::Delete($staging, $true)
        if (TestNymiInUseError -Exception $_.Exception) { $script:NymiInstallExit = 1618 }
        throw "$dest could not be moved aside (in use?): $($_.Exception.Message)"
    }
    try { [System.IO.Directory]::Move($staging, $dest) }
    catch {
        [System.IO.Directory]::Move($old, $dest)
        [System.IO.Directory]::Delete($staging, $true)
        throw
    }
    [System.IO.Directory]::Delete($old, $true)
    WriteNymiInstallLog "replaced module $($Package.Version) in $dest (its files differed from the package's)"
    'replaced'
}

function WriteNymiConfigFile {
    # Writes the configuration file when its text differs; returns
    # 'written', 'unchanged' or 'none' (no configuration parameter given).
    param([Parameter(Mandatory = $true)] $Settings, [string] $Path)
    if ($Settings.Count -eq 0) {
        $note = 'no configuration parameter given: configuration file left as it is'
        if ($Path) { $note += " ($Path)" }
        WriteNymiInstallLog $note
        return 'none'
    }
    $text = ConvertToNymiConfigJson -Settings $Settings
    $utf8 = New-Object System.Text.UTF8Encoding $false
    $bytes = $utf8.GetBytes($text)
    if ([System.IO.File]::Exists($Path)) {
        $current = [System.IO.File]::ReadAllBytes($Path)
        if ([System.Convert]::ToBase64String($current) -ceq [System.Convert]::ToBase64String($bytes)) {
            WriteNymiInstallLog "configuration file $Path already holds $(@($Settings.Keys) -join ', ')"
            return 'unchanged'
        }
    }
    $folder = [System.IO.Path]::GetDirectoryName($Path)
    if (-not [System.IO.Directory]::Exists($folder)) { [void][System.IO.Directory]::CreateDirectory($folder) }
    # Written beside the file, then put in its place, so a reader never
    # sees half a file.
    $temp = $Path + '.' + [guid]::NewGuid().ToString('N').Substring(0, 8) + '.tmp'
    [System.IO.File]::WriteAllBytes($temp, $bytes)
    try {
        if ([System.IO.File]::Exists($Path)) { [System.IO.File]::Replace($temp, $Path, [NullString]::Value) }
        else { [System.IO.File]::Move($temp, $Path) }
    }
    finally {
        if ([System.IO.File]::Exists($temp)) { [System.IO.File]::Delete($temp) }
    }
    WriteNymiInstallLog "wrote configuration file $Path with $(@($Settings.Keys) -join ', ')"
    'written'
}

function RegisterNymiEventSource {
    # Registers the event source in the Application log; returns
    # 'registered', 'present' or 'skipped'.
    param([string] $Source)
    if (-not $Source) {
        WriteNymiInstallLog 'event source: skipped, -EventSource is empty'
        return 'skipped'
    }
    if ([System.Environment]::OSVersion.Platform -ne [System.PlatformID]::Win32NT) {
        WriteNymiInstallLog "event source $($Source): skipped, event logs exist only on Windows"
        return 'skipped'
    }
    $state = GetNymiEventSourceState -Source $Source
    if ($state -ne 'absent') {
        WriteNymiInstallLog "event source $Source already registered (log $state)"
        return 'present'
    }
    [System.Diagnostics.EventLog]::CreateEventSource($Source, 'Application')
    WriteNymiInstallLog "registered event source $Source in the Application log"
    'registered'
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
    $settings = GetNymiConfigSetting -Bound $PSBoundParameters
    $package = GetNymiPackagedModule -Folder $PSScriptRoot
    $version = $package.Version
    $root = ResolveNymiInstallPath -Value $ModuleRoot -Kind 'ModuleRoot' -Parameter 'ModuleRoot'
    $config = ''
    if ($settings.Count -gt 0 -or $ConfigPath) { $config = ResolveNymiInstallPath -Value $ConfigPath -Kind 'Config' -Parameter 'ConfigPath' }

    $module = InstallNymiModule -Package $package -Root $root
    $parts.Add("module=$module")
    $configState = WriteNymiConfigFile -Settings $settings -Path $config
    $parts.Add("config=$configState")
    $eventState = RegisterNymiEventSource -Source $EventSource
    $parts.Add("event_source=$eventState")
    if ($module -ne 'unchanged' -or $configState -eq 'written' -or $eventState -eq 'registered') { $result = 'changed' }
    WriteNymiInstallLog "done: $result"
}
catch {
    $result = 'failed'
    if ($script:NymiInstallExit -eq 0) { $script:NymiInstallExit = 1603 }
    $detail = ($_.Exception.Message -replace '\s+', ' ').Trim()
    WriteNymiInstallLog "failed (exit $($script:NymiInstallExit)): $detail"
}
$summary = "NymiDiag install: result=$result"
if ($version) { $summary += " version=$version" }
if ($parts.Count -gt 0) { $summary += ' ' + ($parts -join ' ') }
$summary += " exit=$($script:NymiInstallExit)"
if ($script:NymiInstallLogProblem) { $summary += " log_not_written=`"$(($script:NymiInstallLogProblem -replace '\s+', ' ').Trim())`"" }
if ($detail) { $summary += " detail=`"$detail`"" }
Write-Output $summary
exit $script:NymiInstallExit
