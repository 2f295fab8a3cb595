# The one place the module finds, restarts and reads Windows services. The
# operations are scriptblocks on $script:NymiServiceControl so that tests can
# replace them (InModuleScope NymiDiag { $script:NymiServiceControl.Restart =
# { ... } }) and run the decisions around them on any platform:
#   Find    (display-name regex)      -> service objects: Name, DisplayName, Status
#   Restart (name, timeout seconds)   -> the service object after the restart; throws on failure
#   Status  (name)                    -> the status as a string ('Running', 'Stopped', ...)
# Off Windows every operation throws a "not applicable" error.

function NewNymiServiceControl {
    [CmdletBinding()]
    param()
    if (-not (TestNymiIsWindows)) {
        $notApplicable = {
            throw 'NymiDiag: service control is not applicable on this operating system: it needs Windows (Get-Service, Restart-Service).'
        }
        return [PSCustomObject]@{
            PSTypeName = 'NymiDiag.ServiceControl'
            Find = $notApplicable
            Restart = $notApplicable
            Status = $notApplicable
        }
    }
    [PSCustomObject]@{
        PSTypeName = 'NymiDiag.ServiceControl'
        Find = {
            param([string] $Pattern)
            # Some services cannot be queried by a non-elevated caller; the
            # rest are still listed.
            @(Get-Service -ErrorAction SilentlyContinue | Where-Object { $_.DisplayName -match $Pattern } | ForEach-Object {
                    # StartType needs .NET Framework 4.6.1.
                    $startType = $null
                    if ($_.PSObject.Properties['StartType']) { $startType = [string]$_.StartType }
                    [PSCustomObject]@{
                        Name = [string]$_.Name
                        DisplayName = [string]$_.DisplayName
                        Status = [string]$_.Status
                        StartType = $startType
                    }
                })
        }
        Restart = {
            param([string] $Name, [int] $TimeoutSec)
            # ServiceController rather than Restart-Service, so that both the
            # stop and the start are bounded by the timeout. Stop() stops the
            # running dependent services first; they are started again after.
            $span = [timespan]::FromSeconds($TimeoutSec)
            $service = Get-Service -Name $Name -ErrorAction Stop
            $dependents = @($service.DependentServices | Where-Object { $_.Status -eq 'Running' } | ForEach-Object { $_.Name })
            $service.Refresh()
            if ($service.Status -ne 'Stopped') {
                if ($service.Status -ne 'StopPending') { $service.Stop() }
                $service.WaitForStatus('Stopped', $span)
            }
            $service.Start()
            $service.WaitForStatus('Running', $span)
            foreach ($dependent in $dependents) {
                $other = Get-Service -Name $dependent -ErrorAction SilentlyContinue
                if ($other -and $other.Status -eq 'Stopped') {
                    $other.Start()
                    $other.WaitForStatus('Running', $span)
                }
            }
            $service.Refresh()
            [PSCustomObject]@{ Name = [string]$service.Name; DisplayName = [string]$service.DisplayName; Status = [string]$service.Status }
        }
        Status = {
            param([string] $Name)
            [string](Get-Service -Name $Name -ErrorAction Stop).Status
        }
    }
}

function FindNymiService {
    # Services whose display name matches the regex, through the seam.
    # Throws what the seam throws (off Windows: not applicable).
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)][string] $Pattern)
    @(& $script:NymiServiceControl.Find $Pattern | ForEach-Object {
            $status = $null
            if ($_.PSObject.Properties['Status']) { $status = [string]$_.Status }
            $startType = $null
            if ($_.PSObject.Properties['StartType'] -and $_.StartType) { $startType = [string]$_.StartType }
            [PSCustomObject]@{
                Name = [string]$_.Name
                DisplayName = [string]$_.DisplayName
                Status = $status
                StartType = $startType
            }
        })
}

function RestartNymiService {
    # Restarts one service through the seam and never throws: the result
    # says whether it worked and why not.
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)][string] $Name, [int] $TimeoutSec = 60)
    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    $status = $null
    $reason = $null
    $succeeded = $false
    try {
        $after = & $script:NymiServiceControl.Restart $Name $TimeoutSec
        $succeeded = $true
        if ($after -and $after.PSObject.Properties['Status']) { $status = [string]$after.Status }
        if (-not $status) {
            try { $status = [string](& $script:NymiServiceControl.Status $Name) }
            catch { Write-Verbose "NymiDiag: the status of service '$Name' could not be read: $($_.Exception.Message)" }
        }
    }
    catch {
        $reason = $_.Exception.Message
        if ($_.Exception.InnerException) { $reason = '{0} ({1})' -f $reason, $_.Exception.InnerException.Message }
    }
    [PSCustomObject]@{
        Name = $Name
        Succeeded = $succeeded
        Status = $status
        Reason = $reason
        DurationMs = [int64]$clock.ElapsedMilliseconds
    }
}

$script:NymiServiceControl = NewNymiServiceControl
