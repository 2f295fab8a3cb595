# What the Intune and GPO scripts run once the module is loaded
# (Invoke-NymiUnattendedCheck): the diagnosis with the scripts' settings
# and, for the remediation, the repair between two diagnoses. Errors are
# collected as text, never written to stderr: those scripts must print one
# line and nothing else.

function GetNymiObjectProperty {
    # A property of $Object, or $null when it has none (strict mode safe).
    param([object] $Object, [string] $Name)
    if ($Object -is [System.Collections.IDictionary]) { if ($Object.Contains($Name)) { return $Object[$Name] } }
    elseif ($null -ne $Object -and $Object.PSObject.Properties[$Name]) { return $Object.PSObject.Properties[$Name].Value }
    $null
}

function InvokeNymiHostDiagnosis {
    # Invoke-NymiDiagnosis with the script's settings (only those given).
    # Non-terminating errors go to $Warnings, never to stderr; throws when
    # no diagnosis came back.
    param([System.Collections.IDictionary] $Settings, [System.Collections.Generic.List[string]] $Warnings)
    $arguments = @{ TimeoutSec = [int]$Settings['timeout_sec']; ExpectedLocal = [int]$Settings['expected_local']; ExpectedNes = [int]$Settings['expected_nes']; ErrorAction = 'Continue'; WarningAction = 'SilentlyContinue'; InformationAction = 'SilentlyContinue'; Verbose = $false }
    foreach ($pair in @(@('NesUri', 'nes_uri'), @('KspPath', 'ksp_path'), @('LogPath', 'log_path'), @('TrustedRootPath', 'trusted_root_path'), @('RulePath', 'rule_path'), @('Site', 'site'))) {
        if (@($Settings[$pair[1]] | Where-Object { $_ }).Count -gt 0) { $arguments[$pair[0]] = $Settings[$pair[1]] }
    }
    $failures = $null
    $output = @(Invoke-NymiDiagnosis @arguments -ErrorVariable failures 2>$null 3>$null 4>$null 5>$null 6>$null)
    foreach ($failure in @($failures)) { if ($failure) { $Warnings.Add([string]$failure) } }
    $diagnosis = $null
    foreach ($item in $output) { if (GetNymiObjectProperty $item 'StatusLine') { $diagnosis = $item } }
    if ($diagnosis) { return $diagnosis }
    if ($Warnings.Count -gt 0) { throw $Warnings[0] }
    throw 'Invoke-NymiDiagnosis returned no diagnosis'
}

function NewNymiHostRepair {
    # The repair record of the remediation's report, before anything ran.
    param([string] $Action = 'failed', [string] $ReasonCode, [string] $Reason, [string] $NesUri)
    [ordered]@{
        action = $Action; reason_code = $(if ($ReasonCode) { $ReasonCode } else { $null }); reason = $(if ($Reason) { $Reason } else { $null })
        before = $null; after = $null; fixed = $false; nes_reachable = $null; nes_uri = $(if ($NesUri) { $NesUri } else { $null })
        service_name = $null; waited_sec = $null; finding_ids = [string[]]@()
    }
}

function InvokeNymiHostRepair {
    # Repair-NymiNeaCertificate without prompting, given only the settings
    # it has parameters for. Returns the repair record; a failed call is
    # action 'failed' with the reason.
    param([System.Management.Automation.CommandInfo] $Command, [string] $NesUri, [string] $NesUriSource, [System.Collections.IDictionary] $Settings, [System.Collections.Generic.List[string]] $Warnings)
    $wanted = @{
        NesUri = $NesUri
        NesUriSource = $NesUriSource
        KspPath = [string[]]@($Settings['ksp_path'])
        LogPath = [string[]]@($Settings['log_path'])
        TimeoutSec = [int]$Settings['timeout_sec']
        WaitSec = [int]$Settings['wait_sec']
        ServiceDisplayName = [string]$Settings['service_display_name']
        TrustedRootPath = [string]$Settings['trusted_root_path']
        ExpectedLocal = [int]$Settings['expected_local']
        ExpectedNes = [int]$Settings['expected_nes']
    }
    $arguments = @{
        Confirm = $false
        ErrorAction = 'Continue'
        WarningAction = 'SilentlyContinue'
        InformationAction = 'SilentlyContinue'
        Verbose = $false
    }
    foreach ($name in @($wanted.Keys)) {
        $value = $wanted[$name]
        $given = ($value -is [int]) -or (@($value | Where-Object { $_ }).Count -gt 0)
        if ($given -and $Command.Parameters.ContainsKey($name)) { $arguments[$name] = $value }
    }
    $repair = NewNymiHostRepair -NesUri $NesUri
    try {
        $failures = $null
        $output = @(& $Command @arguments -ErrorVariable failures 2>$null 3>$null 4>$null 5>$null 6>$null)
        foreach ($failure in @($failures)) { if ($failure) { $Warnings.Add([string]$failure) } }
        $result = $null
        foreach ($item in $output) { if (GetNymiObjectProperty $item 'Action') { $result = $item } }
        if ($result) {
            $repair['action'] = [string](GetNymiObjectProperty $result 'Action')
            foreach ($pair in @(@('reason', 'Reason'), @('before', 'Before'), @('after', 'After'))) {
                $value = GetNymiObjectProperty $result $pair[1]
                if ($null -ne $value -and [string]$value) { $repair[$pair[0]] = [string]$value }
            }
            $repair['fixed'] = [bool](GetNymiObjectProperty $result 'Fixed')
            $reachable = GetNymiObjectProperty $result 'NesReachable'
            if ($null -ne $reachable) { $repair['nes_reachable'] = [bool]$reachable }
            $repair['service_name'] = GetNymiObjectProperty $result 'ServiceName'
            $repair['waited_sec'] = GetNymiObjectProperty $result 'WaitedSec'
            $repair['finding_ids'] = [string[]]@(foreach ($f in @(GetNymiObjectProperty $result 'Findings')) { $id = GetNymiObjectProperty $f 'Id'; if ($id) { [string]$id } })
        }
        elseif ($Warnings.Count -gt 0) { $repair['reason'] = $Warnings[0] }
        else { $repair['reason'] = 'Repair-NymiNeaCertificate returned no result' }
    }
    catch {
        $repair['reason'] = $_.Exception.Message
    }
    $repair['reason_code'] = GetNymiRepairReasonCode $repair
    $repair
}

function GetNymiRepairReasonCode {
    # The repair's reason for the line: a short code for the known
    # outcomes, else the reason itself (the scripts make it one word).
    param([System.Collections.IDictionary] $Repair)
    switch ([string]$Repair['action']) {
        'restarted' { if ($Repair['fixed']) { return $null } else { return 'still_incomplete' } }
        'whatif' { return 'whatif' }
        'none' {
            if ($Repair['nes_reachable'] -eq $false) { return 'NES_unreachable' }
            if ($Repair['fixed']) { return 'certificates_complete' }
        }
    }
    if ($Repair['reason']) { return [string]$Repair['reason'] }
    $null
}

function InvokeNymiHostRemediation {
    # The remediation: the repair (with the NES URL of the settings, else
    # the one a first diagnosis finds in the logs), then the diagnosis
    # again. Fills $Result's Repair, StatusLineBefore, Diagnosis and Error.
    param([System.Collections.IDictionary] $Settings, [System.Collections.Generic.List[string]] $Warnings, [System.Collections.IDictionary] $Result, [version] $ModuleVersion)
    $command = $ExecutionContext.InvokeCommand.GetCommand('Repair-NymiNeaCertificate', [System.Management.Automation.CommandTypes]::Function)
    if (-not $command) {
        # Every NymiDiag with this command has the repair; a module put
        # together without it (the tests' stand-ins) still gets the
        # remediation's documented REPAIR_UNAVAILABLE line.
        $Result['Error'] = [ordered]@{ code = 'REPAIR_UNAVAILABLE'; detail = ('NymiDiag {0} has no Repair-NymiNeaCertificate: install a newer NymiDiag' -f $ModuleVersion) }
        return
    }
    $repairUri = [string]$Settings['nes_uri']
    # 'request': configured by the admin. A URL the diagnosis inferred
    # from the logs (which any user can write) carries its source, so that
    # the repair checks NES without the Windows identity.
    $repairUriSource = 'request'
    if (-not $repairUri) {
        try {
            $first = InvokeNymiHostDiagnosis -Settings $Settings -Warnings $Warnings
            $Result['StatusLineBefore'] = [string]$first.StatusLine
            $repairUri = [string](GetNymiObjectProperty $first 'NesUri')
            $repairUriSource = [string](GetNymiObjectProperty $first 'NesUriSource')
            if (-not $repairUriSource) { $repairUriSource = 'log' }
        }
        catch { $Warnings.Add('The diagnosis before the repair failed: ' + $_.Exception.Message) }
    }
    if ($repairUri -and $repairUriSource -ne 'request' -and -not $command.Parameters.ContainsKey('NesUriSource')) {
        # A repair without -NesUriSource would send the Windows identity to it.
        $Result['Repair'] = NewNymiHostRepair -Action 'none' -ReasonCode 'inferred_NES_URL' -NesUri $repairUri -Reason ('NymiDiag {0} cannot check an NES URL inferred from the logs without the Windows identity: set -NesUri in this script or install a newer NymiDiag' -f $ModuleVersion)
    }
    elseif ($repairUri) {
        $Result['Repair'] = InvokeNymiHostRepair -Command $command -NesUri $repairUri -NesUriSource $repairUriSource -Settings $Settings -Warnings $Warnings
    }
    else {
        $Result['Repair'] = NewNymiHostRepair -Action 'none' -ReasonCode 'no_NES_URL' -Reason 'No NES URL: -NesUri is empty and the logs name none; set -NesUri in this script.'
    }
    try { $Result['Diagnosis'] = InvokeNymiHostDiagnosis -Settings $Settings -Warnings $Warnings }
    catch { $Result['Error'] = [ordered]@{ code = 'DIAGNOSIS_FAILED'; detail = $_.Exception.Message } }
}
