# The Azure Monitor Logs Ingestion API side of Send-NymiReport: the table's
# columns, rows as JSON text, the endpoint check, one HTTP request and the
# waits between retries. Requests go through System.Net.Http.HttpClient,
# which .NET Framework 4.5+ (Windows PowerShell 5.1) and .NET 8+
# (PowerShell 7) both ship: unlike Invoke-RestMethod it answers 4xx/5xx
# without throwing, gives Retry-After as a parsed header in both editions,
# and bounds a whole request (connect, send, answer) with one timeout.

# The columns of NymiDiagFleet_CL, in the order of
# powershell/Fleet/NymiDiagFleet_CL.table.json (a test keeps the two equal):
# the fleet device row's properties plus TimeGenerated and Collector, which
# Send-NymiReport fills itself.
$script:NymiFleetColumns = @(
    @('TimeGenerated', 'datetime'), @('Collector', 'string'),
    @('DeviceName', 'string'), @('DeviceId', 'string'), @('Status', 'string'), @('Code', 'string'),
    @('ParseStatus', 'string'), @('ParseProblem', 'string'), @('Version', 'int'), @('Ksp', 'string'),
    @('KspFound', 'int'), @('KspExpected', 'int'), @('Nes', 'string'), @('Stage', 'string'),
    @('Finding', 'string'), @('Confidence', 'string'), @('Expiry', 'datetime'), @('ExpiresInDays', 'int'),
    @('Site', 'string'), @('Logs', 'string'), @('Detail', 'string'), @('Repair', 'string'),
    @('Detection', 'string'), @('LastSeen', 'datetime'), @('Source', 'string'), @('Origin', 'string'),
    @('Line', 'string')
) | ForEach-Object { [PSCustomObject]@{ Name = $_[0]; Type = $_[1] } }
# The same as two arrays (types by first letter: s, i, d), for the row loop.
$script:NymiFleetColumnNames = [string[]]@($script:NymiFleetColumns | ForEach-Object { $_.Name })
$script:NymiFleetColumnTypes = [string[]]@($script:NymiFleetColumns | ForEach-Object { $_.Type.Substring(0, 1) })
$script:NymiFleetColumnKeys = [string[]]@($script:NymiFleetColumns | ForEach-Object { ',"' + $_.Name + '":' })

# "Maximum size of API call: 1 MB, both compressed and uncompressed data"
# (Azure Monitor service limits): gzip saves bandwidth but not room, so a
# batch is measured by its uncompressed UTF-8 bytes. 1,000,000 rather than
# 1,048,576 holds under either reading of "MB".
$script:NymiIngestionMaxBytes = 1000000
# The longest wait a Retry-After may ask for; a longer one is cut to this
# and the retry bound still ends the run.
$script:NymiIngestionMaxRetryAfterSec = 60
# Exponential backoff (1, 2, 4, ... s) when the answer names no wait.
$script:NymiIngestionMaxBackoffSec = 30

# Characters a JSON string cannot hold as they are: the control characters
# (and U+2028/U+2029, for JavaScript readers); quotes and backslashes are
# escaped first, by Replace.
$script:NymiJsonControl = [char[]](@(0..31) + 0x2028, 0x2029)

function ConvertToNymiJsonString {
    # A JSON string literal for $Text.
    [CmdletBinding()]
    [OutputType([string])]
    param([AllowEmptyString()][string] $Text)
    $escaped = $Text.Replace('\', '\\').Replace('"', '\"')
    if ($escaped.IndexOfAny($script:NymiJsonControl) -ge 0) {
        $escaped = [regex]::Replace($escaped, '[\x00-\x1f\u2028\u2029]', { param($m) '\u{0:x4}' -f [int][char]$m.Value })
    }
    '"' + $escaped + '"'
}

function ConvertToNymiIngestionRows {
    # The JSON members of each device row after TimeGenerated (Collector, then
    # every contract column, as JSON values of the column's type), added to
    # $Output; returns how many inputs were not device rows (no DeviceName).
    # Values that do not convert to their column's type are sent as null and
    # their column names added to $Unconverted. One call for all rows, with
    # the conversion inlined: 10,000 rows are 250,000 values, and a
    # PowerShell function call costs tens of microseconds.
    param(
        [System.Collections.Generic.List[object]] $Rows,
        [string] $CollectorJson,
        [System.Collections.Generic.List[string]] $Output,
        [System.Collections.Generic.List[string]] $Unconverted
    )
    # $Row.$name reads a property or a dictionary key alike, at less than
    # half the cost of PSObject.Properties[$name]; without strict mode (in
    # this function only) a column the row lacks reads as $null.
    Set-StrictMode -Off
    $invariant = [System.Globalization.CultureInfo]::InvariantCulture
    $names = $script:NymiFleetColumnNames
    $types = $script:NymiFleetColumnTypes
    $keys = $script:NymiFleetColumnKeys
    $notRows = 0
    $text = New-Object System.Text.StringBuilder 4096
    foreach ($Row in $Rows) {
        if ($null -eq $Row -or $Row -is [string] -or $Row -is [System.ValueType]) { $notRows++; continue }
        if ($Row -is [System.Collections.IDictionary]) { if (-not $Row.Contains('DeviceName')) { $notRows++; continue } }
        elseif ($null -eq $Row.PSObject.Properties['DeviceName']) { $notRows++; continue }
        [void]$text.Clear().Append('"Collector":').Append($CollectorJson)
        for ($i = 2; $i -lt $names.Length; $i++) {
            $name = $names[$i]
            $type = $types[$i]
            $value = $Row.$name
            $literal = 'null'
            if ($null -eq $value) { }
            elseif ($type -eq 's') {
                $escaped = ([string]$value).Replace('\', '\\').Replace('"', '\"')
                if ($escaped.IndexOfAny($script:NymiJsonControl) -ge 0) { $literal = ConvertToNymiJsonString -Text ([string]$value) }
                else { $literal = '"' + $escaped + '"' }
            }
            elseif ($value -is [string] -and $value.Trim().Length -eq 0) { }
            elseif ($type -eq 'i') {
                $number = 0
                if ($value -is [int]) { $literal = $value.ToString($invariant) }
                elseif ($value -is [string]) {
                    if ([int]::TryParse($value.Trim(), [System.Globalization.NumberStyles]::Integer, $invariant, [ref]$number)) { $literal = $number.ToString($invariant) }
                    else { $Unconverted.Add($name) }
                }
                elseif (($value -is [long] -or $value -is [double] -or $value -is [decimal] -or $value -is [single] -or
                        $value -is [short] -or $value -is [byte] -or $value -is [uint32]) -and
                    [math]::Floor([double]$value) -eq [double]$value -and
                    [double]$value -ge [int]::MinValue -and [double]$value -le [int]::MaxValue) {
                    $literal = ([int]$value).ToString($invariant)
                }
                else { $Unconverted.Add($name) }
            }
            else {
                $time = $null
                if ($value -is [datetime]) {
                    if ($value.Kind -eq [System.DateTimeKind]::Local) { $time = $value.ToUniversalTime() }
                    else { $time = [datetime]::SpecifyKind($value, [System.DateTimeKind]::Utc) }
                }
                else { $time = ConvertToNymiUtcTime -Value $value }
                if ($null -ne $time) { $literal = '"' + $time.ToString('yyyy-MM-ddTHH:mm:ss.fffffffZ', $invariant) + '"' }
                else { $Unconverted.Add($name) }
            }
            [void]$text.Append($keys[$i]).Append($literal)
        }
        $Output.Add($text.ToString())
    }
    $notRows
}

function ConvertToNymiUtcTime {
    # A UTC DateTime from a DateTime, a DateTimeOffset or text, or $null.
    # Text is tried as ISO 8601 first (what Get-NymiFleetReport and
    # ConvertTo-Json write), then in the current culture (what Export-Csv
    # writes a DateTime as), then in the invariant culture. A time without a
    # zone is taken as UTC: the fleet rows hold UTC times.
    param([object] $Value)
    if ($Value -is [datetime]) {
        if ($Value.Kind -eq [System.DateTimeKind]::Local) { return $Value.ToUniversalTime() }
        return [datetime]::SpecifyKind($Value, [System.DateTimeKind]::Utc)
    }
    if ($Value -is [System.DateTimeOffset]) { return $Value.UtcDateTime }
    if ($Value -isnot [string]) { return $null }
    $styles = [System.Globalization.DateTimeStyles]::AdjustToUniversal -bor [System.Globalization.DateTimeStyles]::AssumeUniversal
    $text = $Value.Trim()
    $parsed = [datetime]::MinValue
    $cultures = @([System.Globalization.CultureInfo]::CurrentCulture, [System.Globalization.CultureInfo]::InvariantCulture)
    if ($text -match '^\d{4}-\d{2}-\d{2}') { $cultures = @([System.Globalization.CultureInfo]::InvariantCulture) }
    foreach ($culture in $cultures) {
        if ([datetime]::TryParse($text, $culture, $styles, [ref]$parsed)) { return $parsed }
    }
    $null
}

function GetNymiIngestionBase {
    # The endpoint as '<scheme>://<authority>[/<path>]' without a trailing
    # slash, or an error text: https only, except plain http to a loopback
    # address (tests, a local relay). Checked on the text alone: no name is
    # resolved, no connection made.
    param([string] $Endpoint)
    $uri = $null
    if (-not [System.Uri]::TryCreate($Endpoint.Trim(), [System.UriKind]::Absolute, [ref]$uri)) {
        return @{ Problem = "'$Endpoint' is not an absolute URI (expected https://<name>.<region>-1.ingest.monitor.azure.com)" }
    }
    if ($uri.Query -or $uri.Fragment -or $uri.UserInfo) {
        return @{ Problem = "the endpoint '$Endpoint' must not carry a query, a fragment or user information" }
    }
    if ($uri.Scheme -ne 'https') {
        $loopback = $false
        $address = $null
        if ($uri.Host -eq 'localhost') { $loopback = $true }
        elseif ([System.Net.IPAddress]::TryParse($uri.Host.Trim('[', ']'), [ref]$address)) { $loopback = [System.Net.IPAddress]::IsLoopback($address) }
        if ($uri.Scheme -ne 'http' -or -not $loopback) {
            return @{ Problem = "the endpoint must use https (plain http only to a loopback address such as 127.0.0.1, ::1 or localhost); '$Endpoint' would send the token in clear" }
        }
    }
    @{ Base = $uri.GetLeftPart([System.UriPartial]::Path).TrimEnd('/') }
}

function InitializeNymiHttp {
    # System.Net.Http is not loaded in Windows PowerShell 5.1 until asked
    # for. Its .NET Framework handler follows ServicePointManager, which in
    # 5.1 may still offer only TLS 1.0/1.1, refused by the Logs Ingestion
    # API since March 2026: TLS 1.2 is added unless the process already
    # leaves the choice to the system.
    if (-not ('System.Net.Http.HttpClient' -as [type])) { Add-Type -AssemblyName System.Net.Http }
    if ($PSVersionTable.PSEdition -eq 'Desktop') {
        $current = [int][System.Net.ServicePointManager]::SecurityProtocol
        if ($current -ne 0 -and ($current -band 3072) -eq 0) {
            [System.Net.ServicePointManager]::SecurityProtocol = [System.Net.SecurityProtocolType]($current -bor 3072)
        }
    }
}

function NewNymiHttpClient {
    # A client that does not follow redirects (the bearer token goes to the
    # endpoint given and nowhere else) and ends every request after
    # $TimeoutSec, an endpoint that accepts and never answers included.
    param([int] $TimeoutSec, [switch] $NoProxy)
    InitializeNymiHttp
    $handler = New-Object System.Net.Http.HttpClientHandler
    $handler.AllowAutoRedirect = $false
    $handler.UseCookies = $false
    if ($NoProxy) { $handler.UseProxy = $false }
    $client = New-Object System.Net.Http.HttpClient ($handler, $true)
    $client.Timeout = [System.TimeSpan]::FromSeconds($TimeoutSec)
    $client
}

function ConvertToNymiGzip {
    param([byte[]] $Bytes)
    $buffer = New-Object System.IO.MemoryStream
    $gzip = New-Object System.IO.Compression.GZipStream ($buffer, [System.IO.Compression.CompressionMode]::Compress)
    try { $gzip.Write($Bytes, 0, $Bytes.Length) }
    finally { $gzip.Dispose() }
    , $buffer.ToArray()
}

function GetNymiExceptionText {
    # The innermost message of an exception chain, and whether a timeout
    # (a cancelled task) ended it.
    param([System.Exception] $Exception)
    $timedOut = $false
    $inner = $Exception
    while ($null -ne $inner) {
        if ($inner -is [System.OperationCanceledException] -or $inner -is [System.TimeoutException]) { $timedOut = $true }
        if ($null -eq $inner.InnerException) { break }
        $inner = $inner.InnerException
    }
    @{ TimedOut = $timedOut; Message = $inner.Message }
}

function InvokeNymiIngestionRequest {
    # One POST of a gzip body to $Uri. Returns Status (0 when no answer
    # came: timeout or connection failure), RetryAfter (seconds or $null),
    # Message (the service's error message, short) and Problem (why no
    # answer came). The token goes only into the Authorization header.
    param(
        [System.Net.Http.HttpClient] $Client,
        [System.Uri] $Uri,
        [string] $Token,
        [byte[]] $Body,
        [int] $TimeoutSec
    )
    $request = New-Object System.Net.Http.HttpRequestMessage ([System.Net.Http.HttpMethod]::Post, $Uri)
    try {
        $request.Headers.Authorization = New-Object System.Net.Http.Headers.AuthenticationHeaderValue ('Bearer', $Token)
        # .NET Framework would first send Expect: 100-continue and wait for
        # an interim answer: one round trip more per batch.
        $request.Headers.ExpectContinue = $false
        [void]$request.Headers.TryAddWithoutValidation('x-ms-client-request-id', [guid]::NewGuid().ToString())
        $content = [System.Net.Http.ByteArrayContent]::new($Body)
        $content.Headers.ContentType = New-Object System.Net.Http.Headers.MediaTypeHeaderValue ('application/json')
        $content.Headers.ContentEncoding.Add('gzip')
        $request.Content = $content
        # Waited for with WaitAny, which does not throw: a caught exception
        # would still land in the caller's -ErrorVariable and $Error.
        $task = $Client.SendAsync($request)
        [void][System.Threading.Tasks.Task]::WaitAny([System.Threading.Tasks.Task[]]@($task))
        if ($task.IsCanceled -or $task.IsFaulted) {
            $problem = "no answer within $TimeoutSec s"
            if ($task.IsFaulted) {
                $failure = GetNymiExceptionText -Exception $task.Exception
                if (-not $failure.TimedOut) { $problem = "no answer: $($failure.Message)" }
            }
            return @{ Status = 0; RetryAfter = $null; Message = ''; Problem = $problem }
        }
        $response = $task.Result
        try {
            $retryAfter = $null
            $header = $response.Headers.RetryAfter
            if ($null -ne $header) {
                if ($null -ne $header.Delta) { $retryAfter = $header.Delta.TotalSeconds }
                elseif ($null -ne $header.Date) { $retryAfter = [math]::Max(0, ($header.Date - [System.DateTimeOffset]::UtcNow).TotalSeconds) }
            }
            $message = ''
            if (-not $response.IsSuccessStatusCode) {
                $text = ''
                try { $text = $response.Content.ReadAsStringAsync().GetAwaiter().GetResult() } catch { $text = '' }
                $message = GetNymiServiceMessage -Text $text
            }
            @{ Status = [int]$response.StatusCode; Reason = $response.ReasonPhrase; RetryAfter = $retryAfter; Message = $message; Problem = '' }
        }
        finally { $response.Dispose() }
    }
    finally { $request.Dispose() }
}

function GetNymiServiceMessage {
    # The error message of an Azure answer ({"error":{"message":...}}), or
    # the start of the text; one line, at most 300 characters.
    param([string] $Text)
    $message = $Text
    try {
        $parsed = $Text | ConvertFrom-Json -ErrorAction Stop
        if ($parsed.PSObject.Properties['error'] -and $parsed.error.PSObject.Properties['message']) { $message = [string]$parsed.error.message }
    }
    catch { $message = $Text }
    $message = ($message -replace '\s+', ' ').Trim()
    if ($message.Length -gt 300) { $message = $message.Substring(0, 300) + '...' }
    $message
}

function GetNymiRetryDelay {
    # Seconds to wait before retry number $Attempt (0-based): the answer's
    # Retry-After when it gave one, cut to NymiIngestionMaxRetryAfterSec;
    # else 1, 2, 4, ... up to NymiIngestionMaxBackoffSec.
    param([int] $Attempt, [object] $RetryAfter)
    if ($null -ne $RetryAfter) { return [math]::Min([double]$RetryAfter, $script:NymiIngestionMaxRetryAfterSec) }
    [math]::Min([math]::Pow(2, $Attempt), $script:NymiIngestionMaxBackoffSec)
}

function WaitNymiRetry {
    # The one place Send-NymiReport sleeps; tests replace it.
    param([double] $Seconds)
    if ($Seconds -gt 0) { Start-Sleep -Milliseconds ([int][math]::Ceiling($Seconds * 1000)) }
}

function GetNymiManagedIdentityToken {
    # A token for https://monitor.azure.com/ from the Azure Instance
    # Metadata Service of the machine this runs on (an Azure VM or Arc
    # server with a managed identity), as a SecureString. IMDS answers on a
    # link-local address that must not go through a proxy.
    param([int] $TimeoutSec)
    $client = NewNymiHttpClient -TimeoutSec $TimeoutSec -NoProxy
    try {
        $uri = 'http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=' + [System.Uri]::EscapeDataString('https://monitor.azure.com/')
        $request = New-Object System.Net.Http.HttpRequestMessage ([System.Net.Http.HttpMethod]::Get, $uri)
        [void]$request.Headers.TryAddWithoutValidation('Metadata', 'true')
        try {
            $response = $client.SendAsync($request).GetAwaiter().GetResult()
            $text = $response.Content.ReadAsStringAsync().GetAwaiter().GetResult()
            if (-not $response.IsSuccessStatusCode) {
                throw "the instance metadata service answered $([int]$response.StatusCode): $(GetNymiServiceMessage -Text $text)"
            }
            $token = [string]($text | ConvertFrom-Json).access_token
            if (-not $token) { throw 'the instance metadata service gave no access_token' }
            ConvertTo-SecureString -String $token -AsPlainText -Force
        }
        finally { $request.Dispose() }
    }
    finally { $client.Dispose() }
}
