function Send-NymiReport {
    <#
    .SYNOPSIS
    Sends fleet device rows to an Azure Monitor Log Analytics table through the Logs Ingestion API.

    .DESCRIPTION
    For a collector (an admin workstation, a server, Azure Automation or an
    Azure VM with a managed identity), not for the terminals: the token it
    needs may write to the workspace, and no secret belongs on a terminal.

    Takes from the pipeline a fleet report (Get-NymiFleetReport; its Devices
    are sent), fleet device rows, or any objects with the fleet row's
    properties, for example Import-Csv of a Devices CSV written by
    Export-Csv. Each row becomes one record of the NymiDiagFleet_CL table
    (powershell/Fleet/NymiDiagFleet_CL.table.json): every column of the
    table, TimeGenerated set to the time of sending (UTC) and Collector to
    -Collector. Text values are converted to the column's type (int,
    datetime; times as ISO 8601 UTC); a value that does not convert is sent
    as null, counted in Unconverted and reported in one warning, and its row
    is still sent. An input without a DeviceName property is not a row: it
    is counted as failed.

    The rows go as JSON arrays of at most 1,000,000 UTF-8 bytes per request
    (the API takes at most 1 MB per call, compressed or not), gzip
    compressed: the limit counts the uncompressed size too, so compression
    does not make batches larger, but it sends about a tenth of the bytes.
    POST {Endpoint}/dataCollectionRules/{DcrImmutableId}/streams/{StreamName}?api-version=2023-01-01
    with Authorization: Bearer, Content-Type: application/json and
    Content-Encoding: gzip.

    Answers: any 2xx (204) sent the batch. 413 (too large) splits the batch
    in two and sends each half; a single row refused so is failed. 429
    waits for Retry-After (at most 60 s) or, without it, backs off 1, 2,
    4, ... s (at most 30 s), then retries; 408, 5xx and requests without an
    answer within -TimeoutSec are retried the same way, at most -MaxRetries
    times per batch. When a batch gets no answer at all after its retries,
    the rest are not tried (counted failed with the same reason), so a dead
    or stalled endpoint ends the run within about (MaxRetries + 1) x
    TimeoutSec. 401 and 403 stop at once: nothing more is sent, every row
    not yet sent is failed, and the error says what to fix (403: the
    identity needs the role Monitoring Metrics Publisher on the data
    collection rule, and a new role assignment can take up to 30 minutes to
    take effect). Other answers fail their batch and the next is tried.
    When rows fail, a non-terminating error NymiDiag.RowsNotSent (or
    NymiDiag.IngestionUnauthorized / NymiDiag.IngestionForbidden) follows
    the result.

    The endpoint must use https; plain http is accepted only to a loopback
    address (127.0.0.1, ::1, localhost). Redirects are not followed. The
    token is never written to verbose output, warnings or errors.

    Returns one NymiDiag.SendResult: Rows (device rows received), Sent,
    Failed (Rows = Sent + Failed), Batches (requests that sent rows; with
    -WhatIf, the batches that would be sent), Retries, Requests, Unconverted
    (values sent as null), Errors (the distinct reasons rows failed),
    Endpoint and Stream.

    .PARAMETER InputObject
    A fleet report (its Devices are sent), fleet device rows, or objects or
    hashtables with the fleet row's properties (DeviceName at least).

    .PARAMETER Endpoint
    The logs ingestion endpoint: the data collection rule's own
    (properties.endpoints.logsIngestion of a rule of kind Direct, the
    logsIngestionEndpoint output of powershell/Fleet/dcr.json) or a data
    collection endpoint's, for example
    https://dcr-nymidiag-fleet-abcd.westeurope-1.ingest.monitor.azure.com.

    .PARAMETER DcrImmutableId
    The data collection rule's immutable id (dcr- and 32 hex digits; the
    immutableId output of dcr.json), not its resource id.

    .PARAMETER StreamName
    The rule's input stream. Default: Custom-NymiDiagFleet_CL, as declared
    by dcr.json.

    .PARAMETER AccessToken
    A bearer token for the audience https://monitor.azure.com (scope
    https://monitor.azure.com//.default), for example
    (Get-AzAccessToken -ResourceUrl https://monitor.azure.com).Token (a
    SecureString in Az.Accounts 5; older versions give text: convert it with
    ConvertTo-SecureString -AsPlainText -Force). A leading 'Bearer ' is
    ignored.

    .PARAMETER ManagedIdentity
    Gets the token from the managed identity of the Azure VM this runs on,
    through the instance metadata service (http://169.254.169.254), for the
    resource https://monitor.azure.com/. Elsewhere (Azure Automation, an
    Arc-enabled server, a service principal) get the token with
    Get-AzAccessToken and pass -AccessToken.

    .PARAMETER TimeoutSec
    Seconds one request may take, answer included, before it counts as
    unanswered. Default 60.

    .PARAMETER MaxRetries
    Retries per batch after 429, 408, 5xx or no answer. Default 4; 0 sends
    each batch once.

    .PARAMETER Collector
    The Collector column: which computer sent the rows. Default: this
    computer's name.

    .EXAMPLE
    $token = (Get-AzAccessToken -ResourceUrl 'https://monitor.azure.com').Token
    Get-NymiFleetReport -Path .\DeviceRunStates.zip | Send-NymiReport -Endpoint 'https://dcr-nymidiag-fleet-abcd.westeurope-1.ingest.monitor.azure.com' -DcrImmutableId 'dcr-00112233445566778899aabbccddeeff' -AccessToken $token

    Rolls up an Intune export and sends one row per terminal with a token of
    the signed-in Az account (which needs Monitoring Metrics Publisher on
    the rule).

    .EXAMPLE
    Get-NymiFleetReport -RemediationId $id | Send-NymiReport -Endpoint $endpoint -DcrImmutableId $dcr -ManagedIdentity -Verbose

    On an Azure VM whose managed identity has the role on the rule: the
    scheduled form, with one verbose line per request.

    .EXAMPLE
    Import-Csv .\devices.csv | Send-NymiReport -Endpoint $endpoint -DcrImmutableId $dcr -AccessToken $token -WhatIf

    Converts an exported Devices CSV and says how many rows and batches it
    would send, without sending (the result has Sent 0).

    .OUTPUTS
    NymiDiag.SendResult
    #>
    [CmdletBinding(SupportsShouldProcess = $true, DefaultParameterSetName = 'Token')]
    [OutputType('NymiDiag.SendResult')]
    param(
        [Parameter(Mandatory = $true, ValueFromPipeline = $true)]
        [AllowNull()]
        [object] $InputObject,

        [Parameter(Mandatory = $true)]
        [ValidateNotNullOrEmpty()]
        [string] $Endpoint,

        [Parameter(Mandatory = $true)]
        [ValidatePattern('^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$')]
        [string] $DcrImmutableId,

        [ValidatePattern('^[A-Za-z][A-Za-z0-9_-]{0,127}$')]
        [string] $StreamName = 'Custom-NymiDiagFleet_CL',

        [Parameter(Mandatory = $true, ParameterSetName = 'Token')]
        [System.Security.SecureString] $AccessToken,

        [Parameter(Mandatory = $true, ParameterSetName = 'ManagedIdentity')]
        [switch] $ManagedIdentity,

        [ValidateRange(1, 3600)]
        [int] $TimeoutSec = 60,

        [ValidateRange(0, 20)]
        [int] $MaxRetries = 4,

        [ValidateNotNullOrEmpty()]
        [string] $Collector = [System.Environment]::MachineName
    )
    begin {
        $checked = GetNymiIngestionBase -Endpoint $Endpoint
        if ($checked.ContainsKey('Problem')) {
            $exception = New-Object System.ArgumentException ("NymiDiag: Send-NymiReport refused the endpoint: $($checked.Problem).")
            $PSCmdlet.ThrowTerminatingError((New-Object System.Management.Automation.ErrorRecord ($exception, 'NymiDiag.InsecureEndpoint', [System.Management.Automation.ErrorCategory]::InvalidArgument, $Endpoint)))
        }
        $target = '{0}/dataCollectionRules/{1}/streams/{2}' -f $checked.Base, $DcrImmutableId, $StreamName
        $uri = New-Object System.Uri ($target + '?api-version=2023-01-01')
        $collectorJson = ConvertToNymiJsonString -Text $Collector
        $inputs = New-Object 'System.Collections.Generic.List[object]'
        $rows = New-Object 'System.Collections.Generic.List[string]'
        $unconverted = New-Object 'System.Collections.Generic.List[string]'
        $reasons = New-Object 'System.Collections.Generic.List[string]'
        $addReason = {
            param([string] $Reason)
            if (-not $reasons.Contains($Reason)) { $reasons.Add($Reason) }
        }
    }
    process {
        foreach ($item in @($InputObject)) {
            $devices = @($item)
            # A fleet report: its device rows.
            if ($null -ne $item -and $item -isnot [string] -and $item -isnot [System.Collections.IDictionary] -and
                $item.PSObject.Properties['Devices'] -and -not $item.PSObject.Properties['DeviceName']) {
                $devices = @($item.Devices)
            }
            foreach ($device in $devices) {
                if ($null -ne $device) { $inputs.Add($device) }
            }
        }
    }
    end {
        $notRows = ConvertToNymiIngestionRows -Rows $inputs -CollectorJson $collectorJson -Output $rows -Unconverted $unconverted
        if ($notRows -gt 0) { & $addReason 'input that is not a fleet device row (no DeviceName property)' }
        $inputs = $null
        $failed = $notRows
        $result = [PSCustomObject]@{
            PSTypeName = 'NymiDiag.SendResult'
            Rows = $rows.Count + $notRows
            Sent = 0
            Failed = 0
            Batches = 0
            Retries = 0
            Requests = 0
            Unconverted = $unconverted.Count
            Errors = [string[]]@()
            Endpoint = $target
            Stream = $StreamName
        }
        if ($unconverted.Count -gt 0) {
            $counts = @($unconverted | Group-Object | Sort-Object Count -Descending | ForEach-Object { '{0} {1}' -f $_.Name, $_.Count })
            Write-Warning ('NymiDiag: {0} values did not convert to their column''s type and are sent as null: {1}.' -f $unconverted.Count, ($counts -join ', '))
        }

        # Every row starts with the same send time; batches are filled in
        # order up to the byte limit (the brackets and commas counted).
        $encoding = New-Object System.Text.UTF8Encoding ($false)
        $prefix = '{"TimeGenerated":"' + [datetime]::UtcNow.ToString('yyyy-MM-ddTHH:mm:ss.fffZ', [System.Globalization.CultureInfo]::InvariantCulture) + '",'
        $batches = New-Object 'System.Collections.Generic.List[object]'
        $batch = New-Object 'System.Collections.Generic.List[string]'
        $batchBytes = 2
        foreach ($row in $rows) {
            $text = $prefix + $row + '}'
            $size = $encoding.GetByteCount($text)
            if ($size + 2 -gt $script:NymiIngestionMaxBytes) {
                $failed++
                & $addReason ('a row larger than the {0}-byte limit of one request' -f $script:NymiIngestionMaxBytes)
                continue
            }
            $extra = $size
            if ($batch.Count -gt 0) { $extra++ }
            if ($batchBytes + $extra -gt $script:NymiIngestionMaxBytes) {
                $batches.Add($batch)
                $batch = New-Object 'System.Collections.Generic.List[string]'
                $batchBytes = 2
                $extra = $size
            }
            $batch.Add($text)
            $batchBytes += $extra
        }
        if ($batch.Count -gt 0) { $batches.Add($batch) }
        $toSend = 0
        foreach ($b in $batches) { $toSend += $b.Count }

        $finish = {
            param([string] $ErrorId, [string] $Message, [System.Management.Automation.ErrorCategory] $Category)
            $result.Failed = $failed
            $result.Errors = [string[]]$reasons.ToArray()
            $result
            if ($ErrorId) {
                $exception = New-Object System.InvalidOperationException ($Message)
                $PSCmdlet.WriteError((New-Object System.Management.Automation.ErrorRecord ($exception, $ErrorId, $Category, $target)))
            }
            elseif ($failed -gt 0) {
                $exception = New-Object System.InvalidOperationException ('NymiDiag: {0} of {1} rows were not sent: {2}.' -f $failed, $result.Rows, ($reasons -join '; '))
                $PSCmdlet.WriteError((New-Object System.Management.Automation.ErrorRecord ($exception, 'NymiDiag.RowsNotSent', [System.Management.Automation.ErrorCategory]::WriteError, $target)))
            }
        }

        if ($batches.Count -eq 0) {
            Write-Verbose 'NymiDiag: no device rows to send.'
            & $finish
            return
        }
        $action = 'Send {0} rows in {1} batches of at most {2} bytes' -f $toSend, $batches.Count, $script:NymiIngestionMaxBytes
        if (-not $PSCmdlet.ShouldProcess($target, $action)) {
            $result.Batches = $batches.Count
            & $finish
            return
        }

        $plain = $null
        if ($ManagedIdentity) {
            try { $AccessToken = GetNymiManagedIdentityToken -TimeoutSec $TimeoutSec }
            catch {
                $failed += $toSend
                $message = 'NymiDiag: no token from the managed identity: {0}. Send-NymiReport -ManagedIdentity runs on an Azure VM with a managed identity; elsewhere pass -AccessToken (Get-AzAccessToken).' -f (GetNymiExceptionText -Exception $_.Exception).Message
                & $addReason 'no token from the managed identity'
                & $finish 'NymiDiag.ManagedIdentityUnavailable' $message ([System.Management.Automation.ErrorCategory]::AuthenticationError)
                return
            }
        }
        $plain = (New-Object System.Net.NetworkCredential ('', $AccessToken)).Password
        if ($plain -match '^\s*Bearer\s+') { $plain = $plain -replace '^\s*Bearer\s+', '' }
        $plain = $plain.Trim()

        # Batches are taken from the front; the halves of a batch refused
        # as too large go back to the front, in order.
        $pending = New-Object 'System.Collections.Generic.LinkedList[object]'
        foreach ($b in $batches) { [void]$pending.AddLast($b) }
        $client = NewNymiHttpClient -TimeoutSec $TimeoutSec
        $fatal = $null
        try {
            while ($pending.Count -gt 0) {
                $current = $pending.First.Value
                $pending.RemoveFirst()
                $body = $encoding.GetBytes('[' + [string]::Join(',', $current) + ']')
                $compressed = ConvertToNymiGzip -Bytes $body
                $attempt = 0
                while ($true) {
                    $answer = InvokeNymiIngestionRequest -Client $client -Uri $uri -Token $plain -Body $compressed -TimeoutSec $TimeoutSec
                    $result.Requests++
                    $status = $answer.Status
                    $what = 'HTTP {0}' -f $status
                    if ($status -eq 0) { $what = $answer.Problem }
                    Write-Verbose ('NymiDiag: POST {0}: {1} rows, {2} bytes ({3} gzip): {4}' -f $target, $current.Count, $body.Length, $compressed.Length, $what)
                    if ($status -ge 200 -and $status -lt 300) {
                        $result.Sent += $current.Count
                        $result.Batches++
                        break
                    }
                    if ($status -eq 413) {
                        if ($current.Count -gt 1) {
                            $half = [int][math]::Floor($current.Count / 2)
                            $first = $current.GetRange(0, $half)
                            $second = $current.GetRange($half, $current.Count - $half)
                            [void]$pending.AddFirst($second)
                            [void]$pending.AddFirst($first)
                            Write-Verbose ('NymiDiag: 413 (too large): splitting {0} rows into {1} and {2}.' -f $current.Count, $first.Count, $second.Count)
                        }
                        else {
                            $failed++
                            & $addReason 'a row refused as too large (413)'
                        }
                        break
                    }
                    if ($status -eq 401) {
                        $fatal = @{
                            Id = 'NymiDiag.IngestionUnauthorized'
                            Category = [System.Management.Automation.ErrorCategory]::AuthenticationError
                            Reason = 'the endpoint refused the token (401 Unauthorized)'
                            Message = ('NymiDiag: the ingestion endpoint refused the token (401 Unauthorized{0}): it is missing, expired or for another audience. Get one for https://monitor.azure.com (scope https://monitor.azure.com//.default). Nothing more was sent.' -f $(if ($answer.Message) { ': ' + $answer.Message } else { '' }))
                        }
                    }
                    elseif ($status -eq 403) {
                        $fatal = @{
                            Id = 'NymiDiag.IngestionForbidden'
                            Category = [System.Management.Automation.ErrorCategory]::PermissionDenied
                            Reason = 'the identity may not send to the rule (403 Forbidden)'
                            Message = ('NymiDiag: the token''s identity may not send to data collection rule {0} (403 Forbidden{1}). Give it the role Monitoring Metrics Publisher on the rule; a new role assignment can take up to 30 minutes to take effect. Nothing more was sent.' -f $DcrImmutableId, $(if ($answer.Message) { ': ' + $answer.Message } else { '' }))
                        }
                    }
                    if ($fatal) {
                        $failed += $current.Count
                        & $addReason $fatal.Reason
                        break
                    }
                    $retryable = $status -eq 0 -or $status -eq 408 -or $status -eq 429 -or $status -ge 500
                    if ($retryable -and $attempt -lt $MaxRetries) {
                        $delay = GetNymiRetryDelay -Attempt $attempt -RetryAfter $answer.RetryAfter
                        Write-Verbose ('NymiDiag: retry {0} of {1} in {2} s.' -f ($attempt + 1), $MaxRetries, $delay)
                        WaitNymiRetry -Seconds $delay
                        $attempt++
                        $result.Retries++
                        continue
                    }
                    $failed += $current.Count
                    if ($status -eq 0) {
                        # A dead or stalled endpoint: the other batches would
                        # only wait the same way.
                        & $addReason ('{0} (after {1} retries)' -f $answer.Problem, $attempt)
                        foreach ($rest in $pending) { $failed += $rest.Count }
                        $pending.Clear()
                    }
                    elseif ($retryable) {
                        & $addReason ('HTTP {0} {1} (after {2} retries){3}' -f $status, $answer.Reason, $attempt, $(if ($answer.Message) { ': ' + $answer.Message } else { '' }))
                    }
                    else {
                        & $addReason ('HTTP {0} {1}{2}' -f $status, $answer.Reason, $(if ($answer.Message) { ': ' + $answer.Message } else { '' }))
                    }
                    break
                }
                if ($fatal) {
                    foreach ($rest in $pending) { $failed += $rest.Count }
                    $pending.Clear()
                }
            }
        }
        finally {
            $client.Dispose()
            $plain = $null
        }
        if ($fatal) {
            & $finish $fatal.Id $fatal.Message $fatal.Category
            return
        }
        & $finish
    }
}
