function Invoke-NymiUnattendedCheck {
    <#
    .SYNOPSIS
    Runs the check of the Intune and GPO scripts: the diagnosis, and with
    -Repair the repair between two diagnoses, without prompting or writing
    to stderr.

    .DESCRIPTION
    What Detect-NymiNeaCertificates.ps1, Invoke-NymiStartupCheck.ps1
    (without -Repair) and Remediate-NymiNeaCertificates.ps1 (with -Repair)
    run once they have imported the module; your own unattended scripts can
    call it too. It never prompts and writes nothing to the error,
    warning, verbose or information streams: every error is in the result.

    Without -Repair: Invoke-NymiDiagnosis with the given settings (empty
    ones are left out). -NesUri, -TimeoutSec, -TrustedRootPath,
    -ExpectedLocal, -ExpectedNes and -Site, when not given, come from the
    policy or the configuration file (Get-NymiDiagConfiguration); a broken
    configuration is the error CONFIG_INVALID. With -Repair: when -NesUri is empty, a first
    diagnosis finds the NES URL in the logs (StatusLineBefore); then
    Repair-NymiNeaCertificate -Confirm:$false (only with a known NES URL;
    an inferred URL is passed with its source, so that NES is checked
    without the Windows identity), then the diagnosis again.

    Returns a NymiDiag.UnattendedCheck: StatusLine (the diagnosis's line,
    $null when none came back), Status (OK, ISSUE or ERROR), Error (code
    and detail when the check could not run: CONFIG_INVALID,
    DIAGNOSIS_FAILED or REPAIR_UNAVAILABLE; the scripts turn it into their STATUS=ERROR line),
    Diagnosis, Repair (the record the remediation's report keeps: action,
    reason_code, reason, before, after, fixed, nes_reachable, nes_uri,
    service_name, waited_sec, finding_ids), StatusLineBefore and Warnings
    (the errors and warnings of the commands it ran, as text).

    .PARAMETER NesUri
    NES URL as configured for the Evidian client. Default '': the URL the
    diagnosis finds in the logs.

    .PARAMETER KspPath
    Key store (ksp) or NSL folders instead of the default location.

    .PARAMETER LogPath
    Log files or folders instead of the usual Nymi and Evidian places.

    .PARAMETER TimeoutSec
    Deadline of the NES probe and of each Windows network check, 1 to 60
    seconds. Default 20.

    .PARAMETER TrustedRootPath
    PEM or DER file of CA certificates the NES certificate should chain to.
    Default '': none.

    .PARAMETER RulePath
    Additional log rule packs (TOML files). Default: none.

    .PARAMETER ExpectedLocal
    Certificates the NEA generates itself in a complete key store. Default 8.

    .PARAMETER ExpectedNes
    Certificates NES issues in a complete key store. Default 12.

    .PARAMETER Site
    Free text naming this terminal's site (at most 64 characters), carried
    in the status line as site=. Default '': none.

    .PARAMETER Repair
    Run the remediation: the repair between two diagnoses.

    .PARAMETER WaitSec
    With -Repair: how long Repair-NymiNeaCertificate waits for the
    certificates after a restart, 0 to 600 seconds. Default 120.

    .PARAMETER ServiceDisplayName
    With -Repair: the display name of the service to restart. Default '':
    Repair-NymiNeaCertificate's own (EAM Security Service).

    .EXAMPLE
    (Invoke-NymiUnattendedCheck -NesUri https://nes.corp.example/nes).StatusLine

    The status line a detection script prints, for example
    STATUS=ISSUE v=1 code=NEA_CERTS_NOT_RETRIEVED_TCP_BLOCKED ksp=8/20 ...

    .EXAMPLE
    $check = Invoke-NymiUnattendedCheck -NesUri https://nes.corp.example/nes -Repair -WaitSec 60; $check.Repair.action

    Restarts the EAM Security Service only when NES answers, diagnoses
    again and says what the repair did (restarted, none or failed).

    .OUTPUTS
    NymiDiag.UnattendedCheck
    #>
    [CmdletBinding()]
    [OutputType('NymiDiag.UnattendedCheck')]
    param(
        [string] $NesUri = '',
        [string[]] $KspPath = @(),
        [string[]] $LogPath = @(),
        [ValidateRange(1, 60)][int] $TimeoutSec = 20,
        [string] $TrustedRootPath = '',
        [string[]] $RulePath = @(),
        [ValidateRange(0, 100)][int] $ExpectedLocal = 8,
        [ValidateRange(0, 100)][int] $ExpectedNes = 12,
        [ValidateLength(0, 64)][string] $Site = '',
        [switch] $Repair,
        [ValidateRange(0, 600)][int] $WaitSec = 120,
        [string] $ServiceDisplayName = ''
    )
    $warnings = New-Object System.Collections.Generic.List[string]
    $result = [ordered]@{ Diagnosis = $null; Error = $null; Repair = $null; StatusLineBefore = $null }
    # What the caller did not give comes from the policy, the configuration
    # file or the default; a broken configuration is the check's error.
    $resolved = ResolveNymiConfiguration -Parameters $PSBoundParameters
    if ($resolved.Problems.Count -gt 0) {
        $result['Error'] = [ordered]@{ code = 'CONFIG_INVALID'; detail = (FormatNymiConfigProblem $resolved.Problems) }
    }
    foreach ($name in 'NesUri', 'TimeoutSec', 'TrustedRootPath', 'ExpectedLocal', 'ExpectedNes', 'Site') {
        if (-not $PSBoundParameters.ContainsKey($name)) { Set-Variable -Name $name -Value $resolved.Settings[$name]['Value'] }
    }
    # The host scripts' time tables assume at most 60 s.
    $TimeoutSec = [math]::Min(60, [math]::Max(1, $TimeoutSec))
    $settings = @{
        nes_uri = $NesUri; ksp_path = [string[]]@($KspPath); log_path = [string[]]@($LogPath); timeout_sec = $TimeoutSec
        trusted_root_path = $TrustedRootPath; rule_path = [string[]]@($RulePath); wait_sec = $WaitSec; service_display_name = $ServiceDisplayName
        expected_local = $ExpectedLocal; expected_nes = $ExpectedNes; site = $Site
    }
    # Nothing runs on a broken configuration: the line says why.
    if ($Repair -and -not $result['Error']) {
        InvokeNymiHostRemediation -Settings $settings -Warnings $warnings -Result $result -ModuleVersion $MyInvocation.MyCommand.Module.Version
    }
    elseif (-not $result['Error']) {
        try { $result['Diagnosis'] = InvokeNymiHostDiagnosis -Settings $settings -Warnings $warnings }
        catch { $result['Error'] = [ordered]@{ code = 'DIAGNOSIS_FAILED'; detail = $_.Exception.Message } }
    }
    $line = $null
    if (-not $result['Error'] -and $result['Diagnosis']) { $line = [string]$result['Diagnosis'].StatusLine }
    $status = 'ERROR'
    if ($line -and $line -match '^STATUS=([A-Z]+) ') { $status = $Matches[1] }
    [PSCustomObject]@{
        PSTypeName = 'NymiDiag.UnattendedCheck'
        Status = $status
        StatusLine = $line
        Error = $result['Error']
        Diagnosis = $result['Diagnosis']
        Repair = $result['Repair']
        StatusLineBefore = $result['StatusLineBefore']
        Warnings = [string[]]$warnings.ToArray()
    }
}
