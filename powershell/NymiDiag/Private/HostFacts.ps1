# The host facts document: what only Windows knows about this terminal, in
# the shape nymidiag_diagnose accepts as its 'host' object. One function per
# check gathers the data (thin, Windows only) and one ConvertToNymi*Check
# function turns plain data into the check (tested on every platform).
#
#   { "checks": { "<name>": { "state", "detail", "findings", "facts" } },
#     "terminal_addresses": [ "10.30.4.77" ], "dns_servers": [ "10.30.0.10" ],
#     "domain_controllers": [ "10.30.0.5" ] }
#
# The network facts (addresses, DNS servers) come from .NET and are gathered
# on every platform; the domain controllers only on Windows.
#
# Nothing throws out of GetNymiHostFacts: a check that fails is state
# 'failed' with the reason.

$script:NymiHostCheckNames = @('services', 'ble_adapter', 'winhttp_proxy', 'windows_auth', 'chain_engine')

# Display-name regexes per service role. The Evidian service is also sold
# under the Enterprise Access Management name and by One Identity.
$script:NymiDefaultServicePattern = [ordered]@{
    eam_security = 'EAM Security Service|Evidian.*Security Service|Enterprise Access.*Security'
    nymi_agent = 'Nymi Agent'
    nymi_bluetooth_endpoint = 'Nymi Bluetooth Endpoint'
}

function GetNymiHostFacts {
    [CmdletBinding()]
    [OutputType([System.Collections.Specialized.OrderedDictionary])]
    param(
        [AllowNull()][AllowEmptyString()][string] $NesUri,
        [ValidateSet('services', 'ble_adapter', 'winhttp_proxy', 'windows_auth', 'chain_engine')]
        [string[]] $Check = $script:NymiHostCheckNames,
        [ValidateRange(1, 600)][int] $TimeoutSec = 20,
        [System.Collections.IDictionary] $ServicePattern,
        # Only the checks: for a second pass whose network facts are known.
        [switch] $ChecksOnly
    )
    $checks = [ordered]@{}
    foreach ($name in $script:NymiHostCheckNames) {
        if ($Check -notcontains $name) { continue }
        $result = $null
        try {
            $result = switch ($name) {
                'services' { GetNymiServiceFacts -ServicePattern $ServicePattern }
                'ble_adapter' { GetNymiBleAdapterFacts }
                'winhttp_proxy' { GetNymiWinHttpProxyFacts -NesUri $NesUri }
                'windows_auth' { GetNymiWindowsAuthFacts -NesUri $NesUri -TimeoutSec $TimeoutSec }
                'chain_engine' { GetNymiChainEngineFacts -NesUri $NesUri -TimeoutSec $TimeoutSec }
            }
        }
        catch {
            # Each check catches its own errors; this is the last guard.
            $result = NewNymiHostCheckFailure -Name $name -ErrorRecord $_
        }
        if ($null -eq $result) { $result = NewNymiHostCheck -State 'failed' -Detail "The $name check returned nothing." }
        $checks[$name] = $result
    }
    if ($ChecksOnly) { return [ordered]@{ checks = $checks } }
    $network = [ordered]@{ terminal_addresses = [string[]]@(); dns_servers = [string[]]@() }
    try { $network = GetNymiNetworkFacts }
    catch { Write-Verbose "NymiDiag: the network facts could not be read: $($_.Exception.Message)" }
    $controllers = [string[]]@()
    try { $controllers = [string[]]@(GetNymiDomainControllers) }
    catch { Write-Verbose "NymiDiag: the domain controllers could not be read: $($_.Exception.Message)" }
    [ordered]@{
        checks = $checks
        terminal_addresses = [string[]]@($network['terminal_addresses'])
        dns_servers = [string[]]@($network['dns_servers'])
        domain_controllers = $controllers
    }
}

# The detail of the windows_auth check when the NES URL came from the logs.
$script:NymiInferredUrlAuthDetail = 'the NES URL was inferred from the logs; the request with the Windows identity is sent only to a configured NES URL (-NesUri)'

function GetNymiLateHostCheck {
    # The host checks that need the first diagnosis, as a name -> check map
    # to replace (empty: nothing changes). Both run only after the anonymous
    # request passed TLS and HTTP. The request with the Windows identity
    # goes only to a URL the admin configured (nes_url.source 'request'):
    # for a URL inferred from the logs it is skipped and says so, whatever
    # the probe found. The chain engine sends no credentials (a TLS
    # handshake, as the probe already made) and runs for either.
    [CmdletBinding()]
    [OutputType([System.Collections.Specialized.OrderedDictionary])]
    param([Parameter(Mandatory = $true)][object] $Report, [int] $TimeoutSec = 20)
    $checks = [ordered]@{}
    $nesUrl = GetNymiJsonPath -Object $Report -Path 'data', 'nes_url'
    $url = [string](GetNymiJsonPath -Object $nesUrl -Path 'url')
    $source = [string](GetNymiJsonPath -Object $nesUrl -Path 'source')
    if (-not $url) { return $checks }
    $configured = $source -eq 'request'
    if (-not $configured) {
        $checks['windows_auth'] = NewNymiHostCheck -State 'skipped' -Detail $script:NymiInferredUrlAuthDetail -Facts ([ordered]@{ url = $url; nes_url_source = $source })
    }
    if (-not (TestNymiNesAnswered -Report $Report)) { return $checks }
    $names = @('chain_engine')
    if ($configured) { $names = @('windows_auth', 'chain_engine') }
    $late = GetNymiHostFacts -Check $names -NesUri $url -TimeoutSec $TimeoutSec -ChecksOnly
    foreach ($name in @($late['checks'].Keys)) { $checks[$name] = $late['checks'][$name] }
    $checks
}

function TestNymiNesAnswered {
    # Whether the diagnosis's probe passed TLS and HTTP.
    [CmdletBinding()]
    [OutputType([bool])]
    param([Parameter(Mandatory = $true)][object] $Report)
    $stages = @(GetNymiJsonPath -Object $Report -Path 'data', 'inputs', 'nes_probe', 'data', 'stages')
    $passed = @($stages | Where-Object { $_ -and (GetNymiJsonPath -Object $_ -Path 'status') -eq 'ok' } | ForEach-Object { [string](GetNymiJsonPath -Object $_ -Path 'name') })
    ($passed -contains 'tls') -and ($passed -contains 'http')
}

function GetNymiJsonPath {
    # A nested property of a ConvertFrom-Json object, or $null when any
    # step is missing (strict mode safe: error reports lack most of data).
    [CmdletBinding()]
    param([AllowNull()][object] $Object, [string[]] $Path)
    $current = $Object
    foreach ($name in $Path) {
        if ($null -eq $current) { return $null }
        $property = $current.PSObject.Properties[$name]
        if (-not $property) { return $null }
        $current = $property.Value
    }
    $current
}

function NewNymiHostCheck {
    [CmdletBinding()]
    [OutputType([System.Collections.Specialized.OrderedDictionary])]
    param(
        [Parameter(Mandatory = $true)][ValidateSet('checked', 'skipped', 'not_applicable', 'failed')][string] $State,
        [string] $Detail,
        [object[]] $Findings = @(),
        [System.Collections.IDictionary] $Facts = @{}
    )
    $check = [ordered]@{ state = $State }
    if ($Detail) { $check['detail'] = $Detail }
    $check['findings'] = [object[]]@($Findings | Where-Object { $null -ne $_ })
    $check['facts'] = $Facts
    $check
}

function NewNymiHostCheckFailure {
    [CmdletBinding()]
    param([string] $Name, [System.Management.Automation.ErrorRecord] $ErrorRecord)
    # 'Exception calling "X" with "1" argument(s): ...' says less than the
    # exception it wraps.
    $exception = $ErrorRecord.Exception
    while ($exception -is [System.Management.Automation.MethodInvocationException] -and $exception.InnerException) { $exception = $exception.InnerException }
    $message = $exception.Message
    Write-Verbose "NymiDiag: the $Name check failed: $message"
    NewNymiHostCheck -State 'failed' -Detail "The $Name check could not run: $message"
}

function NewNymiHostFinding {
    # A finding in the library's JSON shape (lower-case keys).
    [CmdletBinding()]
    [OutputType([System.Collections.Specialized.OrderedDictionary])]
    param(
        [Parameter(Mandatory = $true)][string] $Id,
        [Parameter(Mandatory = $true)][ValidateSet('info', 'warning', 'error')][string] $Severity,
        [Parameter(Mandatory = $true)][string] $Title,
        [string] $Detail = '',
        [System.Collections.IDictionary] $Evidence = @{},
        [string] $Remediation,
        [string[]] $Refs = @()
    )
    $finding = [ordered]@{ id = $Id; severity = $Severity; title = $Title; detail = $Detail; evidence = $Evidence }
    if ($Remediation) { $finding['remediation'] = $Remediation }
    $finding['refs'] = [string[]]@($Refs)
    $finding
}

function ConvertToNymiHostFinding {
    # A NymiDiag.Finding object (as NewNymiFinding makes) in the JSON shape.
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)][object] $Finding)
    $evidence = [ordered]@{}
    if ($Finding.Evidence) {
        foreach ($p in $Finding.Evidence.PSObject.Properties) { $evidence[$p.Name] = $p.Value }
    }
    $arguments = @{
        Id = [string]$Finding.Id; Severity = [string]$Finding.Severity; Title = [string]$Finding.Title
        Detail = [string]$Finding.Detail; Evidence = $evidence; Refs = [string[]]@($Finding.Refs)
    }
    if ($Finding.PSObject.Properties['Remediation'] -and $Finding.Remediation) { $arguments['Remediation'] = [string]$Finding.Remediation }
    NewNymiHostFinding @arguments
}

function GetNymiNesEndpoint {
    # Host, port and URL of an NES URI as Test-NymiNesConnection reads it (a
    # bare host name means https://<host>/nes); $null when it is not usable.
    [CmdletBinding()]
    param([AllowNull()][AllowEmptyString()][string] $NesUri)
    if (-not $NesUri) { return $null }
    $text = $NesUri.Trim()
    if ($text -notmatch '^[a-zA-Z][a-zA-Z0-9+.-]*://') { $text = "https://$text/nes" }
    $uri = $null
    if (-not [uri]::TryCreate($text, [System.UriKind]::Absolute, [ref]$uri)) { return $null }
    if ($uri.Scheme -ne 'https' -and $uri.Scheme -ne 'http') { return $null }
    if (-not $uri.Host) { return $null }
    [PSCustomObject]@{ Url = $uri.AbsoluteUri; HostName = $uri.DnsSafeHost; Port = [int]$uri.Port; Scheme = $uri.Scheme }
}

# ---------------------------------------------------------------- services

function GetNymiServiceFacts {
    [CmdletBinding()]
    param([System.Collections.IDictionary] $ServicePattern)
    try {
        if (-not (TestNymiIsWindows)) {
            return NewNymiHostCheck -State 'not_applicable' -Detail 'Needs Windows: the EAM Security, Nymi Agent and Nymi Bluetooth Endpoint services are read with Get-Service.'
        }
        $patterns = GetNymiServicePattern -ServicePattern $ServicePattern
        $combined = (@($patterns.Values) | ForEach-Object { "(?:$_)" }) -join '|'
        $services = @(FindNymiService -Pattern $combined)
        ConvertToNymiServiceCheck -Service $services -ServicePattern $patterns
    }
    catch {
        NewNymiHostCheckFailure -Name 'services' -ErrorRecord $_
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

function ConvertToNymiServiceCheck {
    # Services (Name, DisplayName, Status) against the role patterns: a role
    # is fine when one of its services runs; otherwise HOST_SERVICE_STOPPED
    # names the service, or HOST_SERVICE_NOT_FOUND the pattern.
    [CmdletBinding()]
    param(
        [AllowEmptyCollection()][object[]] $Service = @(),
        [System.Collections.IDictionary] $ServicePattern = $script:NymiDefaultServicePattern
    )
    $findings = New-Object System.Collections.Generic.List[object]
    $facts = New-Object System.Collections.Generic.List[object]
    $found = 0
    $running = 0
    foreach ($role in $ServicePattern.Keys) {
        $pattern = [string]$ServicePattern[$role]
        $matched = @($Service | Where-Object { $_ -and [string]$_.DisplayName -match $pattern })
        if ($matched.Count -eq 0) {
            $facts.Add([ordered]@{ role = $role; name = $null; display_name = $null; status = 'not_found' })
            $findings.Add((NewNymiHostFinding -Id 'HOST_SERVICE_NOT_FOUND' -Severity 'warning' `
                        -Title "No service for $role ($pattern) is installed" `
                        -Detail "No service whose display name matches '$pattern' is installed on this terminal." `
                        -Evidence ([ordered]@{ role = $role; pattern = $pattern }) `
                        -Remediation 'Check that the Nymi and Evidian software is installed here, or give the display name used on this site (ServicePattern).' `
                        -Refs @('domain brief section 2.1: services', 'domain brief section 5: check K')))
            continue
        }
        $found++
        $up = @($matched | Where-Object { [string]$_.Status -eq 'Running' })
        foreach ($s in ($matched | Select-Object -First 3)) {
            $facts.Add([ordered]@{ role = $role; name = [string]$s.Name; display_name = [string]$s.DisplayName; status = [string]$s.Status })
        }
        if ($up.Count -gt 0) { $running++; continue }
        $s = $matched[0]
        $startType = $null
        if ($s.PSObject.Properties['StartType'] -and $s.StartType) { $startType = [string]$s.StartType }
        $evidence = [ordered]@{ role = $role; name = [string]$s.Name; display_name = [string]$s.DisplayName; status = [string]$s.Status }
        if ($startType) { $evidence['start_type'] = $startType }
        $remediation = "Start-Service -Name '$($s.Name)'"
        if ($startType -eq 'Disabled') { $remediation = "Set-Service -Name '$($s.Name)' -StartupType Automatic; Start-Service -Name '$($s.Name)'" }
        if ($role -eq 'eam_security') { $remediation = "$remediation, then count the ksp certificates again (Get-NymiNeaCertificate -Summary)." }
        $findings.Add((NewNymiHostFinding -Id 'HOST_SERVICE_STOPPED' -Severity 'error' `
                    -Title "$($s.DisplayName) is not running ($($s.Status))" `
                    -Detail "The $role service '$($s.Name)' ($($s.DisplayName)) is $($s.Status)." `
                    -Evidence $evidence -Remediation $remediation `
                    -Refs @('domain brief section 5: check K')))
    }
    $total = $ServicePattern.Count
    NewNymiHostCheck -State 'checked' -Detail ('{0} of {1} services found, {2} running' -f $found, $total, $running) `
        -Findings $findings.ToArray() -Facts ([ordered]@{ services = $facts.ToArray() })
}

# ------------------------------------------------------------- BLE adapter

function GetNymiBleAdapterFacts {
    [CmdletBinding()]
    param()
    try {
        if (-not (TestNymiIsWindows)) {
            return NewNymiHostCheck -State 'not_applicable' -Detail 'Needs Windows: the BLE adapter is looked up among the present PnP devices (Get-PnpDevice).'
        }
        if (-not (Get-Command Get-PnpDevice -ErrorAction SilentlyContinue)) {
            return NewNymiHostCheck -State 'skipped' -Detail 'Get-PnpDevice (PnpDevice module) is not available in this session.'
        }
        $devices = @(Get-PnpDevice -PresentOnly -ErrorAction SilentlyContinue | Where-Object {
                $_.Class -eq 'Bluetooth' -or $_.Class -eq 'Ports' -or [string]$_.FriendlyName -match 'Bluegiga|BLED112'
            } | ForEach-Object {
                [PSCustomObject]@{ FriendlyName = [string]$_.FriendlyName; Class = [string]$_.Class; Status = [string]$_.Status; InstanceId = [string]$_.InstanceId }
            })
        ConvertToNymiBleAdapterCheck -Device $devices
    }
    catch {
        NewNymiHostCheckFailure -Name 'ble_adapter' -ErrorRecord $_
    }
}

function GetNymiBleAdapterKind {
    # 'bluegiga' (the dongle Nymi names), 'bluetooth' (a radio), 'usb_serial'
    # (a serial adapter that may be the dongle), or $null (not an adapter:
    # paired devices, protocol and enumerator entries, other ports).
    [CmdletBinding()]
    param([object] $Device)
    $name = [string]$Device.FriendlyName
    $class = [string]$Device.Class
    if ($name -match 'Bluegiga|BLED112') { return 'bluegiga' }
    if ($class -eq 'Ports') {
        if ($name -match 'Bluetooth|Low Energy|USB Serial|USB-SERIAL|CDC') { return 'usb_serial' }
        return $null
    }
    if ($class -eq 'Bluetooth') {
        if ($name -match 'Enumerator|RFCOMM|Protocol|Attribute|Identification|Service|Avrcp|Hands-Free|Audio|LE Device') { return $null }
        if ($name -match 'Bluetooth|Radio|Adapter|Wireless|BLE') { return 'bluetooth' }
    }
    $null
}

function ConvertToNymiBleAdapterCheck {
    # PnP devices (FriendlyName, Class, Status, InstanceId): no working
    # adapter is HOST_BLE_ADAPTER_MISSING.
    [CmdletBinding()]
    param([AllowEmptyCollection()][object[]] $Device = @())
    $adapters = @(foreach ($d in @($Device)) {
            if (-not $d) { continue }
            $kind = GetNymiBleAdapterKind -Device $d
            if ($kind) { [ordered]@{ name = [string]$d.FriendlyName; class = [string]$d.Class; status = [string]$d.Status; kind = $kind } }
        })
    $working = @($adapters | Where-Object { $_.status -eq 'OK' })
    $facts = [ordered]@{ adapters = [object[]]@($adapters | Select-Object -First 10) }
    if ($working.Count -gt 0) {
        $names = ($working | ForEach-Object { $_.name }) -join ', '
        return NewNymiHostCheck -State 'checked' -Detail "BLE adapter present: $names" -Facts $facts
    }
    $detail = 'No Bluetooth or Bluegiga (USB serial) adapter is present: the Nymi Bluetooth Endpoint cannot see any band, and a tap ends in "Object not found".'
    if ($adapters.Count -gt 0) {
        $detail = 'Adapters are present but none works: {0}.' -f (($adapters | ForEach-Object { '{0} ({1})' -f $_.name, $_.status }) -join ', ')
    }
    $finding = NewNymiHostFinding -Id 'HOST_BLE_ADAPTER_MISSING' -Severity 'error' `
        -Title 'No working BLE adapter on this terminal' -Detail $detail `
        -Evidence ([ordered]@{ adapters = $adapters.Count }) `
        -Remediation 'Plug in the BLE adapter (Bluegiga USB dongle) before tapping, or check it in Device Manager.' `
        -Refs @('Nymi article "Object not found": BLE adapter unplugged', 'domain brief section 5: check L')
    NewNymiHostCheck -State 'checked' -Detail 'No working BLE adapter found' -Findings @($finding) -Facts $facts
}

# ----------------------------------------------------------- WinHTTP proxy

function GetNymiWinHttpProxyFacts {
    [CmdletBinding()]
    param([AllowNull()][AllowEmptyString()][string] $NesUri)
    try {
        if (-not (TestNymiIsWindows)) {
            return NewNymiHostCheck -State 'not_applicable' -Detail 'Needs Windows: the WinHTTP machine proxy is read from the registry (what netsh winhttp show proxy shows).'
        }
        $endpoint = GetNymiNesEndpoint -NesUri $NesUri
        $hostName = $null
        if ($endpoint) { $hostName = $endpoint.HostName }
        ConvertToNymiWinHttpProxyCheck -WindowsProxy (GetNymiWindowsProxy) -HostName $hostName
    }
    catch {
        NewNymiHostCheckFailure -Name 'winhttp_proxy' -ErrorRecord $_
    }
}

function ConvertToNymiWinHttpProxyCheck {
    # The proxy settings (GetNymiWindowsProxy's object) against the NES host.
    [CmdletBinding()]
    param([AllowNull()][object] $WindowsProxy, [AllowNull()][AllowEmptyString()][string] $HostName)
    $proxy = $null
    $bypass = [string[]]@()
    $facts = [ordered]@{ winhttp_proxy = $null; winhttp_bypass = $bypass }
    if ($WindowsProxy) {
        $proxy = $WindowsProxy.WinHttpProxy
        $bypass = [string[]]@($WindowsProxy.WinHttpBypass)
        $facts = [ordered]@{ winhttp_proxy = $proxy; winhttp_bypass = $bypass; user_proxy = $WindowsProxy.UserProxy; pac_url = $WindowsProxy.PacUrl }
    }
    if ($HostName) { $facts['nes_host'] = $HostName }
    if (-not $proxy) {
        return NewNymiHostCheck -State 'checked' -Detail 'No WinHTTP proxy is set: services running as SYSTEM connect directly.' -Facts $facts
    }
    if (-not $HostName) {
        return NewNymiHostCheck -State 'checked' -Detail "WinHTTP proxy $proxy is set; no NES URL was given to compare with the bypass list." -Facts $facts
    }
    $bypassed = TestNymiProxyBypass -HostName $HostName -Bypass $bypass
    $facts['nes_bypassed'] = $bypassed
    if ($bypassed) {
        return NewNymiHostCheck -State 'checked' -Detail "WinHTTP proxy $proxy is set and $HostName is in its bypass list." -Facts $facts
    }
    $finding = NewNymiHostFinding -Id 'HOST_WINHTTP_PROXY_NO_BYPASS' -Severity 'warning' `
        -Title "The WinHTTP proxy $proxy would carry the NES requests of SYSTEM services" `
        -Detail "Services running as SYSTEM, like the NEA, use the WinHTTP machine proxy ($proxy), and $HostName is not in its bypass list ($($bypass -join ';'))." `
        -Evidence ([ordered]@{ winhttp_proxy = $proxy; bypass = $bypass; host = $HostName }) `
        -Remediation "Add $HostName to the bypass list (netsh winhttp set proxy proxy-server=`"$proxy`" bypass-list=`"$HostName;<local>`") or reset it (netsh winhttp reset proxy) when NES is internal." `
        -Refs @('domain brief section 5: check G')
    NewNymiHostCheck -State 'checked' -Detail "WinHTTP proxy $proxy is set and $HostName is not bypassed." -Findings @($finding) -Facts $facts
}

# ------------------------------------------------------------ Windows auth

function GetNymiWindowsAuthFacts {
    [CmdletBinding()]
    param([AllowNull()][AllowEmptyString()][string] $NesUri, [int] $TimeoutSec = 20)
    try {
        if (-not (TestNymiIsWindows)) {
            return NewNymiHostCheck -State 'not_applicable' -Detail 'Needs Windows: the request to NES with the Windows identity (Kerberos/NTLM) uses Invoke-WebRequest -UseDefaultCredentials.'
        }
        $endpoint = GetNymiNesEndpoint -NesUri $NesUri
        if (-not $endpoint) {
            return NewNymiHostCheck -State 'skipped' -Detail 'No usable NES URL was given: the request with the Windows identity needs one.'
        }
        # InvokeNymiAuthenticatedRequest sends credentials only after the
        # library verified TLS. Here there is no probe: Invoke-WebRequest
        # validates the certificate with the Windows chain engine and never
        # sends credentials when that fails, so the guard is given as passed.
        $stages = @(
            (NewNymiNesStage -Name 'tls' -Status 'ok' -DurationMs 0 -Detail 'validated by Windows')
            (NewNymiNesStage -Name 'http' -Status 'ok' -DurationMs 0 -Detail 'not probed')
        )
        $auth = InvokeNymiAuthenticatedRequest -Url $endpoint.Url -HostName $endpoint.HostName -Stages $stages -TimeoutSec $TimeoutSec
        ConvertToNymiWindowsAuthCheck -Result $auth -Url $endpoint.Url
    }
    catch {
        NewNymiHostCheckFailure -Name 'windows_auth' -ErrorRecord $_
    }
}

function ConvertToNymiWindowsAuthCheck {
    # InvokeNymiAuthenticatedRequest's answer (@{ Stage; Finding }) as a check.
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)][object] $Result, [string] $Url)
    $stage = $Result.Stage
    $facts = [ordered]@{ url = $Url; duration_ms = [int64]$stage.Duration.TotalMilliseconds }
    switch ([string]$stage.Status) {
        'ok' { return NewNymiHostCheck -State 'checked' -Detail ([string]$stage.Detail) -Facts $facts }
        'not_applicable' { return NewNymiHostCheck -State 'not_applicable' -Detail ([string]$stage.Detail) -Facts $facts }
        'skipped' { return NewNymiHostCheck -State 'skipped' -Detail ([string]$stage.Detail) -Facts $facts }
    }
    if ($Result.Finding) {
        return NewNymiHostCheck -State 'checked' -Detail ([string]$stage.Detail) -Findings @(ConvertToNymiHostFinding -Finding $Result.Finding) -Facts $facts
    }
    # No answer to judge (connection, TLS or timeout): the probe reports those.
    NewNymiHostCheck -State 'failed' -Detail ([string]$stage.Detail) -Facts $facts
}

# ------------------------------------------------------------ chain engine

function GetNymiChainEngineFacts {
    [CmdletBinding()]
    param([AllowNull()][AllowEmptyString()][string] $NesUri, [int] $TimeoutSec = 20)
    try {
        if (-not (TestNymiIsWindows)) {
            return NewNymiHostCheck -State 'not_applicable' -Detail 'Needs Windows: the NES TLS chain is built by the Windows chain engine in machine context, as the NEA running as SYSTEM sees it.'
        }
        $endpoint = GetNymiNesEndpoint -NesUri $NesUri
        if (-not $endpoint) {
            return NewNymiHostCheck -State 'skipped' -Detail 'No usable NES URL was given: the chain engine needs the NES certificate.'
        }
        if ($endpoint.Scheme -ne 'https') {
            return NewNymiHostCheck -State 'skipped' -Detail "The NES URL uses $($endpoint.Scheme): there is no TLS chain to build."
        }
        $presented = GetNymiServerCertificate -HostName $endpoint.HostName -Port $endpoint.Port -TimeoutSec $TimeoutSec
        try {
            $built = InvokeNymiChainEngine -Certificate $presented.Certificate -ExtraCertificate $presented.Chain -TimeoutSec $TimeoutSec
            ConvertToNymiChainCheck -Built $built.Built -Status $built.Status -Chain $built.Chain -HostName $endpoint.HostName -Port $endpoint.Port
        }
        finally {
            foreach ($c in @($presented.Chain) + @($presented.Certificate)) { if ($c) { $c.Dispose() } }
        }
    }
    catch {
        NewNymiHostCheckFailure -Name 'chain_engine' -ErrorRecord $_
    }
}

function GetNymiServerCertificate {
    # The certificate and chain the server presents in the TLS handshake.
    # The callback accepts whatever comes: nothing is sent after the
    # handshake, and the judgement is InvokeNymiChainEngine's. Bounded by the
    # timeout (connect, then handshake reads).
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)][string] $HostName, [int] $Port = 443, [int] $TimeoutSec = 20)
    $captured = @{ Certificate = $null; Chain = @() }
    $milliseconds = [math]::Max(1000, $TimeoutSec * 1000)
    $tcp = New-Object System.Net.Sockets.TcpClient
    try {
        $connect = $tcp.BeginConnect($HostName, $Port, $null, $null)
        if (-not $connect.AsyncWaitHandle.WaitOne($milliseconds)) {
            throw "no TCP connection to ${HostName}:$Port within $TimeoutSec s"
        }
        $tcp.EndConnect($connect)
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
    [PSCustomObject]@{ Certificate = $captured.Certificate; Chain = $captured.Chain }
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

function ConvertToNymiChainCheck {
    # The chain engine's answer: revocation that could not be checked only is
    # HOST_CHAIN_REVOCATION_OFFLINE, anything else wrong HOST_CHAIN_UNTRUSTED.
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
    $offlineFlags = @('RevocationStatusUnknown', 'OfflineRevocation')
    $entries = @($Status | Where-Object { $_ -and [string]$_.Status -ne 'NoError' })
    $strings = [string[]]@($entries | ForEach-Object {
            $info = [string]$_.StatusInformation
            if ($info) { '{0}: {1}' -f $_.Status, $info.Trim() } else { [string]$_.Status }
        } | Select-Object -Unique)
    # One entry may carry several flags ('RevocationStatusUnknown, OfflineRevocation').
    $flags = @($entries | ForEach-Object { ([string]$_.Status) -split ',\s*' } | Where-Object { $_ } | Select-Object -Unique)
    $serious = @($flags | Where-Object { $offlineFlags -notcontains $_ })
    $facts = [ordered]@{
        host = $HostName
        port = $Port
        built = $Built
        chain = [object[]]@($Chain | Select-Object -First 6 | ForEach-Object { [ordered]@{ subject = [string]$_.Subject; thumbprint = [string]$_.Thumbprint; not_after = [string]$_.NotAfter } })
        status = $strings
    }
    $leaf = 'the NES certificate'
    if (@($Chain).Count -gt 0) { $leaf = [string]@($Chain)[0].Subject }
    $top = $null
    if (@($Chain).Count -gt 0) { $top = [string]@($Chain)[-1].Subject }
    $evidence = [ordered]@{ host = $HostName; status = $strings; top = $top }

    if ($serious.Count -gt 0 -or (-not $Built -and $flags.Count -eq 0)) {
        $finding = NewNymiHostFinding -Id 'HOST_CHAIN_UNTRUSTED' -Severity 'error' `
            -Title "The Windows chain engine does not trust the NES certificate of $HostName" `
            -Detail ("Built in machine context for {0}: {1}." -f $leaf, (@($strings) -join '; ')) `
            -Evidence $evidence `
            -Remediation 'Deploy the issuing and root CA of the NES certificate to the LocalMachine Intermediate and Root stores (GPO or Intune), or renew the NES certificate; the CAPI2 log (event 11) shows the chain build.' `
            -Refs @('domain brief section 5: check H', 'domain brief section 3: 0x800B0109')
        return NewNymiHostCheck -State 'checked' -Detail ('Not trusted: {0}' -f ($serious -join ', ')) -Findings @($finding) -Facts $facts
    }
    if ($flags.Count -gt 0) {
        $finding = NewNymiHostFinding -Id 'HOST_CHAIN_REVOCATION_OFFLINE' -Severity 'warning' `
            -Title "Revocation of the NES certificate chain of $HostName could not be checked" `
            -Detail ("The chain builds to a trusted root, but the CRL or OCSP servers did not answer: {0}." -f (@($strings) -join '; ')) `
            -Evidence $evidence `
            -Remediation 'Open the CRL distribution point and AIA/OCSP URLs of the NES chain (usually HTTP 80) for this terminal, through the WinHTTP proxy if one is set.' `
            -Refs @('domain brief section 5: check H', 'domain brief section 3: 0x80092013')
        return NewNymiHostCheck -State 'checked' -Detail 'Trusted; revocation could not be checked' -Findings @($finding) -Facts $facts
    }
    NewNymiHostCheck -State 'checked' -Detail "Trusted by the Windows chain engine, revocation checked ($leaf)" -Facts $facts
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
