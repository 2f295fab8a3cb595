<#
.SYNOPSIS
Intune Remediations detection script: whether this terminal lacks the NEA
certificates the Nymi Enterprise Server (NES) issues, and why, in one line.

.DESCRIPTION
Imports the NymiDiag module (deployed separately, for example to
%ProgramFiles%\WindowsPowerShell\Modules\NymiDiag\<version>\) by absolute
path, runs Invoke-NymiDiagnosis, writes the whole result to
<ReportFolder>\diagnosis-<yyyyMMdd-HHmmss>.json (UTC time; the newest
-KeepReports files are kept) and prints exactly one line, the line the
Intune portal shows:

  STATUS=ISSUE code=NEA_CERTS_NOT_RETRIEVED_TCP_BLOCKED ksp=8/20 nes=nes.corp.example:443 stage=tcp finding=NES_TCP_TIMEOUT ...

Exit code 1 only when STATUS=ISSUE (Intune then runs the remediation
script). When the module is missing, cannot be imported or the diagnosis
fails, the line is

  STATUS=ERROR code=<MODULE_NOT_FOUND|MODULE_LOAD_FAILED|DIAGNOSIS_FAILED> ksp=?/20 nes=<host:port|none> stage=none detail=<reason>

and the exit code is 0 ("could not check" is not an issue), or 1 with
-FailOnError. Nothing is written to stderr and nothing on the machine is
changed apart from the report folder.

Intune passes no parameters: edit the defaults in the param block below.
Worst case run time, T = -TimeoutSec (at most 60): 5 T + 18.5 s, 118.5 s
with the default 20 (import 5 s, then key store, logs and NES probe within
one deadline of T + 10 s, plus 2 s,
and on Windows, only when NES answered, the request with the Windows
identity T and the chain engine 3 T; Invoke-NymiStartupCheck.ps1 has the
table). Typically a few seconds.

.PARAMETER NesUri
NES URL as configured for the Evidian client (https://nes.corp.example/nes;
a bare host name means https://<host>/nes). Default '': the URL found in the
Nymi and Evidian logs.

.PARAMETER KspPath
Key store (ksp) or NSL folders to count instead of the default location in
the LocalSystem profile.

.PARAMETER LogPath
Log files or folders to scan instead of the usual Nymi and Evidian places.

.PARAMETER ModulePath
NymiDiag.psd1, or a folder holding it directly or in version subfolders.
Default '': NymiDiag under Program Files\WindowsPowerShell\Modules (and
Program Files\PowerShell\Modules) in both the 64-bit and the 32-bit Program
Files, highest version first.

.PARAMETER TimeoutSec
Deadline of the NES probe and of each Windows network check, 1 to 60
seconds. Default 20.

.PARAMETER ReportFolder
Folder of the JSON reports, written by the module's Save-NymiReport (none
when the module is missing or cannot be loaded). Default
%ProgramData%\NymiDiag (elsewhere than Windows: <temp>/NymiDiag).

.PARAMETER KeepReports
How many diagnosis-*.json files to keep, newest first. Default 10.

.PARAMETER MaxReportMB
Size cap of the kept diagnosis-*.json files together, in MB; the newest
report is always kept. Default 20.

.PARAMETER TrustedRootPath
PEM or DER file of CA certificates the NES certificate should chain to, in
addition to the platform's roots. Default '': none.

.PARAMETER RulePath
Additional log rule packs (TOML files) for the diagnosis's log scan.
Default: none. A pack that does not exist or does not load ends in the line
STATUS=ERROR code=CONFIG_RULE_PACK_INVALID.

.PARAMETER FailOnError
Exit 1 also when the line says STATUS=ERROR (the check could not run), so
that Intune runs the remediation and lists the device as "with issues".

.EXAMPLE
powershell.exe -NoProfile -ExecutionPolicy Bypass -File .\Detect-NymiNeaCertificates.ps1 -NesUri https://nes.corp.example/nes

What Intune runs (without the parameters); prints the status line.

.OUTPUTS
One line of text on stdout; exit code 0 or 1.
#>
[CmdletBinding()]
param(
    [string] $NesUri = '',
    [string[]] $KspPath = @(),
    [string[]] $LogPath = @(),
    [string] $ModulePath = '',
    [int] $TimeoutSec = 20,
    [string] $ReportFolder = "$env:ProgramData\NymiDiag",
    [int] $KeepReports = 10,
    [int] $MaxReportMB = 20,
    [string] $TrustedRootPath = '',
    [string[]] $RulePath = @(),
    [switch] $FailOnError
)

# region shared host helpers
# Spliced from powershell/HostShared/Bootstrap.ps1 into
# Detect-NymiNeaCertificates.ps1, Remediate-NymiNeaCertificates.ps1 and
# Invoke-NymiStartupCheck.ps1 by build.ps1 -Task Bless: edit it there (a
# test fails when a copy is stale). Each script stays one file because
# Intune uploads one file. This is what must work without the module, or
# with whichever version is installed: the preferences, finding and
# importing the module, the STATUS=ERROR line, the exit code and the run
# around the module's Invoke-NymiUnattendedCheck; the report file is
# written by the module (Save-NymiReport).

# Nothing may reach stderr or wait for an answer: errors are caught below,
# the other streams are silenced.
$ErrorActionPreference = 'Stop'
$WarningPreference = 'SilentlyContinue'
$VerbosePreference = 'SilentlyContinue'
$InformationPreference = 'SilentlyContinue'
$ProgressPreference = 'SilentlyContinue'
$ConfirmPreference = 'None'
Set-StrictMode -Version 3.0

function FindNymiDiagManifest {
    # -ModulePath as given (NymiDiag.psd1, or a folder holding it directly
    # or in <version> subfolders); without it NymiDiag in the all-users
    # module folders of both editions in every Program Files view, so that
    # 32-bit and 64-bit hosts find the same install. Highest version wins.
    param([string] $Path)
    $roots = New-Object System.Collections.Generic.List[string]
    if ($Path) {
        $full = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($Path)
        if ([System.IO.File]::Exists($full)) { return [System.IO.Path]::GetFullPath($full) }
        $roots.Add($full)
    }
    else {
        foreach ($base in @($env:ProgramFiles, ${env:ProgramW6432}, ${env:ProgramFiles(x86)})) {
            foreach ($edition in 'WindowsPowerShell', 'PowerShell') {
                if ($base) { $roots.Add([System.IO.Path]::Combine($base, $edition, 'Modules', 'NymiDiag')) }
            }
        }
    }
    $best = $null
    $bestVersion = $null
    foreach ($root in $roots) {
        if (-not [System.IO.Directory]::Exists($root)) { continue }
        $found = @()
        $direct = [System.IO.Path]::Combine($root, 'NymiDiag.psd1')
        if ([System.IO.File]::Exists($direct)) {
            $version = New-Object System.Version (0, 0)
            $declared = [regex]::Match([System.IO.File]::ReadAllText($direct), 'ModuleVersion\s*=\s*[''"]([0-9.]+)[''"]')
            if ($declared.Success) { $null = [version]::TryParse($declared.Groups[1].Value, [ref]$version) }
            $found += , @($version, $direct)
        }
        foreach ($folder in [System.IO.Directory]::GetDirectories($root)) {
            $version = $null
            $manifest = [System.IO.Path]::Combine($folder, 'NymiDiag.psd1')
            if ([version]::TryParse([System.IO.Path]::GetFileName($folder), [ref]$version) -and [System.IO.File]::Exists($manifest)) { $found += , @($version, $manifest) }
        }
        foreach ($pair in $found) {
            if ($null -eq $bestVersion -or $pair[0] -gt $bestVersion) { $best = $pair[1]; $bestVersion = $pair[0] }
        }
    }
    if ($best) { return [System.IO.Path]::GetFullPath($best) }
    $null
}

function ImportNymiDiagModule {
    # Imports NymiDiag by absolute path. Returns @{ Code; Detail; Manifest;
    # Module }: Code $null on success, else MODULE_NOT_FOUND or MODULE_LOAD_FAILED.
    param([string] $Path)
    $result = @{ Code = 'MODULE_NOT_FOUND'; Detail = $null; Manifest = (FindNymiDiagManifest -Path $Path); Module = $null }
    if (-not $result.Manifest) {
        if ($Path) { $result.Detail = "no NymiDiag module at $Path" }
        else { $result.Detail = 'no NymiDiag module under Program Files\WindowsPowerShell\Modules or Program Files\PowerShell\Modules' }
        return $result
    }
    $result.Code = 'MODULE_LOAD_FAILED'
    try { $imported = @(Import-Module -Name $result.Manifest -Force -PassThru -ErrorAction Stop -WarningAction SilentlyContinue -Verbose:$false 3>$null 4>$null 5>$null 6>$null) }
    catch { $result.Detail = $_.Exception.Message; return $result }
    foreach ($m in $imported) { if ($m.Name -eq 'NymiDiag' -and $m.ExportedCommands.ContainsKey('Invoke-NymiUnattendedCheck')) { $result.Module = $m } }
    if ($result.Module) { $result.Code = $null }
    else { $result.Detail = "$($result.Manifest) does not export Invoke-NymiUnattendedCheck: install a newer NymiDiag" }
    $result
}

function ConvertToNymiLineWord {
    # One space-free printable-ASCII word for the status line, as the
    # library's status_line::word makes them.
    param([string] $Text, [int] $Max = 300)
    $word = ''
    if ($Text) { $word = [regex]::Replace($Text.Trim(), '[^\x21-\x7E]+', '_') }
    if (-not $word) { return '_' }
    if ($word.Length -gt $Max) { $word = $word.Substring(0, $Max) }
    $word
}

function LimitNymiLine {
    # Intune keeps at most 2,048 characters of the last line; $Suffix (the
    # remediation's repair words) is kept whole.
    param([string] $Line, [string] $Suffix = '')
    $max = 2048 - $Suffix.Length
    if ($Line.Length -gt $max) { $Line = $Line.Substring(0, $max) }
    $Line + $Suffix
}

function NewNymiErrorLine {
    # The one place of the STATUS=ERROR line for a check that could not run:
    # the library's status line (src/diagnose/status_line.rs) up to stage=,
    # then detail=<reason> instead of finding=, confidence= and logs=. No
    # store was counted, so ksp=? over the library's expected total, 8
    # local + 12 NES certificates (a test compares both with the library's
    # own line). nes= is the host:port of the NES URL, 'none' without one.
    param([string] $Code, [string] $NesUri, [string] $Detail)
    $target = 'none'
    if ($NesUri) {
        $text = $NesUri.Trim()
        if ($text -notmatch '^[A-Za-z][A-Za-z0-9+.-]*://') { $text = 'https://' + $text }
        $uri = $null
        if ([System.Uri]::TryCreate($text, [System.UriKind]::Absolute, [ref]$uri) -and $uri.Host) { $target = ConvertToNymiLineWord ('{0}:{1}' -f $uri.Host, $uri.Port) }
        else { $target = ConvertToNymiLineWord $NesUri }
    }
    LimitNymiLine ('STATUS=ERROR code={0} ksp=?/20 nes={1} stage=none detail={2}' -f (ConvertToNymiLineWord $Code 100), $target, (ConvertToNymiLineWord $Detail))
}

function GetNymiHostProperty {
    # A property of $Object, or $null when it has none (strict mode safe).
    param([object] $Object, [string] $Name)
    if ($Object -is [System.Collections.IDictionary]) { if ($Object.Contains($Name)) { return $Object[$Name] } }
    elseif ($null -ne $Object -and $Object.PSObject.Properties[$Name]) { return $Object.PSObject.Properties[$Name].Value }
    $null
}

function GetNymiRepairSuffix {
    # ' repair=<action> before=<n/20> after=<n/20> reason=<why>' for the
    # remediation's line; the reason code becomes the word the line shows,
    # also in the report.
    param([System.Collections.IDictionary] $Repair)
    $suffix = ' repair=' + (ConvertToNymiLineWord $Repair['action'] 20)
    if ($Repair['before']) { $suffix += ' before=' + (ConvertToNymiLineWord $Repair['before'] 20) }
    if ($Repair['after']) { $suffix += ' after=' + (ConvertToNymiLineWord $Repair['after'] 20) }
    if ($Repair['reason_code']) {
        $Repair['reason_code'] = ConvertToNymiLineWord $Repair['reason_code'] 120
        $suffix += ' reason=' + $Repair['reason_code']
    }
    $suffix
}

function NewNymiRunDocument {
    # The report file's common part; Save-NymiReport embeds the diagnosis.
    param([string] $Kind, [string] $Script, [datetime] $Started, [System.Collections.IDictionary] $Settings)
    [ordered]@{
        kind = $Kind; script = $Script; started_utc = $Started.ToString('yyyy-MM-ddTHH:mm:ss.fffZ', [System.Globalization.CultureInfo]::InvariantCulture)
        duration_ms = 0; computer = [System.Environment]::MachineName; account = [System.Environment]::UserName
        powershell = ('{0} {1} {2}-bit' -f $PSVersionTable.PSVersion, $PSVersionTable.PSEdition, ([IntPtr]::Size * 8))
        settings = $Settings; module = $null; status_line = $null; exit_code = 0; error = $null; warnings = @()
    }
}

function InvokeNymiHostScript {
    # One run of a host script: the report document, the module import, the
    # module's Invoke-NymiUnattendedCheck (-Repair for the remediation), the
    # line, the report file (by the module's Save-NymiReport, so none when
    # it is not loaded) and the line on stdout. Returns the exit code,
    # $ExitCodes[<the line's STATUS word>]. $BeforeImport gets the document
    # first (the startup check's network wait); $BeforeReport gets the
    # document, the line, its STATUS word and the diagnosis before the
    # report is written (the startup check's event).
    param(
        [string] $Kind,
        [string] $Script,
        [string] $Prefix,
        [System.Collections.IDictionary] $Settings,
        [hashtable] $ExitCodes,
        [switch] $Repair,
        [scriptblock] $BeforeImport,
        [scriptblock] $BeforeReport
    )
    $started = [datetime]::UtcNow
    $line = $null
    $diagnosis = $null
    $module = $null
    $warnings = New-Object System.Collections.Generic.List[string]
    $document = $null
    $savedProgress = $global:ProgressPreference
    try {
        $global:ProgressPreference = 'SilentlyContinue'
        # %ProgramData% is unset elsewhere than Windows: <temp>/NymiDiag.
        $folder = [string]$Settings['report_folder']
        if ($folder -and ($env:ProgramData -or $folder -ne '\NymiDiag')) { $Settings['report_folder'] = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($folder) }
        else { $Settings['report_folder'] = [System.IO.Path]::Combine([System.IO.Path]::GetTempPath(), 'NymiDiag') }
        $document = NewNymiRunDocument -Kind $Kind -Script $Script -Started $started -Settings $Settings
        if ($Repair) { $document['repair'] = $null; $document['status_line_before'] = $null }
        if ($BeforeImport) { $null = & $BeforeImport $document }
        $import = ImportNymiDiagModule -Path $Settings['module_path']
        $module = $import.Module
        $document['module'] = [ordered]@{ manifest = $import.Manifest; version = $(if ($module) { [string]$module.Version } else { $null }) }
        $failure = $null
        $suffix = ''
        if ($import.Code) { $failure = [ordered]@{ code = $import.Code; detail = $import.Detail } }
        else {
            $arguments = @{ TimeoutSec = [int]$Settings['timeout_sec']; ErrorAction = 'Stop'; WarningAction = 'SilentlyContinue'; InformationAction = 'SilentlyContinue'; Verbose = $false }
            foreach ($pair in @(@('NesUri', 'nes_uri'), @('TrustedRootPath', 'trusted_root_path'))) { $arguments[$pair[0]] = [string]$Settings[$pair[1]] }
            foreach ($pair in @(@('KspPath', 'ksp_path'), @('LogPath', 'log_path'), @('RulePath', 'rule_path'))) { $arguments[$pair[0]] = [string[]]@($Settings[$pair[1]]) }
            if ($Repair) {
                $arguments['Repair'] = $true
                $arguments['WaitSec'] = [int]$Settings['wait_sec']
                $arguments['ServiceDisplayName'] = [string]$Settings['service_display_name']
            }
            try {
                $check = @(& $module.ExportedCommands['Invoke-NymiUnattendedCheck'] @arguments 3>$null 4>$null 5>$null 6>$null)
                if ($check.Count -eq 0) { throw 'Invoke-NymiUnattendedCheck returned nothing' }
                $check = $check[$check.Count - 1]
                foreach ($warning in @($check.Warnings)) { if ($warning) { $warnings.Add([string]$warning) } }
                $diagnosis = $check.Diagnosis
                $failure = $check.Error
                if ($Repair) {
                    $document['repair'] = $check.Repair
                    $document['status_line_before'] = $check.StatusLineBefore
                    if ($check.Repair) { $suffix = GetNymiRepairSuffix $check.Repair }
                }
                if (-not $failure) { $line = LimitNymiLine ([string]$check.StatusLine) $suffix }
            }
            catch { $failure = [ordered]@{ code = 'DIAGNOSIS_FAILED'; detail = $_.Exception.Message } }
        }
        if ($failure) {
            $document['error'] = $failure
            $line = LimitNymiLine (NewNymiErrorLine -Code $failure['code'] -NesUri $Settings['nes_uri'] -Detail $failure['detail']) $suffix
        }
    }
    catch {
        $line = NewNymiErrorLine -Code 'DIAGNOSIS_FAILED' -NesUri '' -Detail $_.Exception.Message
    }
    finally {
        $global:ProgressPreference = $savedProgress
    }
    if (-not $line) { $line = NewNymiErrorLine -Code 'DIAGNOSIS_FAILED' -NesUri '' -Detail 'no_status_line' }

    $status = 'ERROR'
    if ($line -match '^STATUS=([A-Z]+) ') { $status = $Matches[1] }
    $exitCode = $ExitCodes['ERROR']
    if ($ExitCodes.ContainsKey($status)) { $exitCode = $ExitCodes[$status] }

    if ($document -and $BeforeReport) { $null = & $BeforeReport $document $line $status $diagnosis }
    # The report is written by the module: none when it could not be loaded.
    if ($document -and $module -and $module.ExportedCommands.ContainsKey('Save-NymiReport')) {
        try {
            $document['status_line'] = $line
            $document['exit_code'] = $exitCode
            $document['warnings'] = [string[]]$warnings.ToArray()
            $document['duration_ms'] = [long]([datetime]::UtcNow - $started).TotalMilliseconds
            $document['diagnosis'] = $diagnosis
            $null = Save-NymiReport -InputObject $document -Folder $Settings['report_folder'] -Prefix $Prefix -Keep $Settings['keep_reports'] -MaxTotalMB $Settings['max_report_mb']
        }
        catch { $null = $_ }
    }

    [System.Console]::Out.WriteLine($line)
    $exitCode
}
# endregion shared host helpers

exit (InvokeNymiHostScript -Kind 'nymidiag.detection' -Script 'Detect-NymiNeaCertificates.ps1' -Prefix 'diagnosis' -Settings ([ordered]@{
            nes_uri = $NesUri
            ksp_path = [string[]]@($KspPath)
            log_path = [string[]]@($LogPath)
            module_path = $ModulePath
            timeout_sec = [math]::Min(60, [math]::Max(1, $TimeoutSec))
            report_folder = $ReportFolder
            keep_reports = [math]::Max(1, $KeepReports)
            max_report_mb = [math]::Max(1, $MaxReportMB)
            trusted_root_path = $TrustedRootPath
            rule_path = [string[]]@($RulePath)
            fail_on_error = [bool]$FailOnError
        }) -ExitCodes @{ OK = 0; ISSUE = 1; ERROR = [int][bool]$FailOnError })
