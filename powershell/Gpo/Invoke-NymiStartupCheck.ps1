<#
.SYNOPSIS
GPO computer startup script: diagnoses whether this terminal got its NEA
certificates from the Nymi Enterprise Server (NES), and records the verdict
in the Application event log and a JSON file.

.DESCRIPTION
Runs as LocalSystem at boot, without a console, within the 600 s that all
startup scripts share. Steps:

1. Waits for the network, at most -NetworkWaitSec: every 5 s it checks
   that an interface is up ([NetworkInterface]::GetIsNetworkAvailable())
   and, when -NesUri names the NES host, looks the host up (each lookup
   bounded by the time left). The wait stops at the first definite
   answer: the host resolved, or, with an interface up and a DNS server
   configured, the DNS answered that the name does not exist
   (HostNotFound, 11001) or has no address (NoData, 11004), or the name
   is under .invalid (never resolves, RFC 6761; not looked up). It goes
   on waiting while no interface is up, no DNS server is configured yet
   (before DHCP the resolver says "not found" on its own), the DNS does
   not answer or fails (TryAgain 11002, NoRecovery 11003), a lookup
   times out, or anything else goes wrong. A terminal whose DNS does not
   know the NES name thus waits a second or less, not -NetworkWaitSec.
   The JSON file's 'network' object records the wait:
     state         ready (interface up; host resolved or none given),
                   answered (a definite negative answer), timeout (no
                   definite answer within -NetworkWaitSec), skipped (0 s)
     dns           the last lookup: resolved, not_found, no_addresses,
                   no_answer (TryAgain, NoRecovery), timeout (no answer
                   within its bound), failed (anything else), not_checked
                   (no host or no interface)
     socket_error  that lookup's SocketError name and number, or null
     dns_servers   DNS servers of the interfaces that are up (-1 unknown)
     attempts, waited_ms, limit_sec, network_available, host, addresses,
     detail
2. Imports the NymiDiag module by absolute path and runs
   Invoke-NymiDiagnosis with -TimeoutSec as the probe deadline (the
   diagnosis runs even when the wait timed out: it then says which stage
   fails).
3. Writes an event to the Application log with its own source
   (-EventSource, registered on first use; SYSTEM may do that): id 1000 OK
   (Information), 1001 ISSUE (Error), 1002 ERROR, the check could not run
   (Warning). The message is the status line, the summary and the next
   steps. When the source is not registered and cannot be (not an
   administrator), the event is written with the WSH source that Windows
   Script Host registers for script events, and the JSON file says so.
   Elsewhere than Windows this step is 'not_applicable'.
4. Writes <ReportFolder>\startup-<yyyyMMdd-HHmmss>.json (UTC) with the
   network wait, the event log step and the whole diagnosis; keeps the
   newest -KeepReports such files.
5. Prints the status line (seen only when run by hand) and exits 0, so a
   broken terminal never fails the boot; -ExitWithStatus exits 0 OK,
   1 ISSUE, 2 ERROR instead.

Settings not given as parameters come from the policy registry key
HKLM\SOFTWARE\Policies\NymiDiag or the configuration file
%ProgramData%\NymiDiag\config.json (see Get-NymiDiagConfiguration), else
the defaults below; a broken configuration is the line STATUS=ERROR
code=CONFIG_INVALID (event 1002). Under Constrained Language Mode (an
untrusted script under WDAC or AppLocker) the one line is STATUS=ERROR
code=CONSTRAINED_LANGUAGE and nothing else runs.

Worst case run time, with N = -NetworkWaitSec (at most 180) and
T = -TimeoutSec (at most 60):

  network wait                  N + 0.5 s (last lookup bounded by 0.5 s;
                                     reached only without a definite
                                     answer, e.g. a DNS server that
                                     never answers)
  module import                 about 5 s (cold start of Windows PowerShell)
  key store, logs, NES probe    T + 12 s (one deadline of T + 10 s over the
                                     three; the library stops starting
                                     files when it passes, cuts a log being
                                     read, and guards the probe by 2 s)
  Windows identity request      T  (only when NES answered TLS and HTTP)
  Windows chain engine          3 T (connect, handshake, revocation fetch;
                                     also only when NES answered)
  event log and JSON file       under 1 s
  total                         N + 5 T + 18.5 s

Defaults (N = 120, T = 20): 238.5 s. Largest accepted values (N = 180,
T = 60): 498.5 s. Both under the 600 s startup script budget.

.PARAMETER NesUri
NES URL as configured for the Evidian client. Default: the configured
NesUri (policy registry key or configuration file, see
Get-NymiDiagConfiguration), else the URL found in the Nymi and Evidian
logs (then the network wait cannot resolve the host and waits only for an
interface).

.PARAMETER KspPath
Key store (ksp) or NSL folders instead of the default location in the
LocalSystem profile.

.PARAMETER LogPath
Log files or folders to scan instead of the usual Nymi and Evidian places.

.PARAMETER ModulePath
NymiDiag.psd1, or a folder holding it directly or in version subfolders.
Default '': NymiDiag under Program Files\WindowsPowerShell\Modules (and
Program Files\PowerShell\Modules) in both Program Files views.

.PARAMETER NetworkWaitSec
Longest wait for the network before the diagnosis, 0 to 180 seconds; 0
does not wait. Default 120. The wait ends earlier at a definite answer
(step 1).

.PARAMETER TimeoutSec
Deadline of the NES probe and of each Windows network check, 1 to 60
seconds. Default: the configured TimeoutSec (at most 60 used), else 20.

.PARAMETER ReportFolder
Folder of the JSON reports, written by the module's Save-NymiReport (none
when the module is missing or cannot be loaded). Default: the configured
ReportFolder, else %ProgramData%\NymiDiag (elsewhere than Windows:
<temp>/NymiDiag).

.PARAMETER EventSource
Event source in the Application log. Default 'NymiDiag'. '' writes no
event.

.PARAMETER KeepReports
How many startup-*.json files to keep, newest first. Default 10.

.PARAMETER MaxReportMB
Size cap of the kept startup-*.json files together, in MB. Default 20.

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

.PARAMETER ExitWithStatus
Exit 1 for STATUS=ISSUE and 2 for STATUS=ERROR instead of always 0.

.EXAMPLE
Group Policy: Computer Configuration > Policies > Windows Settings > Scripts (Startup/Shutdown) > Startup > PowerShell Scripts > Invoke-NymiStartupCheck.ps1, parameters: -NesUri https://nes.corp.example/nes

Runs at every boot; read the result in Event Viewer (Application, source
NymiDiag) or in %ProgramData%\NymiDiag\startup-*.json.

.OUTPUTS
One line of text on stdout; exit code 0 (see -ExitWithStatus).
#>
[CmdletBinding()]
param(
    [string] $NesUri,
    [string[]] $KspPath = @(),
    [string[]] $LogPath = @(),
    [string] $ModulePath = '',
    [int] $NetworkWaitSec = 120,
    [int] $TimeoutSec,
    [string] $ReportFolder,
    [string] $EventSource = 'NymiDiag',
    [int] $KeepReports = 10,
    [int] $MaxReportMB = 20,
    [string] $TrustedRootPath,
    [string[]] $RulePath = @(),
    [int] $ExpectedLocal,
    [int] $ExpectedNes,
    [string] $Site,
    [switch] $ExitWithStatus
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

function GetNymiNesHostName {
    # The host part of the NES URL ($null without one).
    param([string] $NesUri)
    if (-not $NesUri) { return $null }
    $text = $NesUri.Trim()
    if ($text -notmatch '^[A-Za-z][A-Za-z0-9+.-]*://') { $text = 'https://' + $text }
    $uri = $null
    if ([System.Uri]::TryCreate($text, [System.UriKind]::Absolute, [ref]$uri) -and $uri.Host) { return $uri.DnsSafeHost }
    $null
}

function GetNymiNetworkState {
    # Whether an interface is up ([NetworkInterface]::GetIsNetworkAvailable())
    # and how many DNS servers the up interfaces have (-1: unknown). Without
    # a DNS server a "host not found" comes from the resolver alone, as
    # early in a boot before DHCP, and is no answer from DNS.
    $state = @{ Available = $false; DnsServers = -1; Detail = $null }
    try { $state.Available = [System.Net.NetworkInformation.NetworkInterface]::GetIsNetworkAvailable() }
    catch { $state.Detail = 'The network state could not be read: ' + $_.Exception.Message }
    if ($state.Available) {
        try {
            $servers = @{}
            foreach ($interface in [System.Net.NetworkInformation.NetworkInterface]::GetAllNetworkInterfaces()) {
                if ($interface.OperationalStatus -ne [System.Net.NetworkInformation.OperationalStatus]::Up) { continue }
                if ($interface.NetworkInterfaceType -eq [System.Net.NetworkInformation.NetworkInterfaceType]::Loopback) { continue }
                foreach ($address in $interface.GetIPProperties().DnsAddresses) {
                    # fec0:0:0:ffff::1-3 are what Windows lists for IPv6 when
                    # no server was configured (deprecated site-local).
                    if (-not $address.IsIPv6SiteLocal) { $servers[$address.ToString()] = $true }
                }
            }
            $state.DnsServers = $servers.Count
        }
        catch { $state.DnsServers = -1 }
    }
    $state
}

function InvokeNymiHostLookup {
    # One lookup of $HostName with the system's resolver, waiting at most
    # $BudgetMs. Returns @{ Addresses; Error; TimedOut } for
    # GetNymiLookupVerdict; a lookup that outlives the budget is left to
    # finish in the background.
    param([string] $HostName, [int] $BudgetMs)
    $outcome = @{ Addresses = $null; Error = $null; TimedOut = $false }
    try {
        $lookup = [System.Net.Dns]::BeginGetHostAddresses($HostName, $null, $null)
        if ($lookup.AsyncWaitHandle.WaitOne($BudgetMs)) { $outcome.Addresses = [string[]]@([System.Net.Dns]::EndGetHostAddresses($lookup) | ForEach-Object { $_.ToString() }) }
        else { $outcome.TimedOut = $true }
    }
    catch { $outcome.Error = $_.Exception }
    $outcome
}

function GetNymiLookupVerdict {
    # What one lookup outcome (@{ Addresses; Error; TimedOut }) tells the
    # network wait. Verdict 'resolved', 'negative' (a definite answer that
    # waiting will not change) or 'transient'; Dns the report's word:
    #   resolved      addresses came back
    #   not_found     the DNS answered that the name does not exist
    #                 (HostNotFound, 11001; glibc's "Name or service not known")
    #   no_addresses  the name exists without addresses (NoData, 11004, or
    #                 an empty answer)
    #   no_answer     the DNS server failed or did not answer (TryAgain,
    #                 11002; NoRecovery, 11003)
    #   timeout       no answer within the lookup's budget
    #   failed        anything else
    # Decided by SocketException.SocketErrorCode, never by the message:
    # it is localized on Windows and differs between systems elsewhere.
    # PowerShell wraps the SocketException (MethodInvocationException), so
    # the inner exceptions are searched.
    param([hashtable] $Outcome)
    $verdict = @{ Verdict = 'transient'; Dns = 'failed'; Addresses = [string[]]@(); SocketError = $null; Detail = $null }
    if ($Outcome['TimedOut']) {
        $verdict.Dns = 'timeout'
        return $verdict
    }
    $failure = $Outcome['Error']
    if (-not $failure) {
        $verdict.Addresses = [string[]]@($Outcome['Addresses'] | Where-Object { $_ })
        if ($verdict.Addresses.Count -gt 0) { $verdict.Verdict = 'resolved'; $verdict.Dns = 'resolved' }
        else { $verdict.Verdict = 'negative'; $verdict.Dns = 'no_addresses'; $verdict.Detail = 'The lookup answered without addresses.' }
        return $verdict
    }
    $socket = $null
    $innermost = $failure
    for ($e = $failure; $e; $e = $e.InnerException) {
        $innermost = $e
        if (-not $socket -and $e -is [System.Net.Sockets.SocketException]) { $socket = $e }
    }
    if ($socket) {
        $code = $socket.SocketErrorCode
        $verdict.SocketError = '{0} ({1})' -f $code, [int]$code
        $verdict.Detail = $socket.Message
        switch ($code) {
            ([System.Net.Sockets.SocketError]::HostNotFound) { $verdict.Verdict = 'negative'; $verdict.Dns = 'not_found' }
            ([System.Net.Sockets.SocketError]::NoData) { $verdict.Verdict = 'negative'; $verdict.Dns = 'no_addresses' }
            ([System.Net.Sockets.SocketError]::TryAgain) { $verdict.Dns = 'no_answer' }
            ([System.Net.Sockets.SocketError]::NoRecovery) { $verdict.Dns = 'no_answer' }
        }
    }
    else { $verdict.Detail = $innermost.Message }
    $verdict
}

function WaitNymiNetwork {
    # Polls every 5 s until the network gives a definite answer, at most
    # $Seconds (+0.5 s for the last lookup): state 'ready' when an
    # interface is up and, with a host name, the host resolves; 'answered'
    # when an interface is up and the DNS answered that the host does not
    # exist or has no address (or the name is under .invalid), which more
    # waiting would not change; 'timeout' when neither came in time;
    # 'skipped' for 0 s. No interface, no DNS server, no answer, a lookup
    # timeout or any other error are waited out.
    # $NetworkState (GetNymiNetworkState), $Lookup (InvokeNymiHostLookup:
    # host name, budget in ms), $Clock (elapsed ms) and $Sleep (ms) are
    # parameters so that tests can drive the wait without a network or a
    # real sleep.
    param(
        [int] $Seconds,
        [string] $HostName,
        [scriptblock] $NetworkState = { GetNymiNetworkState },
        [scriptblock] $Lookup = { param($Name, $BudgetMs) InvokeNymiHostLookup -HostName $Name -BudgetMs $BudgetMs },
        [scriptblock] $Clock = { [long]([System.Diagnostics.Stopwatch]::GetTimestamp() / ([System.Diagnostics.Stopwatch]::Frequency / 1000.0)) },
        [scriptblock] $Sleep = { param($Milliseconds) Start-Sleep -Milliseconds $Milliseconds }
    )
    $startMs = [long](& $Clock)
    $result = [ordered]@{
        state = 'skipped'; waited_ms = 0; attempts = 0; limit_sec = $Seconds
        network_available = $null; dns_servers = $null; host = $HostName; dns = 'not_checked'; socket_error = $null
        addresses = [string[]]@(); detail = $null
    }
    if ($Seconds -le 0) {
        $result['detail'] = 'NetworkWaitSec is 0: the diagnosis starts at once.'
        return $result
    }
    $limitMs = [long]$Seconds * 1000
    while ($true) {
        $result['attempts']++
        $network = & $NetworkState
        $available = [bool]$network['Available']
        $result['network_available'] = $available
        $result['dns_servers'] = $network['DnsServers']
        $result['detail'] = $network['Detail']
        $verdict = 'transient'
        if ($available -and -not $HostName) { $verdict = 'resolved' }
        elseif ($available -and $HostName -match '(^|\.)invalid\.?$') {
            # RFC 6761: names under .invalid never resolve; no DNS server
            # is asked.
            $verdict = 'negative'
            $result['dns'] = 'not_found'
            $result['detail'] = "$HostName does not resolve: names under .invalid never do (RFC 6761)."
        }
        elseif ($available) {
            $budget = [int][math]::Max(500, [math]::Min(5000, $limitMs - ([long](& $Clock) - $startMs)))
            $answer = GetNymiLookupVerdict (& $Lookup $HostName $budget)
            $verdict = $answer.Verdict
            $result['dns'] = $answer.Dns
            $result['socket_error'] = $answer.SocketError
            $result['addresses'] = $answer.Addresses
            $result['detail'] = $null
            if ($answer.Detail) { $result['detail'] = "${HostName}: $($answer.Detail)" }
            if ($verdict -eq 'negative' -and $network['DnsServers'] -eq 0) {
                # No DNS server yet (DHCP not done): the resolver answered
                # alone, the DNS has not spoken.
                $verdict = 'transient'
                $result['detail'] = "$HostName did not resolve ($($answer.Dns)) while no DNS server was configured."
            }
        }
        if ($verdict -eq 'resolved') {
            $result['state'] = 'ready'
            $result['detail'] = $null
            break
        }
        if ($verdict -eq 'negative') {
            $result['state'] = 'answered'
            break
        }
        $left = $limitMs - ([long](& $Clock) - $startMs)
        if ($left -le 0) {
            $result['state'] = 'timeout'
            if (-not $available) { $result['detail'] = 'No network interface was up.' }
            elseif (-not $result['detail']) { $result['detail'] = "$HostName did not resolve ($($result['dns']))." }
            break
        }
        $null = & $Sleep ([int][math]::Min(5000, $left))
    }
    $result['waited_ms'] = [long](& $Clock) - $startMs
    $result
}

function TestNymiHostAdministrator {
    try {
        $principal = New-Object System.Security.Principal.WindowsPrincipal ([System.Security.Principal.WindowsIdentity]::GetCurrent())
        return $principal.IsInRole([System.Security.Principal.WindowsBuiltInRole]::Administrator)
    }
    catch { return $false }
}

function WriteNymiEventLogEntry {
    # One Application log event per run: 1000 OK, 1001 ISSUE, 1002 ERROR.
    param([string] $Source, [string] $Status, [string] $Message)
    $ids = @{ OK = 1000; ISSUE = 1001; ERROR = 1002 }
    $id = 1002
    if ($ids.ContainsKey($Status)) { $id = $ids[$Status] }
    $result = [ordered]@{ state = 'not_applicable'; log = 'Application'; source = $null; event_id = $id; entry_type = $null; source_created = $false; fallback = $null; detail = $null }
    if ([System.Environment]::OSVersion.Platform -ne [System.PlatformID]::Win32NT) {
        $result['detail'] = 'Needs Windows: the Application event log.'
        return $result
    }
    if (-not $Source) {
        $result['state'] = 'skipped'
        $result['detail'] = 'EventSource is empty: no event written.'
        return $result
    }
    $type = [System.Diagnostics.EventLogEntryType]::Warning
    if ($Status -eq 'OK') { $type = [System.Diagnostics.EventLogEntryType]::Information }
    elseif ($Status -eq 'ISSUE') { $type = [System.Diagnostics.EventLogEntryType]::Error }
    $result['entry_type'] = [string]$type
    if ($Message.Length -gt 30000) { $Message = $Message.Substring(0, 30000) }

    # SourceExists reads every log's registration; without the right to
    # read the Security log's it throws, and the write below tells.
    $registered = $null
    try { $registered = [System.Diagnostics.EventLog]::SourceExists($Source) } catch { $registered = $null }
    $why = $null
    if ($registered -eq $false) {
        if (TestNymiHostAdministrator) {
            try {
                [System.Diagnostics.EventLog]::CreateEventSource($Source, 'Application')
                $result['source_created'] = $true
                $registered = $true
            }
            catch { $why = "the source '$Source' could not be registered: $($_.Exception.Message)" }
        }
        else { $why = "the source '$Source' is not registered and registering it needs an administrator (SYSTEM at startup)" }
    }
    if ($registered -ne $false) {
        try {
            try { $result['log'] = [System.Diagnostics.EventLog]::LogNameFromSourceName($Source, '.') } catch { $null = $_ }
            [System.Diagnostics.EventLog]::WriteEntry($Source, $Message, $type, $id)
            $result['state'] = 'written'
            $result['source'] = $Source
            return $result
        }
        catch { $why = "writing with the source '$Source' failed: $($_.Exception.Message)" }
    }

    # Fallback: the source Windows Script Host registers for scripts'
    # events, never another product's (its monitoring keys on its ids).
    try {
        $key = [Microsoft.Win32.Registry]::LocalMachine.OpenSubKey('SYSTEM\CurrentControlSet\Services\EventLog\Application\WSH')
        if (-not $key) { throw 'the WSH source is not registered either' }
        $key.Close()
        [System.Diagnostics.EventLog]::WriteEntry('WSH', ("NymiDiag ($why):`r`n" + $Message), $type, $id)
        $result['state'] = 'written'
        $result['log'] = 'Application'
        $result['source'] = 'WSH'
        $result['fallback'] = 'WSH'
        $result['detail'] = "Written with the WSH source because $why."
    }
    catch {
        $result['state'] = 'failed'
        $result['detail'] = "No event written: $why; the WSH fallback failed too: $($_.Exception.Message)"
    }
    $result
}

function GetNymiEventMessage {
    # Status line, what was found and what to do, for the event.
    param([string] $Line, [object] $Diagnosis, [object] $ErrorInfo, [string] $Folder)
    $text = New-Object System.Text.StringBuilder
    [void]$text.AppendLine($Line).AppendLine()
    if ($Diagnosis) {
        [void]$text.AppendLine([string](GetNymiHostProperty $Diagnosis 'Title'))
        [void]$text.AppendLine([string](GetNymiHostProperty $Diagnosis 'Summary')).AppendLine()
        $steps = @(GetNymiHostProperty $Diagnosis 'NextSteps')
        if ($steps.Count -gt 0) {
            [void]$text.AppendLine('Next steps:')
            foreach ($step in $steps) {
                if (-not $step) { continue }
                $values = @(foreach ($name in 'Order', 'Step', 'RunOn', 'Action', 'Command') { GetNymiHostProperty $step $name })
                [void]$text.AppendLine(('{0}. {1} ({2}): {3}' -f $values[0], $values[1], $values[2], $values[3]))
                if ($values[4]) { [void]$text.AppendLine('   ' + $values[4]) }
            }
            [void]$text.AppendLine()
        }
    }
    elseif ($ErrorInfo) {
        [void]$text.AppendLine(('The check could not run ({0}): {1}' -f $ErrorInfo['code'], $ErrorInfo['detail']))
        switch ($ErrorInfo['code']) {
            'MODULE_NOT_FOUND' { [void]$text.AppendLine('Next step: copy the NymiDiag module folder to %ProgramFiles%\WindowsPowerShell\Modules\NymiDiag\<version>\, or set -ModulePath in this script.') }
            'MODULE_LOAD_FAILED' { [void]$text.AppendLine('Next step: run Import-Module <path>\NymiDiag.psd1 in the same PowerShell (32- or 64-bit) to see the whole error; reinstall the module if a file is missing.') }
            default { [void]$text.AppendLine('Next step: run Invoke-NymiDiagnosis -Verbose elevated on this terminal to see the whole error.') }
        }
        [void]$text.AppendLine()
    }
    if (-not $ErrorInfo -or [string]$ErrorInfo['code'] -notlike 'MODULE_*') { [void]$text.Append('Report: ' + [System.IO.Path]::Combine($Folder, 'startup-*.json') + ' (newest).') }
    $text.ToString()
}

# Group Policy must not see a failed startup script: 0 unless
# -ExitWithStatus asks for 0 OK, 1 ISSUE, 2 ERROR.
$exitCodes = @{ OK = 0; ISSUE = 0; ERROR = 0 }
if ($ExitWithStatus) { $exitCodes = @{ OK = 0; ISSUE = 1; ERROR = 2 } }
if (-not (TestNymiFullLanguage)) {
    NewNymiConstrainedLine
    exit $exitCodes['ERROR']
}
exit (InvokeNymiHostScript -Kind 'nymidiag.startup_check' -Script 'Invoke-NymiStartupCheck.ps1' -Prefix 'startup' -ExitCodes $exitCodes -Bound $PSBoundParameters -Settings ([ordered]@{
            ksp_path = [string[]]@($KspPath)
            log_path = [string[]]@($LogPath)
            module_path = $ModulePath
            network_wait_sec = [math]::Min(180, [math]::Max(0, $NetworkWaitSec))
            event_source = $EventSource
            keep_reports = [math]::Max(1, $KeepReports)
            max_report_mb = [math]::Max(1, $MaxReportMB)
            rule_path = [string[]]@($RulePath)
            exit_with_status = [bool]$ExitWithStatus
        }) -BeforeImport {
        # The network first: the diagnosis runs even when the wait timed
        # out, and then says which stage fails.
        param($Document)
        $Document['event_log'] = $null
        $Document['network'] = WaitNymiNetwork -Seconds $Document['settings']['network_wait_sec'] -HostName (GetNymiNesHostName $Document['settings']['nes_uri'])
    } -BeforeReport {
        # The event also when the module is missing: it then says why.
        param($Document, $Line, $Status, $Diagnosis)
        try {
            $message = GetNymiEventMessage -Line $Line -Diagnosis $Diagnosis -ErrorInfo $Document['error'] -Folder $Document['settings']['report_folder']
            $Document['event_log'] = WriteNymiEventLogEntry -Source $Document['settings']['event_source'] -Status $Status -Message $message
        }
        catch {
            $Document['event_log'] = [ordered]@{ state = 'failed'; detail = $_.Exception.Message }
        }
    })
