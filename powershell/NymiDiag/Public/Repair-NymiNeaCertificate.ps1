function Repair-NymiNeaCertificate {
    <#
    .SYNOPSIS
    Restarts the EAM Security Service so that the NEA fetches its NES certificates again, and checks that the key stores fill up.

    .DESCRIPTION
    The documented fix for an NEA that holds only its 8 locally generated
    certificates (or whose NES certificates expired) is to restart the EAM
    Security Service once NES can be reached: the NEA then requests the 12
    NES-issued certificates again. This command does that, safely and
    measurably:

    1. Tests NES now (Test-NymiNesConnection; without the Windows identity
       when -NesUriSource says the URL was inferred from the logs). Only a verdict of ok counts as
       reachable (a 401 offering Negotiate, NES_HTTP_AUTH_REQUIRED, is ok).
       When NES cannot be reached, nothing is restarted: a restart cannot
       fetch certificates then, and would only interrupt users. The result
       says why (Action 'none') and a warning is written.
    2. Counts the certificates in the key stores (Get-NymiNeaCertificate
       -Summary). When every store already holds the expected set and none
       has expired, nothing is restarted (Action 'none', Fixed $true).
    3. Finds the one service whose display name matches -ServiceDisplayName
       and asks for confirmation (ConfirmImpact High) naming the service and
       the key stores that will be counted again. -WhatIf shows exactly that
       and changes nothing.
    4. Restarts the service (stop and start, each bounded by 60 seconds;
       running dependent services are started again).
    5. Counts the certificates every few seconds until every store holds the
       expected number of certificates that have not expired, or -WaitSec
       has passed.

    It returns one NymiDiag.RepairResult object: the service, the action
    taken ('restarted', 'none', 'whatif' or 'failed'), the reason, the
    counts before and after (8/20 -> 20/20), whether that fixed it, how long
    it waited, and the findings of the NES test and of the last count.

    A failure (service not found or ambiguous, restart refused, inventory
    error) is reported in the result with Action 'failed' and the reason,
    and as a warning; the command does not throw for it, so a script always
    gets the object. It never deletes, edits or moves certificate or key
    files. Restarting a service needs an elevated session or SYSTEM.

    .PARAMETER NesUri
    NES URL, https://nes.corp.example/nes, or only the host name. Accepts
    the NesUri property of pipeline objects (a NymiDiag.Diagnosis from
    Invoke-NymiDiagnosis). Default: the configured NesUri (policy or
    configuration file, Get-NymiDiagConfiguration); without one the command
    stops with the error NymiNesUriMissing. -TimeoutSec, -TrustedRootPath,
    -ExpectedLocal and -ExpectedNes, when not given, come from the
    configuration too.

    .PARAMETER NesUriSource
    Where -NesUri came from, as Invoke-NymiDiagnosis reports it (its
    NesUriSource property, taken from the pipeline): 'request' (configured
    by the admin) or empty means configured; any other value ('log',
    'log_nes_context') means it was inferred from the logs, which any user
    can write. NES is then checked without the Windows identity: the
    request with Kerberos/NTLM (Test-NymiNesConnection's windows_auth
    stage) goes only to a configured URL.

    .PARAMETER KspPath
    Key store folders (ksp) or NSL folders to count. Default: the LocalSystem
    profile's NSL\*\ksp folders, as Get-NymiNeaCertificate reads them.
    Accepts the KspPath property of pipeline objects.

    .PARAMETER ServiceDisplayName
    Regular expression the display name of the service to restart must
    match; exactly one service may match. Default 'EAM Security Service'.

    .PARAMETER WaitSec
    How long to wait after the restart for the key stores to fill, in
    seconds (0 to 600). Default 120. The stores are counted every 5 seconds.

    .PARAMETER TimeoutSec
    Deadline of the NES test, in seconds. Default 20.

    .PARAMETER TrustedRootPath
    PEM or DER file with CA certificates the NES certificate may chain to,
    passed to Test-NymiNesConnection.

    .PARAMETER ExpectedLocal
    Locally generated certificates a healthy NEA holds. Default 8.

    .PARAMETER ExpectedNes
    NES-issued certificates a healthy NEA holds. Default 12.

    .EXAMPLE
    Repair-NymiNeaCertificate -NesUri https://nes.corp.example/nes -WhatIf

    Tests NES and counts the certificates, then shows which service would be
    restarted and which key stores would be counted again, without
    restarting anything.

    .EXAMPLE
    Invoke-NymiDiagnosis -NesUri nes.corp.example | Where-Object VerdictId -Like 'NEA_CERTS_*' | Repair-NymiNeaCertificate

    Repairs only when the diagnosis found missing or expired NEA
    certificates; the NES URL comes from the diagnosis. Asks for
    confirmation first.

    .EXAMPLE
    # Intune Remediations, remediation script (runs as SYSTEM, non-interactive).
    # %ProgramW6432%: the 64-bit Program Files also in Intune's 32-bit host.
    $pf = if ($env:ProgramW6432) { $env:ProgramW6432 } else { $env:ProgramFiles }
    Import-Module "$pf\WindowsPowerShell\Modules\NymiDiag\0.1.0\NymiDiag.psd1" -ErrorAction Stop
    $r = Repair-NymiNeaCertificate -NesUri 'https://nes.corp.example/nes' -WaitSec 180 -Confirm:$false -WarningAction SilentlyContinue
    $status = if ($r.Fixed) { 'OK' } else { 'ISSUE' }
    "STATUS=$status action=$($r.Action) ksp=$($r.Before)->$($r.After) service=$($r.ServiceName) reason=$($r.Reason)"
    if ($r.Fixed) { exit 0 } else { exit 1 }

    -Confirm:$false is needed where nobody can answer the prompt (Intune,
    GPO startup scripts, scheduled tasks). The script ends with exactly one
    status line, which is what the Intune portal keeps; it exits 1 when the
    stores are still incomplete, for example because NES cannot be reached
    (Action none) so a restart was not attempted.

    .EXAMPLE
    Repair-NymiNeaCertificate -NesUri nes.corp.example -KspPath 'C:\Windows\System32\config\systemprofile\AppData\Roaming\Nymi\NSL\1a2b\ksp' -ServiceDisplayName '^Evidian EAM Security' -WaitSec 300

    Restarts the service whose display name starts with 'Evidian EAM
    Security' and waits up to five minutes for that one key store to hold
    20 certificates.

    .OUTPUTS
    NymiDiag.RepairResult

    .LINK
    Get-NymiNeaCertificate

    .LINK
    Test-NymiNesConnection

    .LINK
    about_NymiDiag
    #>
    [CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'High')]
    [OutputType('NymiDiag.RepairResult')]
    param(
        [Parameter(Position = 0, ValueFromPipelineByPropertyName = $true)]
        [Alias('Uri', 'Url')]
        [ValidateNotNullOrEmpty()]
        [string] $NesUri,

        [Parameter(ValueFromPipelineByPropertyName = $true)]
        [AllowNull()]
        [AllowEmptyString()]
        [string] $NesUriSource,

        [Parameter(ValueFromPipelineByPropertyName = $true)]
        [AllowNull()]
        [AllowEmptyCollection()]
        [string[]] $KspPath,

        [ValidateNotNullOrEmpty()]
        [string] $ServiceDisplayName = 'EAM Security Service',

        [ValidateRange(0, 600)]
        [int] $WaitSec = 120,

        [ValidateRange(1, 600)]
        [int] $TimeoutSec = 20,

        [ValidateNotNullOrEmpty()]
        [string] $TrustedRootPath,

        [ValidateRange(0, 10000)]
        [int] $ExpectedLocal = 8,

        [ValidateRange(0, 10000)]
        [int] $ExpectedNes = 12
    )
    process {
        # What the caller did not give comes from the policy, the
        # configuration file or the default (Get-NymiDiagConfiguration). A
        # configured URL is the admin's, as one given here.
        $configured = GetNymiConfiguredSettings -Cmdlet $PSCmdlet -Bound $PSBoundParameters
        foreach ($name in 'NesUri', 'TimeoutSec', 'TrustedRootPath', 'ExpectedLocal', 'ExpectedNes') {
            if (-not $PSBoundParameters.ContainsKey($name) -and $configured[$name] -ne '') { Set-Variable -Name $name -Value $configured[$name] -WhatIf:$false -Confirm:$false }
        }
        if (-not $NesUri) {
            $exception = New-Object System.ArgumentException 'No NES URL: give -NesUri, or set NesUri in the policy or the configuration file (Get-NymiDiagConfiguration).'
            $PSCmdlet.ThrowTerminatingError((New-Object System.Management.Automation.ErrorRecord ($exception, 'NymiNesUriMissing', [System.Management.Automation.ErrorCategory]::InvalidArgument, $null)))
        }
        $state = [ordered]@{
            NesUri = $NesUri
            ServiceName = $null
            ServiceDisplayName = $null
            Action = 'none'
            Reason = $null
            Before = $null
            After = $null
            BeforeCount = $null
            AfterCount = $null
            Expected = $ExpectedLocal + $ExpectedNes
            Fixed = $false
            WaitedSec = 0.0
            NesReachable = $false
            KspPath = [string[]]@()
            Findings = @()
        }
        $nesFindings = @()
        $inventoryArguments = @{ ExpectedLocal = $ExpectedLocal; ExpectedNes = $ExpectedNes; Summary = $true; WarningAction = 'SilentlyContinue' }
        $paths = @($KspPath | Where-Object { $_ })
        if ($paths.Count -gt 0) { $inventoryArguments['Path'] = [string[]]$paths }

        # (a) NES must answer now, or a restart cannot fetch anything.
        try {
            $nesArguments = @{ Uri = $NesUri; TimeoutSec = $TimeoutSec }
            # Credentials only for a configured URL.
            if ($NesUriSource -and $NesUriSource -ne 'request') { $nesArguments['NoWindowsIdentity'] = $true }
            if ($TrustedRootPath) { $nesArguments['TrustedRootPath'] = $TrustedRootPath }
            $test = TestNymiNesReachable -Arguments $nesArguments
            $connection = $test.Connection
            $nesFindings = @($connection.Findings)
            $state.NesReachable = [bool]$test.Reachable
            if (-not $state.NesReachable) {
                $state.Action = 'none'
                $state.Reason = "NES is not reachable ({0} at stage {1}: {2}); restarting the service cannot fetch the certificates. Fix the path to NES first." -f $connection.FindingId, $connection.FailedStage, $connection.Summary
                $state.Findings = $nesFindings
                WriteNymiRepairOutcome -State $state
                return
            }
        }
        catch {
            $state.Action = 'failed'
            $state.Reason = "The NES test failed: $($_.Exception.Message)"
            WriteNymiRepairOutcome -State $state
            return
        }

        # (b) The certificates before.
        $before = $null
        try { $before = MeasureNymiNeaStore -Arguments $inventoryArguments }
        catch {
            $state.Action = 'failed'
            $state.Reason = "The key stores could not be counted: $($_.Exception.Message)"
            $state.Findings = $nesFindings
            WriteNymiRepairOutcome -State $state
            return
        }
        $state.Expected = $before.Expected
        $state.Before = $before.Text
        $state.BeforeCount = $before.Count
        $state.KspPath = $before.Paths
        $state.Findings = @($nesFindings) + @($before.Findings)
        if ($before.Complete) {
            $state.Action = 'none'
            $state.Fixed = $true
            $state.After = $before.Text
            $state.AfterCount = $before.Count
            $state.Reason = "Every key store already holds $($before.Text) certificates that have not expired; no restart needed."
            WriteNymiRepairOutcome -State $state
            return
        }

        # (c) Exactly one service to restart.
        $services = @()
        try { $services = @(FindNymiService -Pattern $ServiceDisplayName) }
        catch {
            $state.Action = 'failed'
            $state.Reason = "The service could not be looked up: $($_.Exception.Message)"
            WriteNymiRepairOutcome -State $state
            return
        }
        if ($services.Count -ne 1) {
            $state.Action = 'failed'
            if ($services.Count -eq 0) {
                $state.Reason = "No service's display name matches '$ServiceDisplayName'."
            }
            else {
                $state.Reason = "{0} services match '{1}' ({2}); give a -ServiceDisplayName that matches one." -f $services.Count, $ServiceDisplayName, (($services | ForEach-Object { "$($_.Name): $($_.DisplayName)" }) -join '; ')
            }
            WriteNymiRepairOutcome -State $state
            return
        }
        $service = $services[0]
        $state.ServiceName = $service.Name
        $state.ServiceDisplayName = $service.DisplayName

        $where = 'the default key stores'
        if (@($before.Paths).Count -gt 0) { $where = "'" + ($before.Paths -join "', '") + "'" }
        $description = "Restart service '{0}' ({1}), then count the NEA certificates in {2} every 5 s for up to {3} s until each store holds {4} (now {5}). No certificate file is changed." -f $service.Name, $service.DisplayName, $where, $WaitSec, $before.Expected, $before.Text
        $question = "Restart service '{0}' ({1}) so that the NEA fetches its NES certificates again? Band taps and Evidian SSO on this terminal are unavailable while it restarts." -f $service.Name, $service.DisplayName
        if (-not $PSCmdlet.ShouldProcess($description, $question, 'Repair NEA certificates')) {
            if ($WhatIfPreference) {
                $state.Action = 'whatif'
                $state.Reason = $description
            }
            else {
                $state.Action = 'none'
                $state.Reason = 'The restart was not confirmed.'
            }
            return NewNymiRepairResult -State $state
        }

        # (d) Restart.
        $restart = RestartNymiService -Name $service.Name -TimeoutSec 60
        if (-not $restart.Succeeded) {
            $state.Action = 'failed'
            $state.Reason = "Restarting '$($service.Name)' failed: $($restart.Reason)"
            WriteNymiRepairOutcome -State $state
            return
        }
        $state.Action = 'restarted'

        # (e) Wait for the stores to fill.
        $clock = [System.Diagnostics.Stopwatch]::StartNew()
        $after = $null
        $problem = $null
        while ($true) {
            try {
                $after = MeasureNymiNeaStore -Arguments $inventoryArguments
                $problem = $null
            }
            catch {
                $problem = $_.Exception.Message
            }
            if ($after -and $after.Complete) { break }
            $left = $WaitSec - $clock.Elapsed.TotalSeconds
            if ($left -le 0) { break }
            Start-Sleep -Milliseconds ([int]([math]::Min(5.0, $left) * 1000))
        }
        $state.WaitedSec = [math]::Round($clock.Elapsed.TotalSeconds, 1)
        if ($after) {
            $state.After = $after.Text
            $state.AfterCount = $after.Count
            $state.KspPath = $after.Paths
            $state.Findings = @($nesFindings) + @($after.Findings)
            $state.Fixed = [bool]$after.Complete
        }
        if ($state.Fixed) {
            $state.Reason = "Restarted '$($service.Name)'; the key stores went from $($before.Text) to $($after.Text) in $($state.WaitedSec) s."
        }
        elseif ($after) {
            $state.Reason = "Restarted '$($service.Name)', but after $($state.WaitedSec) s the key stores hold $($after.Text) (expected $($after.Expected) not expired). Read the WGSS and nymi_api logs (Search-NymiLog) for the token request."
        }
        else {
            $state.Reason = "Restarted '$($service.Name)', but the key stores could not be counted afterwards: $problem"
        }
        WriteNymiRepairOutcome -State $state
    }
}
