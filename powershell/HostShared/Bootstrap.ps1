# region shared host helpers
# Spliced from powershell/HostShared/Bootstrap.ps1 into
# Detect-NymiNeaCertificates.ps1, Remediate-NymiNeaCertificates.ps1 and
# Invoke-NymiStartupCheck.ps1 by build.ps1 -Task Bless: edit it there (a
# test fails when a copy is stale). Each script stays one file because
# Intune uploads one file. This is what must work without the module, or
# with whichever version is installed: the preferences, finding and
# importing the module, the configuration (the region below is spliced
# from powershell/NymiDiag/Private/Configuration.ps1, the module's own),
# the STATUS=ERROR line, the exit code and the run around the module's
# Invoke-NymiUnattendedCheck; the report file is written by the module
# (Save-NymiReport).

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

# region configuration
# endregion configuration

function TestNymiFullLanguage {
    # Constrained Language Mode (an untrusted script under WDAC or
    # AppLocker) refuses the .NET calls this script and the module make.
    $ExecutionContext.SessionState.LanguageMode -eq 'FullLanguage'
}

function NewNymiConstrainedLine {
    # The one line of a script that runs in Constrained Language Mode;
    # NewNymiErrorLine without a URL calls nothing the mode refuses.
    NewNymiErrorLine -Code 'CONSTRAINED_LANGUAGE' -NesUri '' -Detail ('PowerShell runs this script in ' + [string]$ExecutionContext.SessionState.LanguageMode + ' mode: sign the script and the NymiDiag module with a certificate the WDAC or AppLocker policy trusts (README: WDAC, AppLocker and Constrained Language Mode)')
}

function NewNymiErrorLine {
    # The one place of the STATUS=ERROR line for a check that could not run:
    # the library's status line (src/diagnose/status_line/mod.rs, v=1) up to
    # stage=, then detail=<reason> instead of finding=, confidence=, expiry=
    # and logs=; the library's reader (ConvertFrom-NymiStatusLine) reads
    # both, and a test proves it. No
    # store was counted, so ksp=? over the library's expected total, 8
    # local + 12 NES certificates (a test compares both with the library's
    # own line). nes= is the host:port of the NES URL, 'none' without one;
    # site= as the library writes it, only with a site.
    param([string] $Code, [string] $NesUri, [string] $Detail, [string] $Site = '')
    $target = 'none'
    if ($NesUri) {
        $text = $NesUri.Trim()
        if ($text -notmatch '^[A-Za-z][A-Za-z0-9+.-]*://') { $text = 'https://' + $text }
        $uri = $null
        if ([System.Uri]::TryCreate($text, [System.UriKind]::Absolute, [ref]$uri) -and $uri.Host) { $target = ConvertToNymiLineWord ('{0}:{1}' -f $uri.Host, $uri.Port) }
        else { $target = ConvertToNymiLineWord $NesUri }
    }
    $siteWord = ''
    if ($Site -and $Site.Trim()) { $siteWord = ' site=' + (ConvertToNymiLineWord $Site 64) }
    LimitNymiLine ('STATUS=ERROR v=1 code={0} ksp=?/20 nes={1} stage=none{2} detail={3}' -f (ConvertToNymiLineWord $Code 100), $target, $siteWord, (ConvertToNymiLineWord $Detail))
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

function GetNymiReportStamp {
    # The sortable time of a report file name, <prefix>-<yyyyMMdd-HHmmss>[-n].json
    # (Save-NymiReport), as 'yyyyMMdd-HHmmss-nnnnnn'; $null for another name.
    param([string] $Name, [string] $Prefix)
    $found = [regex]::Match($Name, '^' + [regex]::Escape($Prefix) + '-(\d{8}-\d{6})(?:-(\d{1,6}))?\.json$')
    if (-not $found.Success) { return $null }
    $n = 0
    if ($found.Groups[2].Success) { $n = [int]$found.Groups[2].Value }
    '{0}-{1:D6}' -f $found.Groups[1].Value, $n
}

function GetNymiLastRepair {
    # The repair of the newest remediation report in $Folder when it is
    # newer than the newest detection report: the remediation ran since the
    # last detection, so this run is Intune's detection after remediation,
    # the one line of it the admin sees. Returns @{ Report; Repair } or $null.
    param([string] $Folder)
    if (-not $Folder -or -not [System.IO.Directory]::Exists($Folder)) { return $null }
    $newest = @{ remediation = $null; diagnosis = $null }
    $files = @{ remediation = $null; diagnosis = $null }
    foreach ($path in [System.IO.Directory]::GetFiles($Folder, '*.json')) {
        $name = [System.IO.Path]::GetFileName($path)
        foreach ($prefix in 'remediation', 'diagnosis') {
            $stamp = GetNymiReportStamp -Name $name -Prefix $prefix
            if ($stamp -and ($null -eq $newest[$prefix] -or [string]::CompareOrdinal($stamp, $newest[$prefix]) -gt 0)) { $newest[$prefix] = $stamp; $files[$prefix] = $path }
        }
    }
    if (-not $files['remediation']) { return $null }
    if ($newest['diagnosis'] -and [string]::CompareOrdinal($newest['diagnosis'], $newest['remediation']) -gt 0) { return $null }
    # Reports are capped by -MaxReportMB; a larger file is not ours.
    if ((New-Object System.IO.FileInfo $files['remediation']).Length -gt 64MB) { return $null }
    $report = ConvertFrom-Json -InputObject ([System.IO.File]::ReadAllText($files['remediation']))
    $repair = GetNymiHostProperty $report 'repair'
    if (-not $repair -or -not (GetNymiHostProperty $repair 'action')) { return $null }
    $record = [ordered]@{}
    foreach ($name in 'action', 'before', 'after', 'reason_code') { $record[$name] = [string](GetNymiHostProperty $repair $name) }
    @{ Report = $files['remediation']; Repair = $record }
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

function GetNymiHostSettings {
    # The run's settings: $Settings (the script's own, snake_case) plus
    # every configured setting, each from the script's parameter when
    # given ($Bound), else the policy, the file or the default
    # (ResolveNymiConfiguration). Returns @{ Settings; Sources; Problems }.
    param([System.Collections.IDictionary] $Bound, [System.Collections.IDictionary] $Settings)
    $given = @{}
    foreach ($name in @($Bound.Keys)) { $given[$name] = $Bound[$name] }
    if ($given.Contains('FailOnError')) { $given['FailOnError'] = [bool]$given['FailOnError'] }
    $resolved = ResolveNymiConfiguration -Parameters $given
    $sources = [ordered]@{}
    foreach ($setting in $resolved.Settings.Values) {
        $key = [regex]::Replace($setting['Name'], '(?<=[a-z])(?=[A-Z])', '_').ToLowerInvariant()
        $Settings[$key] = $setting['Value']
        $sources[$setting['Name']] = [ordered]@{ source = $setting['Source']; origin = $setting['Origin'] }
    }
    # The scripts' time tables assume 1 to 60 s.
    $Settings['timeout_sec'] = [int][math]::Min(60, [math]::Max(1, [int]$Settings['timeout_sec']))
    $Settings['report_folder'] = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath([string]$Settings['report_folder'])
    @{ Settings = $Settings; Sources = $sources; Problems = $resolved.Problems }
}

function InvokeNymiHostScript {
    # One run of a host script: the settings (parameters, then policy,
    # file, default), the report document, the module import, the module's
    # Invoke-NymiUnattendedCheck (-Repair for the remediation), the line,
    # the report file (by the module's Save-NymiReport, so none when it is
    # not loaded) and the line on stdout. Returns the exit code,
    # $ExitCodes[<the line's STATUS word>]; with -ErrorExitFromConfig the
    # ERROR code is the FailOnError setting (1 or 0). $Bound is the
    # script's $PSBoundParameters. $BeforeImport gets the document first
    # (the startup check's network wait); $BeforeReport gets the document,
    # the line, its STATUS word and the diagnosis before the report is
    # written (the startup check's event). The detection (-LastRepair)
    # appends the outcome of a remediation that ran since the last
    # detection.
    param(
        [string] $Kind,
        [string] $Script,
        [string] $Prefix,
        [System.Collections.IDictionary] $Bound,
        [System.Collections.IDictionary] $Settings,
        [hashtable] $ExitCodes,
        [switch] $ErrorExitFromConfig,
        [switch] $Repair,
        [switch] $LastRepair,
        [scriptblock] $BeforeImport,
        [scriptblock] $BeforeReport
    )
    $started = [datetime]::UtcNow
    $line = $null
    $diagnosis = $null
    $module = $null
    $warnings = New-Object System.Collections.Generic.List[string]
    $document = $null
    $site = ''
    $savedProgress = $global:ProgressPreference
    try {
        $global:ProgressPreference = 'SilentlyContinue'
        $run = GetNymiHostSettings -Bound $Bound -Settings $Settings
        $Settings = $run.Settings
        $site = [string]$Settings['site']
        if ($ErrorExitFromConfig) { $ExitCodes['ERROR'] = [int][bool]$Settings['fail_on_error'] }
        $document = NewNymiRunDocument -Kind $Kind -Script $Script -Started $started -Settings $Settings
        $document['site'] = $(if ($site) { $site } else { $null })
        $document['configuration'] = $run.Sources
        if ($Repair) { $document['repair'] = $null; $document['status_line_before'] = $null }
        if ($LastRepair) { $document['last_repair'] = $null }
        $failure = $null
        $suffix = ''
        if ($run.Problems.Count -gt 0) {
            $failure = [ordered]@{ code = 'CONFIG_INVALID'; detail = (FormatNymiConfigProblem $run.Problems) }
        }
        if ($LastRepair) {
            try {
                $last = GetNymiLastRepair -Folder $Settings['report_folder']
                if ($last) {
                    $document['last_repair'] = [ordered]@{ report = $last.Report; repair = $last.Repair }
                    $suffix = GetNymiRepairSuffix $last.Repair
                }
            }
            catch { $warnings.Add('The last remediation report could not be read: ' + $_.Exception.Message) }
        }
        if ($BeforeImport) { $null = & $BeforeImport $document }
        # The module is imported also on a broken configuration: it writes
        # the report that says so.
        $import = ImportNymiDiagModule -Path $Settings['module_path']
        $module = $import.Module
        $document['module'] = [ordered]@{ manifest = $import.Manifest; version = $(if ($module) { [string]$module.Version } else { $null }) }
        if (-not $failure -and $import.Code) { $failure = [ordered]@{ code = $import.Code; detail = $import.Detail } }
        elseif (-not $failure) {
            $command = $module.ExportedCommands['Invoke-NymiUnattendedCheck']
            $arguments = @{ ErrorAction = 'Stop'; WarningAction = 'SilentlyContinue'; InformationAction = 'SilentlyContinue'; Verbose = $false }
            $wanted = @{
                NesUri = [string]$Settings['nes_uri']; TimeoutSec = [int]$Settings['timeout_sec']; TrustedRootPath = [string]$Settings['trusted_root_path']
                KspPath = [string[]]@($Settings['ksp_path']); LogPath = [string[]]@($Settings['log_path']); RulePath = [string[]]@($Settings['rule_path'])
                ExpectedLocal = [int]$Settings['expected_local']; ExpectedNes = [int]$Settings['expected_nes']; Site = $site
            }
            if ($Repair) {
                $arguments['Repair'] = $true
                $wanted['WaitSec'] = [int]$Settings['wait_sec']
                $wanted['ServiceDisplayName'] = [string]$Settings['service_display_name']
            }
            # Only what the installed module knows: it may be older.
            foreach ($name in @($wanted.Keys)) { if ($command.Parameters.ContainsKey($name)) { $arguments[$name] = $wanted[$name] } }
            try {
                $check = @(& $command @arguments 3>$null 4>$null 5>$null 6>$null)
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
            $line = LimitNymiLine (NewNymiErrorLine -Code $failure['code'] -NesUri $Settings['nes_uri'] -Detail $failure['detail'] -Site $site) $suffix
        }
    }
    catch {
        $line = NewNymiErrorLine -Code 'DIAGNOSIS_FAILED' -NesUri '' -Detail $_.Exception.Message -Site $site
    }
    finally {
        $global:ProgressPreference = $savedProgress
    }
    if (-not $line) { $line = NewNymiErrorLine -Code 'DIAGNOSIS_FAILED' -NesUri '' -Detail 'no_status_line' -Site $site }

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
