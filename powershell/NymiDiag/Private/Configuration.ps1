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
