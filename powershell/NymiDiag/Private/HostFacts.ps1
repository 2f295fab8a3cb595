# The host observations: what only Windows can see on this terminal, in
# the shape nymidiag_diagnose accepts as its 'host' object. Raw
# observations only; the library turns them into the HOST_* checks, their
# findings and their effect on the verdict. One function per observation
# gathers the data (thin, Windows only) and one ConvertToNymi*Observation
# function puts plain data into the contract shape (tested everywhere).
#
#   { "services": { "state", "detail", "seen" }, "ble_adapter": ...,
#     "winhttp_proxy": ..., "windows_auth": ..., "chain_engine": ...,
#     "terminal_addresses": [ "10.30.4.77" ], "dns_servers": [ "10.30.0.10" ],
#     "domain_controllers": [ "10.30.0.5" ] }
#
# state is observed, skipped, not_applicable or failed; detail says why
# when it is not observed. The network facts (addresses, DNS servers) come
# from .NET and are gathered on every platform; the domain controllers
# only on Windows. Nothing throws out of GetNymiHostObservations: an
# observation that fails is state 'failed' with the reason.

$script:NymiHostObservationNames = @('services', 'ble_adapter', 'winhttp_proxy', 'windows_auth', 'chain_engine')

# Display-name regexes per service role. The Evidian service is also sold
# under the Enterprise Access Management name and by One Identity.
$script:NymiDefaultServicePattern = [ordered]@{
    eam_security = 'EAM Security Service|Evidian.*Security Service|Enterprise Access.*Security'
    nymi_agent = 'Nymi Agent'
    nymi_bluetooth_endpoint = 'Nymi Bluetooth Endpoint'
}

# The connect timeout of the pre-flight handshake: when NES drops packets,
# the identity request is not sent to wait the same time again.
$script:NymiPreflightConnectMs = 5000

function GetNymiHostObservations {
    # The request with the Windows identity and the chain engine run only
    # for the NES URL the admin configured (-NesUri): for a URL the library
    # infers from the logs they are not run at all. They run before the
    # library's probe; .NET validates the server certificate with the
    # Windows chain engine and never sends credentials when that fails, and
    # the library counts their result only when its own anonymous request
    # passed TLS and HTTP.
    [CmdletBinding()]
    [OutputType([System.Collections.Specialized.OrderedDictionary])]
    param(
        [AllowNull()][AllowEmptyString()][string] $NesUri,
        [ValidateSet('services', 'ble_adapter', 'winhttp_proxy', 'windows_auth', 'chain_engine')]
        [string[]] $Observation = $script:NymiHostObservationNames,
        [ValidateRange(1, 600)][int] $TimeoutSec = 20,
        [System.Collections.IDictionary] $ServicePattern,
        # Only the observations, without the network facts.
        [switch] $ObservationsOnly
    )
    $document = [ordered]@{}
    $nes = @{}
    if ($Observation -contains 'windows_auth' -or $Observation -contains 'chain_engine') {
        try { $nes = GetNymiNesObservations -NesUri $NesUri -TimeoutSec $TimeoutSec -Observation $Observation }
        catch {
            # Each part catches its own errors; this is the last guard.
            foreach ($name in 'windows_auth', 'chain_engine') { $nes[$name] = NewNymiObservationFailure -Name $name -ErrorRecord $_ }
        }
    }
    foreach ($name in $script:NymiHostObservationNames) {
        if ($Observation -notcontains $name) { continue }
        $result = $null
        try {
            $result = switch ($name) {
                'services' { GetNymiServiceObservation -ServicePattern $ServicePattern }
                'ble_adapter' { GetNymiBleAdapterObservation }
                'winhttp_proxy' { GetNymiWinHttpProxyObservation }
                default { $nes[$name] }
            }
        }
        catch {
            $result = NewNymiObservationFailure -Name $name -ErrorRecord $_
        }
        if ($null -eq $result) { $result = NewNymiObservation -State 'failed' -Detail "The $name observation returned nothing." }
        $document[$name] = $result
    }
    if ($ObservationsOnly) { return $document }
    $network = [ordered]@{ terminal_addresses = [string[]]@(); dns_servers = [string[]]@() }
    try { $network = GetNymiNetworkFacts }
    catch { Write-Verbose "NymiDiag: the network facts could not be read: $($_.Exception.Message)" }
    $controllers = [string[]]@()
    try { $controllers = [string[]]@(GetNymiDomainControllers) }
    catch { Write-Verbose "NymiDiag: the domain controllers could not be read: $($_.Exception.Message)" }
    $document['terminal_addresses'] = [string[]]@($network['terminal_addresses'])
    $document['dns_servers'] = [string[]]@($network['dns_servers'])
    $document['domain_controllers'] = $controllers
    $document
}

function NewNymiObservation {
    # One observation in the contract shape: seen only when observed.
    [CmdletBinding()]
    [OutputType([System.Collections.Specialized.OrderedDictionary])]
    param(
        [Parameter(Mandatory = $true)][ValidateSet('observed', 'skipped', 'not_applicable', 'failed')][string] $State,
        [string] $Detail,
        [System.Collections.IDictionary] $Seen
    )
    $observation = [ordered]@{ state = $State }
    if ($Detail) { $observation['detail'] = $Detail }
    if ($State -eq 'observed') {
        if ($null -eq $Seen) { $Seen = [ordered]@{} }
        $observation['seen'] = $Seen
    }
    $observation
}

function NewNymiObservationFailure {
    [CmdletBinding()]
    param([string] $Name, [System.Management.Automation.ErrorRecord] $ErrorRecord)
    $message = GetNymiInnerMessage -ErrorRecord $ErrorRecord
    Write-Verbose "NymiDiag: the $Name observation failed: $message"
    NewNymiObservation -State 'failed' -Detail "The $Name check could not run: $message"
}

function GetNymiInnerMessage {
    # 'Exception calling "X" with "1" argument(s): ...' says less than the
    # exception it wraps.
    [CmdletBinding()]
    [OutputType([string])]
    param([System.Management.Automation.ErrorRecord] $ErrorRecord)
    $exception = $ErrorRecord.Exception
    while (($exception -is [System.Management.Automation.MethodInvocationException] -or $exception -is [System.AggregateException]) -and $exception.InnerException) { $exception = $exception.InnerException }
    $exception.Message
}

function GetNymiNesEndpoint {
    # Host, port and URL of an NES URI by the library's rules (the probe's
    # URL stage; tests compare the two): surrounding space and quotes
    # removed, a missing scheme is https, an empty or '/' path is /nes,
    # default ports left out, no query or fragment; other schemes and
    # credentials are refused. $null when it is not usable.
    [CmdletBinding()]
    param([AllowNull()][AllowEmptyString()][string] $NesUri)
    if (-not $NesUri) { return $null }
    $text = $NesUri.Trim().Trim('"', "'").Trim()
    if (-not $text) { return $null }
    if ($text -notmatch '^[a-zA-Z][a-zA-Z0-9+.-]*://') { $text = "https://$text" }
    $uri = $null
    if (-not [uri]::TryCreate($text, [System.UriKind]::Absolute, [ref]$uri)) { return $null }
    if ($uri.Scheme -ne 'https' -and $uri.Scheme -ne 'http') { return $null }
    if (-not $uri.Host -or $uri.UserInfo) { return $null }
    $path = $uri.AbsolutePath
    if (-not $path -or $path -eq '/') { $path = '/nes' }
    [PSCustomObject]@{
        Url = '{0}://{1}{2}' -f $uri.Scheme, $uri.Authority, $path
        HostName = $uri.DnsSafeHost
        Port = [int]$uri.Port
        Scheme = $uri.Scheme
    }
}

# ---------------------------------------------------------------- services

function GetNymiServiceObservation {
    [CmdletBinding()]
    param([System.Collections.IDictionary] $ServicePattern)
    try {
        if (-not (TestNymiIsWindows)) {
            return NewNymiObservation -State 'not_applicable' -Detail 'Needs Windows: the EAM Security, Nymi Agent and Nymi Bluetooth Endpoint services are read with Get-Service.'
        }
        $patterns = GetNymiServicePattern -ServicePattern $ServicePattern
        $combined = (@($patterns.Values) | ForEach-Object { "(?:$_)" }) -join '|'
        $services = @(FindNymiService -Pattern $combined)
        ConvertToNymiServiceObservation -Service $services -ServicePattern $patterns
    }
    catch {
        NewNymiObservationFailure -Name 'services' -ErrorRecord $_
    }
}

function GetNymiServicePattern {
    # The default patterns with the caller's overrides for known roles.
    [CmdletBinding()]
    param([System.Collections.IDictionary] $ServicePattern)
    $patterns = [ordered]@{}
    foreach ($role in $script:NymiDefaultServicePattern.Keys) { $patterns[$role] = $script:NymiDefaultServicePattern[$role] }
    if ($ServicePattern) {
        foreach ($role in $ServicePattern.Keys) {
            if ($patterns.Contains([string]$role)) { $patterns[[string]$role] = [string]$ServicePattern[$role] }
            else { Write-Verbose "NymiDiag: unknown service role '$role' ignored (known: $($patterns.Keys -join ', '))." }
        }
    }
    $patterns
}

function ConvertToNymiServiceObservation {
    # Services (Name, DisplayName, Status, StartType) sorted into the roles
    # whose display-name pattern (a .NET regex, site-specific) they match.
    [CmdletBinding()]
    param(
        [AllowEmptyCollection()][object[]] $Service = @(),
        [System.Collections.IDictionary] $ServicePattern = $script:NymiDefaultServicePattern
    )
    $roles = @(foreach ($role in $ServicePattern.Keys) {
            $pattern = [string]$ServicePattern[$role]
            $matched = @($Service | Where-Object { $_ -and [string]$_.DisplayName -match $pattern } | ForEach-Object {
                    $startType = $null
                    if ($_.PSObject.Properties['StartType'] -and $_.StartType) { $startType = [string]$_.StartType }
                    [ordered]@{ name = [string]$_.Name; display_name = [string]$_.DisplayName; status = [string]$_.Status; start_type = $startType }
                })
            [ordered]@{ role = [string]$role; pattern = $pattern; services = [object[]]$matched }
        })
    NewNymiObservation -State 'observed' -Seen ([ordered]@{ roles = [object[]]$roles })
}

# ------------------------------------------------------------- BLE adapter

function GetNymiBleAdapterObservation {
    [CmdletBinding()]
    param()
    try {
        if (-not (TestNymiIsWindows)) {
            return NewNymiObservation -State 'not_applicable' -Detail 'Needs Windows: the BLE adapter is looked up among the present PnP devices (Get-PnpDevice).'
        }
        if (-not (Get-Command Get-PnpDevice -ErrorAction SilentlyContinue)) {
            return NewNymiObservation -State 'skipped' -Detail 'Get-PnpDevice (PnpDevice module) is not available in this session.'
        }
        $devices = @(Get-PnpDevice -PresentOnly -ErrorAction SilentlyContinue | Where-Object {
                $_.Class -eq 'Bluetooth' -or $_.Class -eq 'Ports' -or [string]$_.FriendlyName -match 'Bluegiga|BLED112'
            })
        ConvertToNymiBleAdapterObservation -Device $devices
    }
    catch {
        NewNymiObservationFailure -Name 'ble_adapter' -ErrorRecord $_
    }
}

function ConvertToNymiBleAdapterObservation {
    # PnP devices (FriendlyName, Class, Status) as seen; which of them is
    # an adapter is the library's call.
    [CmdletBinding()]
    param([AllowEmptyCollection()][object[]] $Device = @())
    $devices = @(foreach ($d in @($Device)) {
            if (-not $d) { continue }
            [ordered]@{ friendly_name = [string]$d.FriendlyName; class = [string]$d.Class; status = [string]$d.Status }
        })
    NewNymiObservation -State 'observed' -Seen ([ordered]@{ devices = [object[]]$devices })
}

# ----------------------------------------------------------- WinHTTP proxy

function GetNymiWinHttpProxyObservation {
    [CmdletBinding()]
    param()
    try {
        if (-not (TestNymiIsWindows)) {
            return NewNymiObservation -State 'not_applicable' -Detail 'Needs Windows: the WinHTTP machine proxy is read from the registry (what netsh winhttp show proxy shows).'
        }
        ConvertToNymiProxyObservation -WindowsProxy (GetNymiWindowsProxy)
    }
    catch {
        NewNymiObservationFailure -Name 'winhttp_proxy' -ErrorRecord $_
    }
}

function ConvertToNymiProxyObservation {
    # The proxy settings (GetNymiWindowsProxy's object) as seen.
    [CmdletBinding()]
    param([AllowNull()][object] $WindowsProxy)
    $seen = [ordered]@{ winhttp_proxy = $null; winhttp_bypass = [string[]]@(); user_proxy = $null; user_bypass = [string[]]@(); pac_url = $null }
    if ($WindowsProxy) {
        $value = { param($name) if ($WindowsProxy.PSObject.Properties[$name]) { $WindowsProxy.$name } }
        $text = { param($name) $v = & $value $name; if ($v) { [string]$v } else { $null } }
        $seen['winhttp_proxy'] = & $text 'WinHttpProxy'
        $seen['winhttp_bypass'] = [string[]]@(& $value 'WinHttpBypass' | Where-Object { $_ })
        $seen['user_proxy'] = & $text 'UserProxy'
        $seen['user_bypass'] = [string[]]@(& $value 'UserBypass' | Where-Object { $_ })
        $seen['pac_url'] = & $text 'PacUrl'
    }
    NewNymiObservation -State 'observed' -Seen $seen
}

# ------------------------------------- Windows identity and chain engine

function GetNymiNesObservations {
    # windows_auth and chain_engine for a configured NES URL, as a name ->
    # observation map. The chain engine's handshake goes first with a
    # connect timeout of min(5 s, T); when that connect fails the identity
    # request is skipped, so a NES that drops packets is waited for once.
    [CmdletBinding()]
    param(
        [AllowNull()][AllowEmptyString()][string] $NesUri,
        [int] $TimeoutSec = 20,
        [string[]] $Observation = @('windows_auth', 'chain_engine')
    )
    $out = @{}
    if (-not (TestNymiIsWindows)) {
        $out['windows_auth'] = NewNymiObservation -State 'not_applicable' -Detail 'Needs Windows: the request to NES with the Windows identity (Kerberos/NTLM) uses Invoke-WebRequest -UseDefaultCredentials.'
        $out['chain_engine'] = NewNymiObservation -State 'not_applicable' -Detail 'Needs Windows: the NES TLS chain is built by the Windows chain engine in machine context, as the NEA running as SYSTEM sees it.'
        return $out
    }
    if (-not $NesUri) {
        $out['windows_auth'] = NewNymiObservation -State 'skipped' -Detail 'No NES URL was configured (-NesUri): the request with the Windows identity is sent only to a configured NES URL.'
        $out['chain_engine'] = NewNymiObservation -State 'skipped' -Detail 'No NES URL was configured (-NesUri): the chain engine check runs only for a configured NES URL.'
        return $out
    }
    $endpoint = GetNymiNesEndpoint -NesUri $NesUri
    if (-not $endpoint) {
        $out['windows_auth'] = NewNymiObservation -State 'skipped' -Detail 'The NES URL is not usable: the request with the Windows identity needs one.'
        $out['chain_engine'] = NewNymiObservation -State 'skipped' -Detail 'The NES URL is not usable: the chain engine needs the NES certificate.'
        return $out
    }
    if ($endpoint.Scheme -ne 'https') {
        $out['windows_auth'] = NewNymiObservation -State 'skipped' -Detail "The NES URL uses $($endpoint.Scheme): the Windows identity is sent only over https, after Windows validated the server."
        $out['chain_engine'] = NewNymiObservation -State 'skipped' -Detail "The NES URL uses $($endpoint.Scheme): there is no TLS chain to build."
        return $out
    }
    $connectMs = [math]::Min($script:NymiPreflightConnectMs, $TimeoutSec * 1000)
    $connected = $true
    if ($Observation -contains 'chain_engine') {
        $chain = GetNymiChainEngineObservation -Endpoint $endpoint -TimeoutSec $TimeoutSec -ConnectTimeoutMs $connectMs
        $out['chain_engine'] = $chain.Observation
        $connected = $chain.Connected
    }
    elseif ($Observation -contains 'windows_auth') {
        $connected = TestNymiTcpConnect -HostName $endpoint.HostName -Port $endpoint.Port -TimeoutMs $connectMs
    }
    if ($Observation -contains 'windows_auth') {
        if ($connected) {
            $out['windows_auth'] = GetNymiIdentityObservation -Url $endpoint.Url -TimeoutSec $TimeoutSec
        }
        else {
            $out['windows_auth'] = NewNymiObservation -State 'skipped' -Detail ('Skipped: no TCP connection to {0}:{1} within {2} ms, so the request with the Windows identity was not sent.' -f $endpoint.HostName, $endpoint.Port, $connectMs)
        }
    }
    $out
}

function GetNymiProbeObservations {
    # The host object of nymidiag_nes_probe: the WinHTTP proxy (when read)
    # and the request with the Windows identity, unless -NoWindowsIdentity.
    # The chain engine is left out: the probe builds the chain itself.
    [CmdletBinding()]
    [OutputType([System.Collections.Specialized.OrderedDictionary])]
    param(
        [Parameter(Mandatory = $true)][string] $Uri,
        [AllowNull()][object] $WindowsProxy,
        [int] $TimeoutSec = 20,
        [switch] $NoWindowsIdentity
    )
    $observations = [ordered]@{}
    if ($WindowsProxy) { $observations['winhttp_proxy'] = ConvertToNymiProxyObservation -WindowsProxy $WindowsProxy }
    if ($NoWindowsIdentity) {
        $observations['windows_auth'] = NewNymiObservation -State 'skipped' -Detail 'Skipped: the request with the Windows identity is sent only to a configured NES URL (-NoWindowsIdentity).'
    }
    elseif (-not (TestNymiIsWindows)) {
        $observations['windows_auth'] = NewNymiObservation -State 'not_applicable' -Detail 'Not applicable on this operating system: the request with the Windows identity (Kerberos/NTLM) needs Windows.'
    }
    else {
        try { $observations['windows_auth'] = (GetNymiNesObservations -NesUri $Uri -TimeoutSec $TimeoutSec -Observation 'windows_auth')['windows_auth'] }
        catch { $observations['windows_auth'] = NewNymiObservationFailure -Name 'windows_auth' -ErrorRecord $_ }
    }
    $observations
}

function TestNymiTcpConnect {
    # Whether a TCP connection opens within the bound.
    [CmdletBinding()]
    [OutputType([bool])]
    param([Parameter(Mandatory = $true)][string] $HostName, [int] $Port = 443, [int] $TimeoutMs = 5000)
    $tcp = New-Object System.Net.Sockets.TcpClient
    try {
        $connect = $tcp.BeginConnect($HostName, $Port, $null, $null)
        if (-not $connect.AsyncWaitHandle.WaitOne($TimeoutMs)) { return $false }
        $tcp.EndConnect($connect)
        $true
    }
    catch { $false }
    finally { $tcp.Close() }
}

function GetNymiIdentityObservation {
    # The request with the caller's Windows identity (the computer account
    # when run as SYSTEM), as seen: status, the schemes offered, or the
    # error when there was no answer.
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)][string] $Url, [int] $TimeoutSec = 20)
    try {
        $seen = InvokeNymiIdentityRequest -Url $Url -TimeoutSec $TimeoutSec
        NewNymiObservation -State 'observed' -Seen $seen
    }
    catch {
        NewNymiObservationFailure -Name 'windows_auth' -ErrorRecord $_
    }
}

function InvokeNymiIdentityRequest {
    # One GET with -UseDefaultCredentials. .NET validates the certificate
    # with the Windows chain engine and sends no credentials when that
    # fails. The seam tests replace.
    [CmdletBinding()]
    [OutputType([System.Collections.Specialized.OrderedDictionary])]
    param([Parameter(Mandatory = $true)][string] $Url, [int] $TimeoutSec = 20)
    $seen = [ordered]@{ url = $Url; identity = $null; status_code = $null; schemes = [string[]]@(); error_kind = $null; error = $null; duration_ms = 0 }
    try { $seen['identity'] = [System.Security.Principal.WindowsIdentity]::GetCurrent().Name }
    catch { Write-Verbose "NymiDiag: the Windows identity could not be read: $($_.Exception.Message)" }
    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    $headers = $null
    try {
        $response = Invoke-WebRequest -Uri $Url -UseDefaultCredentials -UseBasicParsing -MaximumRedirection 5 -TimeoutSec $TimeoutSec -ErrorAction Stop
        $seen['status_code'] = [int]$response.StatusCode
        $headers = $response.Headers
    }
    catch {
        $exception = $_.Exception
        $seen['error_kind'] = $exception.GetType().Name
        $seen['error'] = $exception.Message
        if ($exception.PSObject.Properties['Response'] -and $exception.Response) {
            $seen['status_code'] = [int]$exception.Response.StatusCode
            $headers = $exception.Response.Headers
        }
    }
    $seen['duration_ms'] = [int64]$clock.ElapsedMilliseconds
    $seen['schemes'] = [string[]]@(GetNymiAuthSchemes -Headers $headers)
    $seen
}

function GetNymiAuthSchemes {
    # The schemes of the WWW-Authenticate headers: Windows PowerShell's
    # WebHeaderCollection, PowerShell 7's HttpResponseHeaders, or a plain
    # dictionary.
    [CmdletBinding()]
    [OutputType([string[]])]
    param([AllowNull()][object] $Headers)
    if ($null -eq $Headers) { return }
    $values = @()
    try {
        if ($Headers.PSObject.Properties['WwwAuthenticate']) { $values = @($Headers.WwwAuthenticate | ForEach-Object { $_.Scheme }) }
        elseif ($Headers -is [System.Collections.IDictionary]) { $values = @($Headers['WWW-Authenticate']) }
        else { $values = @($Headers.GetValues('WWW-Authenticate')) }
    }
    catch { return }
    $schemes = New-Object System.Collections.Generic.List[string]
    foreach ($v in $values) {
        foreach ($part in ([string]$v -split ',')) {
            $scheme = ($part.Trim() -split '\s+')[0]
            if ($scheme -and $scheme -notmatch '=' -and -not $schemes.Contains($scheme)) { $schemes.Add($scheme) }
        }
    }
    $schemes.ToArray()
}

function GetNymiChainEngineObservation {
    # The handshake and the chain build, and whether TCP connected.
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)][object] $Endpoint, [int] $TimeoutSec = 20, [int] $ConnectTimeoutMs = 5000)
    $presented = $null
    try {
        $presented = GetNymiServerCertificate -HostName $Endpoint.HostName -Port $Endpoint.Port -TimeoutSec $TimeoutSec -ConnectTimeoutMs $ConnectTimeoutMs
        if (-not $presented.Connected) {
            return @{ Observation = (NewNymiObservation -State 'failed' -Detail "The chain_engine check could not run: $($presented.Error)"); Connected = $false }
        }
        $built = InvokeNymiChainEngine -Certificate $presented.Certificate -ExtraCertificate $presented.Chain -TimeoutSec $TimeoutSec
        $seen = ConvertToNymiChainObservation -Built $built.Built -Status $built.Status -Chain $built.Chain -HostName $Endpoint.HostName -Port $Endpoint.Port
        @{ Observation = $seen; Connected = $true }
    }
    catch {
        # Connected, but the handshake or the build failed.
        @{ Observation = (NewNymiObservationFailure -Name 'chain_engine' -ErrorRecord $_); Connected = $true }
    }
    finally {
        if ($presented) { foreach ($c in @($presented.Chain) + @($presented.Certificate)) { if ($c) { $c.Dispose() } } }
    }
}

function GetNymiServerCertificate {
    # The certificate and chain the server presents in the TLS handshake.
    # The callback accepts whatever comes: nothing is sent after the
    # handshake, and the judgement is InvokeNymiChainEngine's. The connect
    # is bounded by ConnectTimeoutMs (Connected $false and the Error when it
    # fails), the handshake reads by the timeout (an error when it fails).
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)][string] $HostName, [int] $Port = 443, [int] $TimeoutSec = 20, [int] $ConnectTimeoutMs = 5000)
    $captured = @{ Certificate = $null; Chain = @() }
    $milliseconds = [math]::Max(1000, $TimeoutSec * 1000)
    $tcp = New-Object System.Net.Sockets.TcpClient
    try {
        $problem = $null
        try {
            $connect = $tcp.BeginConnect($HostName, $Port, $null, $null)
            if ($connect.AsyncWaitHandle.WaitOne($ConnectTimeoutMs)) { $tcp.EndConnect($connect) }
            else { $problem = "no TCP connection to ${HostName}:$Port within $ConnectTimeoutMs ms" }
        }
        catch { $problem = GetNymiInnerMessage -ErrorRecord $_ }
        if ($problem) { return [PSCustomObject]@{ Connected = $false; Error = $problem; Certificate = $null; Chain = @() } }
        $tcp.ReceiveTimeout = $milliseconds
        $tcp.SendTimeout = $milliseconds
        $callback = [System.Net.Security.RemoteCertificateValidationCallback] {
            param($source, $certificate, $chain, $errors)
            if ($certificate) { $captured.Certificate = New-Object System.Security.Cryptography.X509Certificates.X509Certificate2 ($certificate) }
            if ($chain) {
                $captured.Chain = @(foreach ($element in $chain.ChainElements) { New-Object System.Security.Cryptography.X509Certificates.X509Certificate2 ($element.Certificate) })
            }
            $true
        }
        $ssl = New-Object System.Net.Security.SslStream ($tcp.GetStream(), $false, $callback)
        try {
            $ssl.AuthenticateAsClient($HostName)
        }
        finally {
            $ssl.Dispose()
        }
    }
    finally {
        $tcp.Close()
    }
    if (-not $captured.Certificate) { throw "${HostName}:$Port presented no certificate" }
    [PSCustomObject]@{ Connected = $true; Error = $null; Certificate = $captured.Certificate; Chain = $captured.Chain }
}

function InvokeNymiChainEngine {
    # Builds the chain in machine context with online revocation checking,
    # as a LocalSystem service does; certificates the server sent are extra
    # candidates, as SChannel uses them.
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)][System.Security.Cryptography.X509Certificates.X509Certificate2] $Certificate,
        [object[]] $ExtraCertificate = @(),
        [int] $TimeoutSec = 20
    )
    $chain = New-Object System.Security.Cryptography.X509Certificates.X509Chain ($true)
    try {
        $chain.ChainPolicy.RevocationMode = [System.Security.Cryptography.X509Certificates.X509RevocationMode]::Online
        $chain.ChainPolicy.RevocationFlag = [System.Security.Cryptography.X509Certificates.X509RevocationFlag]::ExcludeRoot
        $chain.ChainPolicy.UrlRetrievalTimeout = [timespan]::FromSeconds([math]::Max(1, $TimeoutSec))
        foreach ($extra in @($ExtraCertificate)) { if ($extra) { [void]$chain.ChainPolicy.ExtraStore.Add($extra) } }
        $built = $chain.Build($Certificate)
        $status = @(foreach ($s in @($chain.ChainStatus)) {
                [PSCustomObject]@{ Status = [string]$s.Status; StatusInformation = ([string]$s.StatusInformation).Trim() }
            })
        $elements = @(foreach ($e in $chain.ChainElements) {
                [PSCustomObject]@{ Subject = $e.Certificate.Subject; Thumbprint = $e.Certificate.Thumbprint; NotAfter = $e.Certificate.NotAfter.ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ssZ') }
            })
        [PSCustomObject]@{ Built = [bool]$built; Status = $status; Chain = $elements }
    }
    finally {
        if ($chain -is [System.IDisposable]) { $chain.Dispose() }
    }
}

function ConvertToNymiChainObservation {
    # The chain engine's raw answer as seen; what it means is the library's
    # call (HOST_CHAIN_UNTRUSTED, HOST_CHAIN_REVOCATION_OFFLINE).
    [CmdletBinding()]
    param(
        [bool] $Built,
        # Chain status entries: Status (X509ChainStatusFlags name) and StatusInformation.
        [AllowEmptyCollection()][object[]] $Status = @(),
        # Chain elements, leaf first: Subject, Thumbprint, NotAfter.
        [AllowEmptyCollection()][object[]] $Chain = @(),
        [string] $HostName,
        [int] $Port = 443
    )
    $seen = [ordered]@{
        host = $HostName
        port = $Port
        built = $Built
        status = [object[]]@($Status | Where-Object { $_ } | ForEach-Object { [ordered]@{ status = [string]$_.Status; information = ([string]$_.StatusInformation).Trim() } })
        chain = [object[]]@($Chain | Where-Object { $_ } | ForEach-Object { [ordered]@{ subject = [string]$_.Subject; thumbprint = [string]$_.Thumbprint; not_after = [string]$_.NotAfter } })
    }
    NewNymiObservation -State 'observed' -Seen $seen
}

# ------------------------------------------------------ network facts

function GetNymiNetworkFacts {
    # This machine's unicast addresses as the NES server's logs would show
    # them, and the DNS servers it asks, from the interfaces that are up
    # (loopback interfaces left out). One pass; works on every platform.
    [CmdletBinding()]
    [OutputType([System.Collections.Specialized.OrderedDictionary])]
    param()
    $addresses = New-Object System.Collections.Generic.List[System.Net.IPAddress]
    $dns = New-Object System.Collections.Generic.List[System.Net.IPAddress]
    foreach ($interface in [System.Net.NetworkInformation.NetworkInterface]::GetAllNetworkInterfaces()) {
        if ($interface.OperationalStatus -ne [System.Net.NetworkInformation.OperationalStatus]::Up) { continue }
        if ($interface.NetworkInterfaceType -eq [System.Net.NetworkInformation.NetworkInterfaceType]::Loopback) { continue }
        try {
            $properties = $interface.GetIPProperties()
            foreach ($unicast in $properties.UnicastAddresses) { $addresses.Add($unicast.Address) }
            foreach ($server in $properties.DnsAddresses) { $dns.Add($server) }
        }
        catch {
            Write-Verbose "NymiDiag: the addresses of $($interface.Name) could not be read: $($_.Exception.Message)"
        }
    }
    [ordered]@{
        terminal_addresses = [string[]]@(SelectNymiTerminalAddress -Address $addresses.ToArray())
        dns_servers = [string[]]@(SelectNymiDnsServer -Address $dns.ToArray())
    }
}

function ConvertToNymiPlainAddress {
    # The address as text without an IPv6 zone suffix (%eth0, %12): the
    # zone only means something on this machine.
    [CmdletBinding()]
    [OutputType([string])]
    param([Parameter(Mandatory = $true)][System.Net.IPAddress] $Address)
    if ($Address.AddressFamily -eq [System.Net.Sockets.AddressFamily]::InterNetworkV6 -and $Address.ScopeId -ne 0) {
        return (New-Object System.Net.IPAddress (, $Address.GetAddressBytes())).ToString()
    }
    $Address.ToString()
}

function SelectNymiTerminalAddress {
    # Keeps the addresses another machine could see: no loopback, no IPv6
    # link-local, no IPv4 link-local (169.254/16, APIPA). IPv4 first, no
    # duplicates, no zone suffixes.
    [CmdletBinding()]
    [OutputType([string[]])]
    param([AllowEmptyCollection()][System.Net.IPAddress[]] $Address = @())
    $v4 = New-Object System.Collections.Generic.List[string]
    $v6 = New-Object System.Collections.Generic.List[string]
    foreach ($a in @($Address)) {
        if (-not $a) { continue }
        if ([System.Net.IPAddress]::IsLoopback($a)) { continue }
        if ($a.AddressFamily -eq [System.Net.Sockets.AddressFamily]::InterNetwork) {
            $bytes = $a.GetAddressBytes()
            if ($bytes[0] -eq 169 -and $bytes[1] -eq 254) { continue }
            if ($bytes[0] -eq 0) { continue }
            $text = $a.ToString()
            if (-not $v4.Contains($text)) { $v4.Add($text) }
        }
        elseif ($a.AddressFamily -eq [System.Net.Sockets.AddressFamily]::InterNetworkV6) {
            if ($a.IsIPv6LinkLocal -or $a.IsIPv4MappedToIPv6) { continue }
            if ($a.Equals([System.Net.IPAddress]::IPv6None)) { continue }
            $text = ConvertToNymiPlainAddress -Address $a
            if (-not $v6.Contains($text)) { $v6.Add($text) }
        }
    }
    $v4.ToArray()
    $v6.ToArray()
}

function SelectNymiDnsServer {
    # The DNS servers as configured, in interface order, without duplicates
    # or zone suffixes. Loopback stays (a local resolver such as
    # 127.0.0.53 is what this machine asks); the unspecified address and
    # the fec0:0:0:ffff::1-3 placeholders Windows lists when no IPv6 DNS
    # server is set are left out.
    [CmdletBinding()]
    [OutputType([string[]])]
    param([AllowEmptyCollection()][System.Net.IPAddress[]] $Address = @())
    $placeholders = @('fec0:0:0:ffff::1', 'fec0:0:0:ffff::2', 'fec0:0:0:ffff::3')
    $kept = New-Object System.Collections.Generic.List[string]
    foreach ($a in @($Address)) {
        if (-not $a) { continue }
        if ($a.Equals([System.Net.IPAddress]::Any) -or $a.Equals([System.Net.IPAddress]::IPv6Any)) { continue }
        $text = ConvertToNymiPlainAddress -Address $a
        if ($placeholders -contains $text) { continue }
        if (-not $kept.Contains($text)) { $kept.Add($text) }
    }
    $kept.ToArray()
}

# ------------------------------------------------------ domain controllers

function GetNymiDomainControllers {
    # The addresses of the logon server (LOGONSERVER) on Windows, resolved
    # with a bound of a few seconds. Empty elsewhere, for a local logon and
    # as SYSTEM, whose environment has no logon server; nltest and LDAP
    # queries are not used: they can wait far longer than a diagnosis may.
    [CmdletBinding()]
    [OutputType([string[]])]
    param([int] $TimeoutMs = 2000)
    if (-not (TestNymiIsWindows)) { return }
    $name = GetNymiLogonServerName -Value $env:LOGONSERVER -ComputerName $env:COMPUTERNAME
    if (-not $name) { return }
    ResolveNymiHostAddress -HostName $name -TimeoutMs $TimeoutMs
}

function GetNymiLogonServerName {
    # '\\DC01' -> 'DC01'; $null when unset or when it names this computer
    # (a local account logged on).
    [CmdletBinding()]
    [OutputType([string])]
    param([AllowNull()][AllowEmptyString()][string] $Value, [AllowNull()][AllowEmptyString()][string] $ComputerName)
    if (-not $Value) { return $null }
    $name = $Value.Trim().TrimStart('\').Trim()
    if (-not $name -or $name -match '[\\/\s]') { return $null }
    if ($ComputerName -and $name -eq $ComputerName.Trim()) { return $null }
    $name
}

function ResolveNymiHostAddress {
    # The addresses of a host name as plain text; none when the lookup fails
    # or does not finish within the bound.
    [CmdletBinding()]
    [OutputType([string[]])]
    param([Parameter(Mandatory = $true)][string] $HostName, [int] $TimeoutMs = 2000)
    try {
        $lookup = [System.Net.Dns]::BeginGetHostAddresses($HostName, $null, $null)
        if (-not $lookup.AsyncWaitHandle.WaitOne($TimeoutMs)) {
            Write-Verbose "NymiDiag: $HostName did not resolve within $TimeoutMs ms"
            return
        }
        $found = [System.Net.Dns]::EndGetHostAddresses($lookup)
    }
    catch {
        Write-Verbose "NymiDiag: $HostName does not resolve: $($_.Exception.Message)"
        return
    }
    $texts = New-Object System.Collections.Generic.List[string]
    foreach ($a in @($found)) {
        $text = ConvertToNymiPlainAddress -Address $a
        if (-not $texts.Contains($text)) { $texts.Add($text) }
    }
    $texts.ToArray()
}
