<#
.SYNOPSIS
Intune Remediations remediation script: restarts what makes the NEA fetch
its certificates from the Nymi Enterprise Server (NES) when that can help,
then checks again and says the outcome in one line.

.DESCRIPTION
Imports the NymiDiag module by absolute path (as the detection script
does), calls Repair-NymiNeaCertificate without prompting (it restarts the
EAM Security Service only when NES is reachable and the key stores are
incomplete, and waits up to -WaitSec for the certificates), then runs
Invoke-NymiDiagnosis again and prints one line: the diagnosis' status line
followed by what the repair did, for example

  STATUS=OK v=1 code=HEALTHY ksp=20/20 nes=nes.corp.example:443 stage=none ... repair=restarted before=8/20 after=20/20
  STATUS=ISSUE v=1 code=NEA_CERTS_NOT_RETRIEVED_TCP_BLOCKED ksp=8/20 ... repair=none reason=NES_unreachable

repair= is restarted, none, whatif or failed; reason= is NES_unreachable
(nothing restarted: a restart cannot fetch certificates then),
certificates_complete (nothing to do), no_NES_URL (no -NesUri and none in
the logs), inferred_NES_URL (the URL came from the logs and the module is
too old to check it without the Windows identity), still_incomplete (restarted, but the stores did not fill within
-WaitSec) or, when the repair failed, its reason in one word. The repair's
whole result is in the report file.

Repair-NymiNeaCertificate needs the NES URL: without -NesUri, a first
diagnosis finds it in the Nymi and Evidian logs. Such a URL is passed with
its source (-NesUriSource), so that the repair checks NES without the
Windows identity: credentials go only to a URL configured here (-NesUri).

Exit code 0 when the final diagnosis is STATUS=OK, 1 otherwise: Intune
reads a remediation's exit code as success or failure, so a remediation
that could not run (STATUS=ERROR v=1 code=MODULE_NOT_FOUND, MODULE_LOAD_FAILED,
REPAIR_UNAVAILABLE, DIAGNOSIS_FAILED) is a failure too. The repair result
and the diagnosis are written to
<ReportFolder>\remediation-<yyyyMMdd-HHmmss>.json (UTC). Nothing is written
to stderr.

Intune passes no parameters: the settings come from the policy registry
key or the configuration file, as for Detect-NymiNeaCertificates.ps1 (see
Get-NymiDiagConfiguration); a broken configuration is the line
STATUS=ERROR v=1 code=CONFIG_INVALID and nothing is repaired. Intune shows a
remediation's stderr but not its output: the detection that Intune runs
after it carries this repair's outcome in its line. Under Constrained
Language Mode the one line is STATUS=ERROR v=1 code=CONSTRAINED_LANGUAGE,
exit code 1. Worst case run time:
-WaitSec + 11 T + 165 s with T = -TimeoutSec (at most 60): the diagnosis
that finds the URL when -NesUri is empty (5 T + 18.5 s), the repair (NES
test T + 2 s, service stop and start at most 60 s each, -WaitSec plus the
last count, about 5 s) and the final diagnosis (5 T + 18.5 s). Defaults:
120 + 220 + 165 = 505 s; typically -WaitSec plus a few seconds after a
restart, and a few seconds when nothing is restarted.

.PARAMETER NesUri
NES URL as configured for the Evidian client. Default: the configured
NesUri, else the URL found in the Nymi and Evidian logs.

.PARAMETER KspPath
Key store (ksp) or NSL folders instead of the default location in the
LocalSystem profile.

.PARAMETER LogPath
Log files or folders to scan instead of the usual Nymi and Evidian places.

.PARAMETER ModulePath
NymiDiag.psd1, or a folder holding it directly or in version subfolders.
Default '': NymiDiag under Program Files\WindowsPowerShell\Modules (and
Program Files\PowerShell\Modules) in both Program Files views.

.PARAMETER TimeoutSec
Deadline of the NES probe and of each network check, 1 to 60 seconds.
Default: the configured TimeoutSec (at most 60 used), else 20.

.PARAMETER WaitSec
How long the repair waits for the certificates after a restart, 0 to 600
seconds. Default 120.

.PARAMETER ServiceDisplayName
Display name pattern of the service to restart, when it differs from the
repair's default (a localized or rebranded EAM Security Service). Default
'': the repair's own.

.PARAMETER ReportFolder
Folder of the JSON reports, written by the module's Save-NymiReport (none
when the module is missing or cannot be loaded). Default: the configured
ReportFolder, else %ProgramData%\NymiDiag (elsewhere than Windows:
<temp>/NymiDiag).

.PARAMETER KeepReports
How many remediation-*.json files to keep, newest first. Default 10.

.PARAMETER MaxReportMB
Size cap of the kept remediation-*.json files together, in MB. Default 20.

.PARAMETER TrustedRootPath
PEM or DER file of CA certificates the NES certificate should chain to, in
addition to the platform's roots. Default: the configured
TrustedRootPath, else none.

.PARAMETER ExpectedLocal
Certificates the NEA generates itself in a complete key store. Default:
the configured ExpectedLocal, else 8.

.PARAMETER ExpectedNes
Certificates NES issues in a complete key store. Default: the configured
ExpectedNes, else 12.

.PARAMETER Site
Free text naming this terminal's site (at most 64 characters), carried in
the line as site=<word> so that a fleet view can group by it. Default: the
configured Site, else none.

.PARAMETER RulePath
Additional log rule packs (TOML files) for the diagnosis's log scan.
Default: none. A pack that does not exist or does not load ends in the line
STATUS=ERROR v=1 code=CONFIG_RULE_PACK_INVALID.

.EXAMPLE
powershell.exe -NoProfile -ExecutionPolicy Bypass -File .\Remediate-NymiNeaCertificates.ps1 -NesUri https://nes.corp.example/nes

What Intune runs (without the parameters) after the detection script
exited 1.

.OUTPUTS
One line of text on stdout; exit code 0 or 1.
#>
[CmdletBinding()]
param(
    [string] $NesUri,
    [string[]] $KspPath = @(),
    [string[]] $LogPath = @(),
    [string] $ModulePath = '',
    [int] $TimeoutSec,
    [int] $WaitSec = 120,
    [string] $ServiceDisplayName = '',
    [string] $ReportFolder,
    [int] $KeepReports = 10,
    [int] $MaxReportMB = 20,
    [string] $TrustedRootPath,
    [string[]] $RulePath = @(),
    [int] $ExpectedLocal,
    [int] $ExpectedNes,
    [string] $Site
)

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
# The effective settings: each from a parameter, the policy registry key
# (set by GPO or Intune ADMX ingestion), the JSON configuration file, or
# the built-in default, in that order. Also spliced into the host scripts
# (build.ps1 -Task Bless), which must read the configuration before the
# module is imported: so this file uses nothing else of the module, is
# ASCII only and Windows PowerShell 5.1 code.

# The policy key under HKLM, as GPO writes it (powershell/Policy/NymiDiag.admx).
$script:NymiPolicyKey = 'SOFTWARE\Policies\NymiDiag'
# Largest configuration file read; a real one is a few hundred bytes.
$script:NymiConfigMaxBytes = 65536

function GetNymiSettingSpec {
    # Every setting: name, type (string, int, bool), limits and default.
    # The ADMX, Get-NymiDiagConfiguration and the README list the same
    # names (a test compares them).
    $reportFolder = [System.IO.Path]::Combine([System.IO.Path]::GetTempPath(), 'NymiDiag')
    if ($env:ProgramData) { $reportFolder = [System.IO.Path]::Combine($env:ProgramData, 'NymiDiag') }
    @(
        @{ Name = 'NesUri'; Type = 'string'; MaxLength = 2048; Default = '' }
        @{ Name = 'ExpectedLocal'; Type = 'int'; Min = 0; Max = 100; Default = 8 }
        @{ Name = 'ExpectedNes'; Type = 'int'; Min = 0; Max = 100; Default = 12 }
        @{ Name = 'TimeoutSec'; Type = 'int'; Min = 1; Max = 300; Default = 20 }
        @{ Name = 'TrustedRootPath'; Type = 'string'; MaxLength = 1024; Default = '' }
        @{ Name = 'ReportFolder'; Type = 'string'; MaxLength = 1024; Default = $reportFolder }
        @{ Name = 'Site'; Type = 'string'; MaxLength = 64; Default = '' }
        @{ Name = 'FailOnError'; Type = 'bool'; Default = $true }
    )
}

function GetNymiConfigFilePath {
    # $env:NYMIDIAG_CONFIG when set, else %ProgramData%\NymiDiag\config.json
    # ($null without ProgramData, elsewhere than Windows). Explicit says
    # whether the path was asked for: then a missing file is an error.
    if ($env:NYMIDIAG_CONFIG) { return @{ Path = $env:NYMIDIAG_CONFIG; Explicit = $true } }
    if ($env:ProgramData) { return @{ Path = [System.IO.Path]::Combine($env:ProgramData, 'NymiDiag', 'config.json'); Explicit = $false } }
    @{ Path = $null; Explicit = $false }
}

function NewNymiConfigProblem {
    param([string] $Source, [string] $Origin, [string] $Key, [string] $Reason)
    [ordered]@{ source = $Source; origin = $Origin; key = $Key; reason = $Reason }
}

function ConvertNymiSettingValue {
    # Checks one value against its spec. Returns @{ Ok; Value; Reason }.
    # $Kind is the registry value kind for a policy value, else ''.
    param([hashtable] $Spec, [object] $Value, [string] $Kind = '')
    $type = $Spec['Type']
    if ($type -eq 'string') {
        if ($Kind -and $Kind -ne 'String' -and $Kind -ne 'ExpandString') { return @{ Ok = $false; Reason = "expected a string value (REG_SZ), found $Kind" } }
        if ($Value -isnot [string]) { return @{ Ok = $false; Reason = 'expected a string' } }
        $text = $Value.Trim()
        if ($text.Length -gt $Spec['MaxLength']) { return @{ Ok = $false; Reason = ('longer than {0} characters' -f $Spec['MaxLength']) } }
        if ($text -match '[\x00-\x1F]') { return @{ Ok = $false; Reason = 'contains a control character' } }
        return @{ Ok = $true; Value = $text }
    }
    if ($Kind -and $Kind -ne 'DWord' -and $Kind -ne 'QWord') { return @{ Ok = $false; Reason = "expected a number value (REG_DWORD), found $Kind" } }
    $integral = ($Value -is [int]) -or ($Value -is [long])
    if ($type -eq 'bool') {
        if ($Value -is [bool]) { return @{ Ok = $true; Value = $Value } }
        # Registry values have no boolean kind: 0 or 1, as the ADMX writes.
        if ($Kind -and $integral -and ($Value -eq 0 -or $Value -eq 1)) { return @{ Ok = $true; Value = ($Value -eq 1) } }
        if ($Kind) { return @{ Ok = $false; Reason = 'expected 0 or 1' } }
        return @{ Ok = $false; Reason = 'expected true or false' }
    }
    if (-not $integral) { return @{ Ok = $false; Reason = ('expected a whole number from {0} to {1}' -f $Spec['Min'], $Spec['Max']) } }
    if ($Value -lt $Spec['Min'] -or $Value -gt $Spec['Max']) { return @{ Ok = $false; Reason = ('{0} is not from {1} to {2}' -f $Value, $Spec['Min'], $Spec['Max']) } }
    @{ Ok = $true; Value = [int]$Value }
}

function ReadNymiPolicyValues {
    # The values under HKLM\SOFTWARE\Policies\NymiDiag in the 64-bit view
    # (where GPO writes, also from a 32-bit host): an ordered map name ->
    # @{ Value; Kind }. Empty when the key is absent or elsewhere than
    # Windows.
    $values = [ordered]@{}
    if ([System.Environment]::OSVersion.Platform -ne [System.PlatformID]::Win32NT) { return $values }
    $base = [Microsoft.Win32.RegistryKey]::OpenBaseKey([Microsoft.Win32.RegistryHive]::LocalMachine, [Microsoft.Win32.RegistryView]::Registry64)
    try {
        $key = $base.OpenSubKey($script:NymiPolicyKey)
        if (-not $key) { return $values }
        try {
            foreach ($name in $key.GetValueNames()) {
                if (-not $name) { continue }
                $values[$name] = @{ Value = $key.GetValue($name); Kind = [string]$key.GetValueKind($name) }
            }
        }
        finally { $key.Close() }
    }
    finally { $base.Close() }
    $values
}

function TestNymiConfigFileTrusted {
    # On Windows the file is read by SYSTEM (Intune, GPO), and any user may
    # create files under %ProgramData%: it counts only when an
    # administrator, SYSTEM or TrustedInstaller owns it and no one else
    # may write it. Returns the reason it does not count, else $null.
    param([string] $Path)
    if ([System.Environment]::OSVersion.Platform -ne [System.PlatformID]::Win32NT) { return $null }
    $trusted = @('S-1-5-32-544', 'S-1-5-18', 'S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464')
    $acl = Get-Acl -LiteralPath $Path
    $owner = [string]$acl.GetOwner([System.Security.Principal.SecurityIdentifier])
    if ($trusted -notcontains $owner) { return "owned by $owner, not by an administrator or SYSTEM: a file any user could have placed is not used" }
    $write = [System.Security.AccessControl.FileSystemRights]'WriteData, AppendData, WriteExtendedAttributes, WriteAttributes, Delete, ChangePermissions, TakeOwnership'
    foreach ($rule in $acl.GetAccessRules($true, $true, [System.Security.Principal.SecurityIdentifier])) {
        $sid = [string]$rule.IdentityReference
        if ($rule.AccessControlType -ne 'Allow' -or $trusted -contains $sid) { continue }
        if (($rule.FileSystemRights -band $write) -ne 0) { return "writable by ${sid}: only administrators and SYSTEM may be able to change it" }
    }
    $null
}

function ReadNymiConfigFile {
    # The JSON file's settings: @{ Values = name -> value (names as the
    # spec spells them); Problems }. A missing file that was not asked for
    # is no file.
    param([string] $Path, [bool] $Explicit, [object[]] $Specs)
    $result = @{ Values = [ordered]@{}; Problems = @() }
    if (-not $Path) { return $result }
    $full = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($Path)
    if (-not [System.IO.File]::Exists($full)) {
        if ($Explicit) { $result.Problems += NewNymiConfigProblem 'file' $full '' 'the configuration file does not exist (NYMIDIAG_CONFIG names it)' }
        return $result
    }
    try { $untrusted = TestNymiConfigFileTrusted -Path $full }
    catch { $untrusted = 'its owner and permissions could not be read: ' + $_.Exception.Message }
    if ($untrusted) {
        $result.Problems += NewNymiConfigProblem 'file' $full '' $untrusted
        return $result
    }
    try {
        $info = New-Object System.IO.FileInfo $full
        if ($info.Length -gt $script:NymiConfigMaxBytes) { throw ('larger than {0} bytes' -f $script:NymiConfigMaxBytes) }
        $text = [System.IO.File]::ReadAllText($full)
        if (-not $text.Trim()) { throw 'the file is empty: write {} for no settings' }
        # ConvertFrom-Json unrolls a one-element array into its object.
        if (-not $text.TrimStart().StartsWith('{')) { $data = $null }
        else { $data = ConvertFrom-Json -InputObject $text -ErrorAction Stop }
    }
    catch {
        $result.Problems += NewNymiConfigProblem 'file' $full '' ('not read as JSON: ' + $_.Exception.Message)
        return $result
    }
    if ($data -isnot [System.Management.Automation.PSCustomObject]) {
        $result.Problems += NewNymiConfigProblem 'file' $full '' 'expected one JSON object, { "NesUri": "..." }'
        return $result
    }
    foreach ($property in $data.PSObject.Properties) {
        if ($property.Name -eq '$schema') { continue }
        $spec = $null
        foreach ($s in $Specs) { if ($s['Name'] -eq $property.Name) { $spec = $s } }
        if (-not $spec) {
            $names = @(foreach ($s in $Specs) { $s['Name'] }) -join ', '
            $result.Problems += NewNymiConfigProblem 'file' $full $property.Name "unknown setting; the settings are $names"
            continue
        }
        if ($null -eq $property.Value) { continue }
        $checked = ConvertNymiSettingValue -Spec $spec -Value $property.Value
        if ($checked['Ok']) { $result.Values[$spec['Name']] = $checked['Value'] }
        else { $result.Problems += NewNymiConfigProblem 'file' $full $spec['Name'] $checked['Reason'] }
    }
    $result
}

function ResolveNymiConfiguration {
    # The effective settings: @{ Settings = name -> @{ Name; Value; Source;
    # Origin }; Problems; ConfigPath }. $Parameters holds the values the
    # caller was given (they are checked by its own parameter attributes).
    # $Policy is the test seam for the registry: name -> @{ Value; Kind },
    # $null reads it. A broken value is a problem and the next source's
    # value stands, so the caller can still say where it reports.
    param([System.Collections.IDictionary] $Parameters = @{}, [string] $ConfigPath = '', [System.Collections.IDictionary] $Policy = $null)
    $specs = GetNymiSettingSpec
    # A hashtable whatever came: $PSBoundParameters has no Contains().
    $given = @{}
    foreach ($name in @($Parameters.Keys)) { $given[$name] = $Parameters[$name] }
    $problems = New-Object System.Collections.Generic.List[object]
    $file = GetNymiConfigFilePath
    if ($ConfigPath) { $file = @{ Path = $ConfigPath; Explicit = $true } }
    $fromFile = ReadNymiConfigFile -Path $file['Path'] -Explicit $file['Explicit'] -Specs $specs
    foreach ($p in $fromFile.Problems) { $problems.Add($p) }
    if ($null -eq $Policy) {
        try { $Policy = ReadNymiPolicyValues }
        catch {
            $problems.Add((NewNymiConfigProblem 'policy' ('HKLM\' + $script:NymiPolicyKey) '' ('not read: ' + $_.Exception.Message)))
            $Policy = @{}
        }
    }
    $policyOrigin = 'HKLM\' + $script:NymiPolicyKey
    $fromPolicy = @{}
    foreach ($name in @($Policy.Keys)) {
        $spec = $null
        foreach ($s in $specs) { if ($s['Name'] -eq $name) { $spec = $s } }
        if (-not $spec) {
            $problems.Add((NewNymiConfigProblem 'policy' $policyOrigin $name 'unknown policy value; the ADMX writes only the documented settings'))
            continue
        }
        $entry = $Policy[$name]
        $checked = ConvertNymiSettingValue -Spec $spec -Value $entry['Value'] -Kind ([string]$entry['Kind'])
        if ($checked['Ok']) { $fromPolicy[$spec['Name']] = $checked['Value'] }
        else { $problems.Add((NewNymiConfigProblem 'policy' $policyOrigin $spec['Name'] $checked['Reason'])) }
    }
    $settings = [ordered]@{}
    foreach ($spec in $specs) {
        $name = $spec['Name']
        $setting = [ordered]@{ Name = $name; Value = $spec['Default']; Source = 'default'; Origin = '' }
        if ($given.ContainsKey($name)) { $setting['Value'] = $given[$name]; $setting['Source'] = 'parameter'; $setting['Origin'] = '-' + $name }
        elseif ($fromPolicy.ContainsKey($name)) { $setting['Value'] = $fromPolicy[$name]; $setting['Source'] = 'policy'; $setting['Origin'] = $policyOrigin + '\' + $name }
        elseif ($fromFile.Values.Contains($name)) { $setting['Value'] = $fromFile.Values[$name]; $setting['Source'] = 'file'; $setting['Origin'] = [string]$file['Path'] }
        $settings[$name] = $setting
    }
    @{ Settings = $settings; Problems = $problems.ToArray(); ConfigPath = $file['Path'] }
}

function FormatNymiConfigProblem {
    # The problems as one text, each "<origin>: <key>: <reason>", joined
    # by "; " (the CONFIG_INVALID error and line).
    param([object[]] $Problem)
    @(foreach ($p in $Problem) {
            $parts = @($p['origin'])
            if ($p['key']) { $parts += $p['key'] }
            $parts += $p['reason']
            $parts -join ': '
        }) -join '; '
}
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

if (-not (TestNymiFullLanguage)) {
    NewNymiConstrainedLine
    exit 1
}
# Intune lists the device as fixed only when this exits 0: after the
# repair the diagnosis must say OK.
exit (InvokeNymiHostScript -Kind 'nymidiag.remediation' -Script 'Remediate-NymiNeaCertificates.ps1' -Prefix 'remediation' -Repair -Bound $PSBoundParameters -Settings ([ordered]@{
            ksp_path = [string[]]@($KspPath)
            log_path = [string[]]@($LogPath)
            module_path = $ModulePath
            wait_sec = [math]::Min(600, [math]::Max(0, $WaitSec))
            service_display_name = $ServiceDisplayName
            keep_reports = [math]::Max(1, $KeepReports)
            max_report_mb = [math]::Max(1, $MaxReportMB)
            rule_path = [string[]]@($RulePath)
        }) -ExitCodes @{ OK = 0; ISSUE = 1; ERROR = 1 })
