# Reading an Intune remediation's per-device results from Microsoft Graph
# (deviceRunStates), for Get-NymiFleetReport -RemediationId. Read only:
# nothing here changes the tenant, so -WhatIf does not apply.
#
# InvokeNymiGraphRequest is the one place that calls Graph; the tests
# replace it (and WaitNymiGraphRetry, the one place that sleeps) with mocks.

# The delegated permission that reads remediation run states; expanding the
# managed device may also need the managed-devices one.
$script:NymiGraphScope = 'DeviceManagementConfiguration.Read.All'
$script:NymiGraphDeviceScope = 'DeviceManagementManagedDevices.Read.All'
# Retries per page after 429, 503 or 504. The SDK's own retry handler
# already retries throttled requests (3 times by default, see
# Set-MgRequestContext), so ours stays small: at most 5 attempts per page,
# each of them up to 4 requests once the SDK's retries are counted.
$script:NymiGraphMaxRetries = 4
# Longest wait for one retry, whatever Retry-After asks for.
$script:NymiGraphMaxWaitSec = 60

function GetNymiGraphCommand {
    # Invoke-MgGraphRequest, or $null when Microsoft.Graph.Authentication is
    # not installed (Get-Command imports the module when it is).
    [CmdletBinding()]
    param()
    Get-Command -Name 'Invoke-MgGraphRequest' -ErrorAction SilentlyContinue | Select-Object -First 1
}

function InvokeNymiGraphRequest {
    # One GET through Invoke-MgGraphRequest; returns the answer as a
    # hashtable. The hashtable output (the default, asked for explicitly
    # when the installed version has -OutputType) is built by the module's
    # own JSON reader, the same in Windows PowerShell 5.1 and PowerShell 7;
    # ConvertFrom-Json is not (7 turns ISO dates into DateTime, 5.1 keeps
    # them as strings). A failed request throws the
    # exception of NewNymiGraphError (status, Retry-After, Graph's message),
    # whatever shape the module's error had.
    [CmdletBinding()]
    param(
        # Relative to the Graph endpoint of the signed-in cloud
        # ('/beta/...'), or absolute (an @odata.nextLink).
        [Parameter(Mandatory = $true)][string] $Uri,
        # The public function's $PSCmdlet, so the error is raised from it.
        [Parameter(Mandatory = $true)][System.Management.Automation.PSCmdlet] $Cmdlet
    )
    $command = GetNymiGraphCommand
    if (-not $command) {
        $message = ('Reading Intune remediation results needs Invoke-MgGraphRequest from the Microsoft.Graph.Authentication module, ' +
            'which is not installed. Install it (Install-Module Microsoft.Graph.Authentication -Scope CurrentUser), sign in with ' +
            'Connect-MgGraph -Scopes {0} (add {1} to read device names), then run the command again; or export the ' +
            'remediation report from Intune and pass it with -Path.') -f $script:NymiGraphScope, $script:NymiGraphDeviceScope
        $exception = New-Object System.InvalidOperationException $message
        $Cmdlet.ThrowTerminatingError((New-Object System.Management.Automation.ErrorRecord ($exception, 'NymiGraphModuleMissing', [System.Management.Automation.ErrorCategory]::NotInstalled, 'Microsoft.Graph.Authentication')))
    }
    $arguments = @{ Method = 'GET'; Uri = $Uri; ErrorAction = 'Stop' }
    if ($command.Parameters -and $command.Parameters.ContainsKey('OutputType')) { $arguments['OutputType'] = 'HashTable' }
    try {
        & $command @arguments
    }
    catch {
        throw (ConvertNymiGraphError -ErrorRecord $_)
    }
}

function NewNymiGraphError {
    # The one shape of a failed Graph request: an exception whose Data holds
    # the HTTP status (0 when unknown), Retry-After as sent (seconds or an
    # HTTP date) and Graph's error code. Plain int and string values: .NET
    # Framework refuses values in Exception.Data that it cannot serialize.
    [CmdletBinding()]
    [OutputType([System.Exception])]
    param(
        [int] $Status = 0,
        [AllowNull()][AllowEmptyString()][string] $RetryAfter,
        [AllowNull()][AllowEmptyString()][string] $Code,
        [AllowNull()][AllowEmptyString()][string] $Message
    )
    if (-not $Message) { $Message = 'the request failed' }
    $exception = New-Object System.InvalidOperationException $Message
    $exception.Data['NymiGraphStatus'] = [int]$Status
    $exception.Data['NymiGraphRetryAfter'] = [string]$RetryAfter
    $exception.Data['NymiGraphCode'] = [string]$Code
    $exception
}

function ConvertNymiGraphError {
    # What Invoke-MgGraphRequest threw, as NewNymiGraphError. Its HTTP
    # errors are HttpResponseException with the HttpResponseMessage in
    # Response and Graph's JSON error body in ErrorDetails; the exception may
    # come wrapped (the cmdlet works asynchronously), so the chain is
    # searched. A WebException-style Response (Headers indexed by name) is
    # read too. Windows PowerShell's .NET has no name for 429, so the status
    # is read as a number, and from the message ('... does not indicate
    # success: 429 ()' there, 'TooManyRequests (Too Many Requests)' in 7)
    # when there is no Response at all.
    [CmdletBinding()]
    [OutputType([System.Exception])]
    param([Parameter(Mandatory = $true)][System.Management.Automation.ErrorRecord] $ErrorRecord)
    $response = $null
    $messages = New-Object System.Collections.Generic.List[string]
    $exception = $ErrorRecord.Exception
    for ($depth = 0; $null -ne $exception -and $depth -lt 10; $depth++) {
        if ($exception.Data -and $exception.Data.Contains('NymiGraphStatus')) { return $exception }
        $messages.Add([string]$exception.Message)
        $property = $exception.PSObject.Properties['Response']
        if ($null -eq $response -and $property -and $null -ne $property.Value) { $response = $property.Value }
        $inner = $exception.InnerException
        if ($null -eq $inner -and $exception -is [System.Management.Automation.IContainsErrorRecord] -and $exception.ErrorRecord -and
            -not [object]::ReferenceEquals($exception.ErrorRecord.Exception, $exception)) {
            $inner = $exception.ErrorRecord.Exception
        }
        $exception = $inner
    }

    $status = 0
    $retryAfter = $null
    if ($null -ne $response) {
        $statusProperty = $response.PSObject.Properties['StatusCode']
        if ($statusProperty) {
            try { $status = [int]$statusProperty.Value } catch { $status = 0 }
        }
        $retryAfter = GetNymiGraphRetryAfterHeader -Response $response
    }
    if ($status -eq 0) { $status = GetNymiGraphStatusFromText -Text ($messages -join ' ') }

    $code = $null
    $message = $null
    $details = $ErrorRecord.ErrorDetails
    if ($details -and $details.Message) {
        try {
            $body = ConvertFrom-Json -InputObject $details.Message -ErrorAction Stop
            $errorProperty = $body.PSObject.Properties['error']
            if ($errorProperty -and $errorProperty.Value) {
                $codeProperty = $errorProperty.Value.PSObject.Properties['code']
                if ($codeProperty) { $code = [string]$codeProperty.Value }
                $messageProperty = $errorProperty.Value.PSObject.Properties['message']
                if ($messageProperty) { $message = [string]$messageProperty.Value }
            }
        }
        catch {
            $message = [string]$details.Message
        }
    }
    if (-not $message -and $messages.Count -gt 0) { $message = $messages[0] }
    NewNymiGraphError -Status $status -RetryAfter $retryAfter -Code $code -Message $message
}

function GetNymiGraphRetryAfterHeader {
    # Retry-After of an HttpResponseMessage (Headers.RetryAfter: a delta or
    # a date) or of a response whose Headers are indexed by name; $null
    # when absent. A date is returned in the HTTP format ('r').
    [CmdletBinding()]
    [OutputType([string])]
    param([Parameter(Mandatory = $true)][object] $Response)
    try {
        $headersProperty = $Response.PSObject.Properties['Headers']
        if (-not $headersProperty -or $null -eq $headersProperty.Value) { return $null }
        $headers = $headersProperty.Value
        $typed = $headers.PSObject.Properties['RetryAfter']
        if ($typed) {
            $value = $typed.Value
            if ($null -eq $value) { return $null }
            if ($null -ne $value.Delta) { return ([double]$value.Delta.TotalSeconds).ToString([System.Globalization.CultureInfo]::InvariantCulture) }
            if ($null -ne $value.Date) { return $value.Date.ToUniversalTime().ToString('r', [System.Globalization.CultureInfo]::InvariantCulture) }
            return $null
        }
        $text = $headers['Retry-After']
        if ($text) { return ([string](@($text)[0])).Trim() }
    }
    catch {
        Write-Verbose "NymiDiag: Graph's Retry-After could not be read: $($_.Exception.Message)"
    }
    $null
}

function GetNymiGraphStatusFromText {
    # The HTTP status named in an error message, 0 when none is.
    [CmdletBinding()]
    [OutputType([int])]
    param([AllowEmptyString()][string] $Text)
    if ($Text -match 'does not indicate success:\s*(\d{3})\b') { return [int]$Matches[1] }
    $names = [ordered]@{
        'TooManyRequests' = 429; 'ServiceUnavailable' = 503; 'GatewayTimeout' = 504
        'Unauthorized' = 401; 'Forbidden' = 403; 'NotFound' = 404; 'BadRequest' = 400; 'InternalServerError' = 500
    }
    if ($Text -match 'does not indicate success:\s*([A-Za-z]+)') {
        $name = $Matches[1]
        foreach ($key in $names.Keys) { if ($key -eq $name) { return $names[$key] } }
    }
    0
}

function GetNymiGraphElapsed {
    # Seconds since $Clock started (tests replace it to pass the time bound
    # without waiting).
    param([Parameter(Mandatory = $true)][System.Diagnostics.Stopwatch] $Clock)
    $Clock.Elapsed.TotalSeconds
}

function WaitNymiGraphRetry {
    # The only sleep of the Graph reader (tests replace it).
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)][double] $Seconds)
    if ($Seconds -gt 0) { Start-Sleep -Milliseconds ([int][math]::Ceiling($Seconds * 1000)) }
}

function GetNymiGraphRetryDelay {
    # Seconds to wait before retry number $Attempt (1-based): Retry-After
    # when it was sent (seconds or an HTTP date), else 2, 4, 8, 16 ...;
    # at least 1 and at most $script:NymiGraphMaxWaitSec.
    [CmdletBinding()]
    [OutputType([double])]
    param(
        [Parameter(Mandatory = $true)][int] $Attempt,
        [AllowNull()][AllowEmptyString()][string] $RetryAfter,
        [datetime] $Now = [datetime]::UtcNow
    )
    $delay = [math]::Pow(2, $Attempt)
    if ($RetryAfter) {
        $text = $RetryAfter.Trim()
        $seconds = 0.0
        $date = [System.DateTimeOffset]::MinValue
        $styles = [System.Globalization.DateTimeStyles]::AssumeUniversal -bor [System.Globalization.DateTimeStyles]::AllowWhiteSpaces
        if ([double]::TryParse($text, [System.Globalization.NumberStyles]::Float, [System.Globalization.CultureInfo]::InvariantCulture, [ref]$seconds)) {
            $delay = $seconds
        }
        elseif ([System.DateTimeOffset]::TryParse($text, [System.Globalization.CultureInfo]::InvariantCulture, $styles, [ref]$date)) {
            $delay = ($date.UtcDateTime - $Now.ToUniversalTime()).TotalSeconds
        }
    }
    [math]::Min([math]::Max($delay, 1.0), [double]$script:NymiGraphMaxWaitSec)
}

function ConvertNymiGraphTable {
    # An item as a dictionary: Invoke-MgGraphRequest's hashtables pass as
    # they are (keys exactly as Graph sends them, camelCase); objects (for
    # example -OutputType PSObject) become a case-insensitive hashtable of
    # their properties. $null stays $null.
    param([AllowNull()][object] $Item)
    if ($null -eq $Item -or $Item -is [System.Collections.IDictionary]) { return , $Item }
    $table = @{}
    foreach ($property in $Item.PSObject.Properties) { $table[$property.Name] = $property.Value }
    , $table
}

function ConvertNymiGraphTime {
    # lastStateUpdateDateTime as a UTC DateTime, or $null. The hashtable
    # output already holds a DateTime (UTC for a 'Z' time); text is parsed
    # as ISO 8601, UTC when it names no zone.
    param([AllowNull()][object] $Value)
    if ($null -eq $Value) { return $null }
    if ($Value -is [System.DateTimeOffset]) { return $Value.UtcDateTime }
    if ($Value -is [datetime]) {
        if ($Value.Kind -eq [System.DateTimeKind]::Unspecified) { return [datetime]::SpecifyKind($Value, [System.DateTimeKind]::Utc) }
        return $Value.ToUniversalTime()
    }
    $text = ([string]$Value).Trim()
    if (-not $text) { return $null }
    $parsed = [System.DateTimeOffset]::MinValue
    $styles = [System.Globalization.DateTimeStyles]::AssumeUniversal
    if ([System.DateTimeOffset]::TryParse($text, [System.Globalization.CultureInfo]::InvariantCulture, $styles, [ref]$parsed)) {
        return $parsed.UtcDateTime
    }
    $null
}

function ConvertNymiGraphRunState {
    # The deviceHealthScriptDeviceState items of one page as rows (one call
    # per page, not per item: a function call costs more than the rest of
    # the row, and 10,000 devices must read in seconds). Without an
    # expanded managedDevice (a device deleted from Intune keeps its run
    # state) the row stays, with no name; its device id then comes from the
    # item id when that reads '<remediation id>:<device id>' (the format is
    # not documented: the second part is taken only when it is a GUID).
    param([AllowNull()][object[]] $Items)
    $guid = [guid]::Empty
    foreach ($entry in $Items) {
        if ($null -eq $entry) { continue }
        # Hashtables (the usual case) are used as they are, without a call.
        $item = $entry
        if ($item -isnot [System.Collections.IDictionary]) { $item = ConvertNymiGraphTable $entry }
        $device = $item['managedDevice']
        if ($null -ne $device -and $device -isnot [System.Collections.IDictionary]) { $device = ConvertNymiGraphTable $device }
        $name = $null
        $id = $null
        if ($null -ne $device) {
            $name = [string]$device['deviceName']
            $id = [string]$device['id']
            if (-not $id) { $id = [string]$device['azureADDeviceId'] }
        }
        if (-not $id) {
            $parts = ([string]$item['id']).Split(':')
            if ($parts.Count -eq 2 -and [guid]::TryParse($parts[1], [ref]$guid)) { $id = $parts[1] }
        }
        if (-not $name) { $name = $null }
        if (-not $id) { $id = $null }
        $output = $item['preRemediationDetectionScriptOutput']
        $postOutput = $item['postRemediationDetectionScriptOutput']
        $detection = $item['detectionState']
        $time = $item['lastStateUpdateDateTime']
        if ($null -ne $output) { $output = [string]$output }
        if ($null -ne $postOutput) { $postOutput = [string]$postOutput }
        if ($null -ne $detection) { $detection = [string]$detection }
        if (-not ($time -is [datetime] -and $time.Kind -eq [System.DateTimeKind]::Utc)) { $time = ConvertNymiGraphTime $time }
        [PSCustomObject]@{
            DeviceName = $name
            DeviceId = $id
            Output = $output
            PostOutput = $postOutput
            LastSeen = $time
            Detection = $detection
        }
    }
}

function NewNymiGraphErrorRecord {
    # A terminating error of the Graph reader; the message says how many
    # devices were read before it.
    param(
        [Parameter(Mandatory = $true)][string] $Message,
        [Parameter(Mandatory = $true)][string] $ErrorId,
        [System.Management.Automation.ErrorCategory] $Category = [System.Management.Automation.ErrorCategory]::InvalidResult,
        [object] $Target,
        [System.Exception] $Inner
    )
    $exception = New-Object System.InvalidOperationException ($Message, $Inner)
    New-Object System.Management.Automation.ErrorRecord ($exception, $ErrorId, $Category, $Target)
}

function GetNymiFleetGraphRows {
    # Every device's latest result of Intune remediation $RemediationId:
    # GET deviceRunStates with the managed device expanded, following
    # @odata.nextLink to the end (empty pages allowed). Bounded: at most
    # $MaxPages pages, $TimeoutSec in all (waits included), and per page
    # $script:NymiGraphMaxRetries retries after 429 (Retry-After honoured,
    # capped) or 503/504 (backoff). A repeated nextLink, the page bound,
    # the time bound, 401/403/404 and other errors stop $Cmdlet with a
    # message that says how many devices were read. Rows: DeviceName,
    # DeviceId, Output, PostOutput, LastSeen (UTC), Detection.
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)][guid] $RemediationId,
        [ValidateSet('beta', 'v1.0')][string] $ApiVersion = 'beta',
        [ValidateRange(1, 100000)][int] $MaxPages = 1000,
        [ValidateRange(1, 86400)][int] $TimeoutSec = 900,
        [Parameter(Mandatory = $true)][System.Management.Automation.PSCmdlet] $Cmdlet
    )
    $id = $RemediationId.ToString()
    $uri = '/{0}/deviceManagement/deviceHealthScripts/{1}/deviceRunStates?$expand=managedDevice($select=id,deviceName,azureADDeviceId)' -f $ApiVersion, $id
    $rows = New-Object System.Collections.Generic.List[object]
    $seen = New-Object 'System.Collections.Generic.HashSet[string]' ([System.StringComparer]::Ordinal)
    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    $waited = 0.0
    $pages = 0
    $retries = 0
    $progress = { '{0} device(s) read from {1} page(s)' -f $rows.Count, $pages }

    while ($uri) {
        if ($pages -ge $MaxPages) {
            $Cmdlet.ThrowTerminatingError((NewNymiGraphErrorRecord -ErrorId 'NymiGraphPageLimit' -Category LimitsExceeded -Target $id -Message (
                        'Graph still had more results for remediation {0} after {1} page(s) (-MaxPages); {2}. Raise -MaxPages if the fleet is that large.' -f $id, $MaxPages, (& $progress))))
        }
        $elapsed = GetNymiGraphElapsed -Clock $clock
        if ($elapsed -gt $TimeoutSec) {
            $Cmdlet.ThrowTerminatingError((NewNymiGraphErrorRecord -ErrorId 'NymiGraphTimeout' -Category OperationTimeout -Target $id -Message (
                        'Reading remediation {0} from Graph took longer than {1} s (-TimeoutSec, {2:0.#} s so far); {3}.' -f $id, $TimeoutSec, $elapsed, (& $progress))))
        }
        if (-not $seen.Add($uri)) {
            $Cmdlet.ThrowTerminatingError((NewNymiGraphErrorRecord -ErrorId 'NymiGraphPagingLoop' -Target $uri -Message (
                        'Graph sent a next-page link it had sent before, so paging would never end (remediation {0}); {1}. Link: {2}' -f $id, (& $progress), $uri)))
        }
        $page = $null
        for ($attempt = 0; ; $attempt++) {
            Write-Verbose ('NymiDiag: Graph page {0}, attempt {1}: GET {2}' -f ($pages + 1), ($attempt + 1), $uri)
            try {
                $page = InvokeNymiGraphRequest -Uri $uri -Cmdlet $Cmdlet
                break
            }
            catch {
                # The wrapper's own stop (the module is missing) goes through as it is.
                if ([string]$_.FullyQualifiedErrorId -like 'NymiGraphModuleMissing*') { throw }
                $failure = ConvertNymiGraphError -ErrorRecord $_
                $status = [int]$failure.Data['NymiGraphStatus']
                $detail = $failure.Message
                $code = [string]$failure.Data['NymiGraphCode']
                if ($code) { $detail = '{0}: {1}' -f $code, $detail }
                if ($status -eq 401) {
                    $Cmdlet.ThrowTerminatingError((NewNymiGraphErrorRecord -ErrorId 'NymiGraphUnauthorized' -Category AuthenticationError -Target $id -Inner $failure -Message (
                                'Graph refused the sign-in (401: {0}). Sign in again with Connect-MgGraph -Scopes {1}; {2}.' -f $detail, $script:NymiGraphScope, (& $progress))))
                }
                if ($status -eq 403) {
                    $Cmdlet.ThrowTerminatingError((NewNymiGraphErrorRecord -ErrorId 'NymiGraphForbidden' -Category PermissionDenied -Target $id -Inner $failure -Message (
                                'Graph denied access to the remediation results (403: {0}). The signed-in account or app needs the {1} permission (and {2} to expand the device), granted with admin consent: Connect-MgGraph -Scopes {1},{2}; {3}.' -f $detail, $script:NymiGraphScope, $script:NymiGraphDeviceScope, (& $progress))))
                }
                if ($status -eq 404) {
                    $Cmdlet.ThrowTerminatingError((NewNymiGraphErrorRecord -ErrorId 'NymiGraphNotFound' -Category ObjectNotFound -Target $id -Inner $failure -Message (
                                'Graph found no remediation (device health script) {0} under /{1} (404: {2}); check the id in Intune > Devices > Scripts and remediations; {3}.' -f $id, $ApiVersion, $detail, (& $progress))))
                }
                $transient = @(429, 503, 504) -contains $status
                if (-not $transient) {
                    $statusText = 'no HTTP status'
                    if ($status -gt 0) { $statusText = 'HTTP {0}' -f $status }
                    $Cmdlet.ThrowTerminatingError((NewNymiGraphErrorRecord -ErrorId 'NymiGraphFailed' -Target $uri -Inner $failure -Message (
                                'Reading remediation {0} from Graph failed ({1}: {2}). If you are not signed in: Connect-MgGraph -Scopes {3}; {4}.' -f $id, $statusText, $detail, $script:NymiGraphScope, (& $progress))))
                }
                if ($attempt -ge $script:NymiGraphMaxRetries) {
                    $errorId = 'NymiGraphUnavailable'
                    $what = 'kept answering {0}' -f $status
                    if ($status -eq 429) { $errorId = 'NymiGraphThrottled'; $what = 'kept throttling the requests (429)' }
                    $Cmdlet.ThrowTerminatingError((NewNymiGraphErrorRecord -ErrorId $errorId -Category ResourceUnavailable -Target $uri -Inner $failure -Message (
                                'Graph {0} for page {1} of remediation {2} after {3} retries ({4}); {5}. Try again later.' -f $what, ($pages + 1), $id, $script:NymiGraphMaxRetries, $detail, (& $progress))))
                }
                $retryAfter = [string]$failure.Data['NymiGraphRetryAfter']
                $delay = GetNymiGraphRetryDelay -Attempt ($attempt + 1) -RetryAfter $retryAfter
                $elapsed = GetNymiGraphElapsed -Clock $clock
                if ($elapsed + $delay -gt $TimeoutSec) {
                    $Cmdlet.ThrowTerminatingError((NewNymiGraphErrorRecord -ErrorId 'NymiGraphTimeout' -Category OperationTimeout -Target $uri -Inner $failure -Message (
                                'Reading remediation {0} from Graph would take longer than {1} s (-TimeoutSec): HTTP {2} asks to wait {3:0.#} s more after {4:0.#} s; {5}.' -f $id, $TimeoutSec, $status, $delay, $elapsed, (& $progress))))
                }
                $retries++
                $waited += $delay
                $hint = 'backoff'
                if ($retryAfter) { $hint = 'Retry-After: {0}' -f $retryAfter }
                Write-Verbose ('NymiDiag: Graph answered {0} for page {1}; retry {2} of {3} in {4:0.#} s ({5})' -f $status, ($pages + 1), ($attempt + 1), $script:NymiGraphMaxRetries, $delay, $hint)
                WaitNymiGraphRetry -Seconds $delay
            }
        }
        $pages++
        if ($null -eq $page -or $page -is [string]) {
            $Cmdlet.ThrowTerminatingError((NewNymiGraphErrorRecord -ErrorId 'NymiGraphBadPage' -Target $uri -Message (
                        'Graph answered page {0} of remediation {1} with something other than a JSON object; {2}.' -f $pages, $id, (& $progress))))
        }
        $page = ConvertNymiGraphTable $page
        if (-not $page.Contains('value')) {
            $Cmdlet.ThrowTerminatingError((NewNymiGraphErrorRecord -ErrorId 'NymiGraphBadPage' -Target $uri -Message (
                        'Graph answered page {0} of remediation {1} without a value list; {2}.' -f $pages, $id, (& $progress))))
        }
        $before = $rows.Count
        foreach ($row in @(ConvertNymiGraphRunState -Items @($page['value']))) { $rows.Add($row) }
        Write-Verbose ('NymiDiag: Graph page {0}: {1} device(s), {2} in all' -f $pages, ($rows.Count - $before), $rows.Count)
        $next = $page['@odata.nextLink']
        if ($next) { $uri = [string]$next } else { $uri = $null }
    }
    Write-Verbose ('NymiDiag: read {0} device(s) of remediation {1} from {2} page(s) with {3} retries ({4:0.#} s waited)' -f $rows.Count, $id, $pages, $retries, $waited)
    $rows.ToArray()
}
