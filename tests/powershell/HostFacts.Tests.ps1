# The host observations (GetNymiHostObservations): what PowerShell gathers
# and the shape it sends. What the observations mean (the HOST_* findings)
# is the library's and is tested in Rust (src/host). The Windows data
# sources cannot run here: the conversions take plain data and are tested
# directly; the TLS capture and chain build run against the loopback mock
# NES (tests/mock_nes.rs), started by this file.
BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    $onWindows = [System.Environment]::OSVersion.Platform -eq [System.PlatformID]::Win32NT
    $mock = Start-MockNes -SlowMs 2000
    $m = $mock.Manifest
    $server = @{
        ServerPid = [int]$m.pid; CargoPid = $mock.Process.Id; Folder = $mock.Folder; OnWindows = $onWindows
        Healthy = $m.scenarios.healthy.url; UnknownCa = $m.scenarios.unknown_ca.url; Refused = $m.scenarios.refused.url
    }
    # The URL rules of GetNymiNesEndpoint against the library's URL stage.
    # Loopback literals only: the probe that reads them never leaves this
    # machine.
    $urlCases = @(
        @{ Given = '127.0.0.1:9' }
        @{ Given = 'https://127.0.0.1:9/nes' }
        @{ Given = 'HTTPS://127.0.0.1:9/NES' }
        @{ Given = 'https://127.0.0.1:9' }
        @{ Given = 'https://127.0.0.1:9/' }
        @{ Given = 'https://127.0.0.1:443/svc/' }
        @{ Given = 'http://127.0.0.1:80/nes' }
        @{ Given = 'http://127.0.0.1:8080' }
        @{ Given = '  "https://127.0.0.1:9/nes"  ' }
        @{ Given = 'https://127.0.0.1:9/nes?tenant=1#top' }
        @{ Given = 'https://[::1]:9/nes' }
        @{ Given = '[::1]:9' }
        @{ Given = 'ftp://127.0.0.1:9/nes' }
        @{ Given = 'https://user:secret@127.0.0.1:9/nes' }
    )
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    Import-Module $ManifestPath -Force
    $observationNames = @('services', 'ble_adapter', 'winhttp_proxy', 'windows_auth', 'chain_engine')
    $documentKeys = $observationNames + @('terminal_addresses', 'dns_servers', 'domain_controllers')

    function Assert-ObservationShape {
        # One observation as ConvertFrom-Json reads it: the contract's fields only.
        param([object] $Observation)
        $names = @($Observation.PSObject.Properties.Name)
        foreach ($n in $names) { $n | Should -BeIn @('state', 'detail', 'seen') }
        $Observation.state | Should -BeIn @('observed', 'skipped', 'not_applicable', 'failed')
        if ($Observation.state -eq 'observed') { $names | Should -Contain 'seen' }
        else {
            $names | Should -Not -Contain 'seen'
            $Observation.detail | Should -Not -BeNullOrEmpty
        }
    }

    function ConvertTo-JsonRoundTrip {
        param([object] $Value)
        ConvertTo-Json -InputObject $Value -Depth 8 | ConvertFrom-Json
    }
}

Describe 'GetNymiHostObservations' {
    It 'returns the host document: the five observations in order and the network facts' {
        $facts = InModuleScope NymiDiag { GetNymiHostObservations }
        $facts | Should -BeOfType [System.Collections.Specialized.OrderedDictionary]
        @($facts.Keys) | Should -Be $documentKeys
        foreach ($key in 'terminal_addresses', 'dns_servers', 'domain_controllers') {
            , $facts[$key] | Should -BeOfType [string[]] -Because "$key is a list of addresses"
        }
    }

    It 'returns only the observations with -ObservationsOnly' {
        Mock -ModuleName NymiDiag GetNymiNetworkFacts { throw 'must not be read' }
        $facts = InModuleScope NymiDiag { GetNymiHostObservations -Observation 'services' -ObservationsOnly }
        @($facts.Keys) | Should -Be @('services')
        Should -Invoke -ModuleName NymiDiag GetNymiNetworkFacts -Times 0 -Exactly
    }

    It 'says off Windows that every observation needs Windows' -Skip:$OnWindows {
        $facts = InModuleScope NymiDiag { GetNymiHostObservations -NesUri 'https://nes.corp.example/nes' }
        foreach ($name in $observationNames) {
            $facts[$name].state | Should -Be 'not_applicable'
            $facts[$name].detail | Should -Match 'Needs Windows'
            $facts[$name].Contains('seen') | Should -BeFalse
        }
    }

    It 'lists no loopback or link-local address among the terminal addresses' {
        $facts = InModuleScope NymiDiag { GetNymiHostObservations -Observation @() }
        foreach ($text in $facts.terminal_addresses) {
            $address = [System.Net.IPAddress]::Parse($text)
            [System.Net.IPAddress]::IsLoopback($address) | Should -BeFalse
            $address.IsIPv6LinkLocal | Should -BeFalse
        }
    }

    It 'converts to JSON with exactly the contract field names' {
        $json = InModuleScope NymiDiag { ConvertTo-Json -InputObject (GetNymiHostObservations -NesUri 'nes.corp.example') -Depth 8 }
        $document = $json | ConvertFrom-Json
        @($document.PSObject.Properties.Name) | Should -Be $documentKeys
        foreach ($name in $observationNames) { Assert-ObservationShape $document.$name }
        foreach ($key in 'terminal_addresses', 'dns_servers', 'domain_controllers') {
            , $document.$key | Should -BeOfType [object[]] -Because "$key is a JSON array"
        }
    }

    It 'keeps one address a JSON array, and no address an empty one' {
        Mock -ModuleName NymiDiag GetNymiNetworkFacts { [ordered]@{ terminal_addresses = [string[]]@('10.30.4.77'); dns_servers = [string[]]@('10.30.0.10') } }
        Mock -ModuleName NymiDiag GetNymiDomainControllers { }
        $json = InModuleScope NymiDiag {
            ConvertTo-Json -InputObject (GetNymiHostObservations -Observation @()) -Depth 8 -Compress
        }
        $json | Should -Be '{"terminal_addresses":["10.30.4.77"],"dns_servers":["10.30.0.10"],"domain_controllers":[]}'
    }

    It 'runs only the observations given with -Observation, in contract order' {
        $facts = InModuleScope NymiDiag { GetNymiHostObservations -Observation 'chain_engine', 'services' -ObservationsOnly }
        @($facts.Keys) | Should -Be @('services', 'chain_engine')
    }

    It 'rejects an unknown observation name' {
        { InModuleScope NymiDiag { GetNymiHostObservations -Observation 'firewall' } } | Should -Throw
    }

    It 'turns an observation that throws into state failed with the reason, and goes on' {
        Mock -ModuleName NymiDiag TestNymiIsWindows { $true }
        Mock -ModuleName NymiDiag GetNymiWindowsProxy { throw 'the registry key is unreadable' }
        Mock -ModuleName NymiDiag FindNymiService { throw 'Get-Service is blocked' }
        $facts = InModuleScope NymiDiag { GetNymiHostObservations -NesUri 'nes.corp.example' -Observation 'services', 'winhttp_proxy' }
        $facts.winhttp_proxy.state | Should -Be 'failed'
        $facts.winhttp_proxy.detail | Should -Match 'the registry key is unreadable'
        $facts.services.state | Should -Be 'failed'
        $facts.services.detail | Should -Match 'Get-Service is blocked'
        Assert-ObservationShape (ConvertTo-JsonRoundTrip $facts.services)
    }

    It 'still answers when an observation function itself throws' {
        Mock -ModuleName NymiDiag GetNymiBleAdapterObservation { throw 'unexpected' }
        Mock -ModuleName NymiDiag GetNymiNetworkFacts { throw 'no interfaces' }
        Mock -ModuleName NymiDiag GetNymiDomainControllers { throw 'no domain' }
        $facts = InModuleScope NymiDiag { GetNymiHostObservations -Observation 'ble_adapter' }
        $facts.ble_adapter.state | Should -Be 'failed'
        $facts.ble_adapter.detail | Should -Match 'unexpected'
        @($facts.Keys) | Should -Be @('ble_adapter', 'terminal_addresses', 'dns_servers', 'domain_controllers')
        foreach ($key in 'terminal_addresses', 'dns_servers', 'domain_controllers') { @($facts[$key]).Count | Should -Be 0 }
    }

    It 'is read by the library: the checks it builds keep the states and reasons' {
        Mock -ModuleName NymiDiag TestNymiIsWindows { $true }
        Mock -ModuleName NymiDiag FindNymiService { throw 'Get-Service is blocked' }
        $report = InModuleScope NymiDiag {
            $request = @{ host = (GetNymiHostObservations -Observation 'services' -ObservationsOnly); skip = @('cert_inventory', 'log_scan', 'nes_probe') }
            $json = ConvertTo-Json -InputObject $request -Depth 20 -Compress
            $response = $null
            $status = $script:NymiNative.Library.Call('nymidiag_diagnose', [System.Text.Encoding]::UTF8.GetBytes($json), [ref]$response)
            $status | Should -Be 0
            [System.Text.Encoding]::UTF8.GetString($response) | ConvertFrom-Json
        }
        $report.data.host.checks.services.state | Should -Be 'failed'
        $report.data.host.checks.services.detail | Should -Match 'Get-Service is blocked'
    }
}

Describe 'services observation' {
    BeforeAll {
        $all = @(
            [PSCustomObject]@{ Name = 'EamSecSvc'; DisplayName = 'EAM Security Service'; Status = 'Running' }
            [PSCustomObject]@{ Name = 'NymiAgent'; DisplayName = 'Nymi Agent'; Status = 'Running' }
            [PSCustomObject]@{ Name = 'NymiBE'; DisplayName = 'Nymi Bluetooth Endpoint'; Status = 'Stopped'; StartType = 'Disabled' }
        )
    }

    It 'sorts the services into the three roles by display name' {
        $o = InModuleScope NymiDiag -Parameters @{ All = $all } { param($All) ConvertToNymiServiceObservation -Service $All }
        $o.state | Should -Be 'observed'
        @($o.seen.roles | ForEach-Object { $_.role }) | Should -Be @('eam_security', 'nymi_agent', 'nymi_bluetooth_endpoint')
        $o.seen.roles[0].pattern | Should -Match 'EAM Security Service'
        $o.seen.roles[0].services[0].name | Should -Be 'EamSecSvc'
        $o.seen.roles[0].services[0].status | Should -Be 'Running'
        $o.seen.roles[0].services[0].start_type | Should -BeNullOrEmpty
        $o.seen.roles[2].services[0].status | Should -Be 'Stopped'
        $o.seen.roles[2].services[0].start_type | Should -Be 'Disabled'
        Assert-ObservationShape (ConvertTo-JsonRoundTrip $o)
    }

    It 'leaves a role without services when none is installed, as a JSON array' {
        $o = InModuleScope NymiDiag -Parameters @{ S = @($all[0]) } { param($S) ConvertToNymiServiceObservation -Service $S }
        $json = ConvertTo-JsonRoundTrip $o
        , $json.seen.roles[1].services | Should -BeOfType [object[]]
        @($json.seen.roles[1].services).Count | Should -Be 0
        $empty = InModuleScope NymiDiag { ConvertToNymiServiceObservation -Service @() }
        foreach ($role in $empty.seen.roles) { @($role.services).Count | Should -Be 0 }
    }

    It 'matches the Evidian and Enterprise Access names of the EAM service' -ForEach @(
        @{ DisplayName = 'Evidian EAM Security Service' }
        @{ DisplayName = 'Enterprise Access Management Security Service' }
    ) {
        $services = @([PSCustomObject]@{ Name = 'x'; DisplayName = $DisplayName; Status = 'Running' })
        $o = InModuleScope NymiDiag -Parameters @{ S = $services } { param($S) ConvertToNymiServiceObservation -Service $S }
        @($o.seen.roles[0].services).Count | Should -Be 1
    }

    It 'keeps every service that matches a role' {
        $services = @(
            [PSCustomObject]@{ Name = 'Old'; DisplayName = 'Nymi Agent (legacy)'; Status = 'Stopped' }
            [PSCustomObject]@{ Name = 'New'; DisplayName = 'Nymi Agent'; Status = 'Running' }
        )
        $o = InModuleScope NymiDiag -Parameters @{ S = $services } { param($S) ConvertToNymiServiceObservation -Service $S }
        @($o.seen.roles[1].services | ForEach-Object { $_.name }) | Should -Be @('Old', 'New')
    }

    It 'reads the services through the seam with the site patterns' {
        Mock -ModuleName NymiDiag TestNymiIsWindows { $true }
        $o = InModuleScope NymiDiag {
            $saved = $script:NymiServiceControl
            try {
                $script:NymiServiceControl = [PSCustomObject]@{
                    Find = {
                        param($Pattern)
                        $script:SeenPattern = $Pattern
                        @(
                            [PSCustomObject]@{ Name = 'SiteEam'; DisplayName = 'Site SSO Security'; Status = 'Stopped' }
                            [PSCustomObject]@{ Name = 'NymiAgent'; DisplayName = 'Nymi Agent'; Status = 'Running' }
                            [PSCustomObject]@{ Name = 'NymiBE'; DisplayName = 'Nymi Bluetooth Endpoint'; Status = 'Running' }
                        ) | Where-Object { $_.DisplayName -match $Pattern }
                    }
                    Restart = { throw 'not used' }
                    Status = { throw 'not used' }
                }
                GetNymiServiceObservation -ServicePattern @{ eam_security = '^Site SSO Security$' }
                $script:SeenPattern | Should -Match 'Site SSO Security'
                $script:SeenPattern | Should -Match 'Nymi Agent'
            }
            finally {
                $script:NymiServiceControl = $saved
            }
        }
        $o.state | Should -Be 'observed'
        $o.seen.roles[0].role | Should -Be 'eam_security'
        $o.seen.roles[0].pattern | Should -Be '^Site SSO Security$'
        $o.seen.roles[0].services[0].name | Should -Be 'SiteEam'
        $o.seen.roles[0].services[0].status | Should -Be 'Stopped'
    }
}

Describe 'BLE adapter observation' {
    It 'lists the devices as seen, nothing judged' {
        $devices = @(
            [PSCustomObject]@{ FriendlyName = 'Microsoft Bluetooth Enumerator'; Class = 'Bluetooth'; Status = 'OK'; InstanceId = 'x' }
            [PSCustomObject]@{ FriendlyName = 'Bluegiga Bluetooth Low Energy (COM3)'; Class = 'Ports'; Status = 'Error'; InstanceId = 'y' }
        )
        $o = InModuleScope NymiDiag -Parameters @{ D = $devices } { param($D) ConvertToNymiBleAdapterObservation -Device $D }
        $o.state | Should -Be 'observed'
        @($o.seen.devices).Count | Should -Be 2
        $o.seen.devices[1].friendly_name | Should -Be 'Bluegiga Bluetooth Low Energy (COM3)'
        $o.seen.devices[1].class | Should -Be 'Ports'
        $o.seen.devices[1].status | Should -Be 'Error'
        @($o.seen.devices[0].Keys) | Should -Be @('friendly_name', 'class', 'status')
    }

    It 'sends no device as an empty JSON array' {
        $o = InModuleScope NymiDiag { ConvertToNymiBleAdapterObservation -Device @() }
        (ConvertTo-Json -InputObject $o -Depth 5 -Compress) | Should -Be '{"state":"observed","seen":{"devices":[]}}'
    }
}

Describe 'proxy observation' {
    It 'carries the WinHTTP proxy, its bypass list and the user settings' {
        $proxy = [PSCustomObject]@{ WinHttpProxy = 'proxy.corp.example:8080'; WinHttpBypass = [string[]]@('<local>', '*.corp.example'); UserProxy = 'user-proxy:3128'; UserBypass = [string[]]@('intranet'); PacUrl = 'http://wpad/wpad.dat' }
        $o = InModuleScope NymiDiag -Parameters @{ P = $proxy } { param($P) ConvertToNymiProxyObservation -WindowsProxy $P }
        $o.state | Should -Be 'observed'
        $o.seen.winhttp_proxy | Should -Be 'proxy.corp.example:8080'
        $o.seen.winhttp_bypass | Should -Be @('<local>', '*.corp.example')
        $o.seen.user_proxy | Should -Be 'user-proxy:3128'
        $o.seen.user_bypass | Should -Be @('intranet')
        $o.seen.pac_url | Should -Be 'http://wpad/wpad.dat'
    }

    It 'says direct access as no proxy and empty lists' {
        $direct = [PSCustomObject]@{ WinHttpProxy = $null; WinHttpBypass = [string[]]@(); UserProxy = $null; PacUrl = $null }
        $json = InModuleScope NymiDiag -Parameters @{ D = $direct } { param($D) ConvertTo-Json -InputObject (ConvertToNymiProxyObservation -WindowsProxy $D) -Depth 5 -Compress }
        $json | Should -Be '{"state":"observed","seen":{"winhttp_proxy":null,"winhttp_bypass":[],"user_proxy":null,"user_bypass":[],"pac_url":null}}'
    }
}

Describe 'NES endpoint from the URI' {
    It 'reads <Uri> as <HostName>:<Port>' -ForEach @(
        @{ Uri = 'nes.corp.example'; HostName = 'nes.corp.example'; Port = 443; Url = 'https://nes.corp.example/nes' }
        @{ Uri = 'https://nes.corp.example/nes'; HostName = 'nes.corp.example'; Port = 443; Url = 'https://nes.corp.example/nes' }
        @{ Uri = 'https://nes.corp.example'; HostName = 'nes.corp.example'; Port = 443; Url = 'https://nes.corp.example/nes' }
        @{ Uri = 'http://nes:8080/svc'; HostName = 'nes'; Port = 8080; Url = 'http://nes:8080/svc' }
        @{ Uri = 'https://[::1]:4443/nes'; HostName = '::1'; Port = 4443; Url = 'https://[::1]:4443/nes' }
    ) {
        $endpoint = InModuleScope NymiDiag -Parameters @{ U = $Uri } { param($U) GetNymiNesEndpoint -NesUri $U }
        $endpoint.HostName | Should -Be $HostName
        $endpoint.Port | Should -Be $Port
        $endpoint.Url | Should -Be $Url
    }

    It 'gives nothing for no URI, another scheme or credentials' {
        InModuleScope NymiDiag {
            GetNymiNesEndpoint -NesUri '' | Should -BeNullOrEmpty
            GetNymiNesEndpoint -NesUri 'ftp://nes.corp.example/' | Should -BeNullOrEmpty
            GetNymiNesEndpoint -NesUri 'https://user:pw@nes.corp.example/nes' | Should -BeNullOrEmpty
        }
    }

    It 'agrees with the library on <Given>' -ForEach $urlCases {
        $report = Test-NymiNesConnection -Uri $Given -TimeoutSec 1 -NoWindowsIdentity -Raw | ConvertFrom-Json
        $target = $report.data.target
        $endpoint = InModuleScope NymiDiag -Parameters @{ U = $Given } { param($U) GetNymiNesEndpoint -NesUri $U }
        if ($null -eq $target) {
            $endpoint | Should -BeNullOrEmpty -Because "the library refuses '$Given'"
        }
        else {
            $endpoint | Should -Not -BeNullOrEmpty -Because "the library reads '$Given' as $($target.url)"
            $endpoint.Url | Should -Be $target.url
            $endpoint.HostName | Should -Be $target.host
            $endpoint.Port | Should -Be $target.port
            $endpoint.Scheme | Should -Be $target.scheme
        }
    }
}

Describe 'probe observations' {
    It 'says why the identity request was not sent: <Why>' -ForEach @(
        @{ Why = 'not Windows'; Windows = $false; NoIdentity = $false; State = 'not_applicable'; Detail = 'needs Windows' }
        @{ Why = '-NoWindowsIdentity'; Windows = $true; NoIdentity = $true; State = 'skipped'; Detail = '-NoWindowsIdentity' }
    ) {
        Mock -ModuleName NymiDiag TestNymiIsWindows { $Windows }.GetNewClosure()
        $o = InModuleScope NymiDiag -Parameters @{ N = $NoIdentity } { param($N) GetNymiProbeObservations -Uri 'https://nes.corp.example/nes' -NoWindowsIdentity:$N }
        $o.windows_auth.state | Should -Be $State
        $o.windows_auth.detail | Should -Match ([regex]::Escape($Detail))
        $o.Contains('winhttp_proxy') | Should -BeFalse
    }

    It 'adds the WinHTTP proxy when it was read' {
        $proxy = [PSCustomObject]@{ WinHttpProxy = 'proxy.corp.example:8080'; WinHttpBypass = [string[]]@('<local>') }
        $o = InModuleScope NymiDiag -Parameters @{ P = $proxy } { param($P) GetNymiProbeObservations -Uri 'https://nes.corp.example/nes' -WindowsProxy $P -NoWindowsIdentity }
        $o.winhttp_proxy.seen.winhttp_proxy | Should -Be 'proxy.corp.example:8080'
    }
}

# Every server is the loopback mock NES this file started.
Describe 'against the mock NES' -ForEach @($server) {
    AfterAll {
        Stop-MockNes -ProcessId $ServerPid -Folder $Folder
        Stop-Process -Id $CargoPid -Force -ErrorAction SilentlyContinue
    }

    Describe 'Windows identity and chain engine observations' {
        BeforeAll {
            Mock -ModuleName NymiDiag TestNymiIsWindows { $true }
            Mock -ModuleName NymiDiag InvokeNymiIdentityRequest {
                [ordered]@{ url = $Url; identity = 'CORP\TERM01$'; status_code = 401; schemes = [string[]]@('Negotiate'); error_kind = $null; error = $null; duration_ms = 12 }
            }
        }

        It 'sends nothing without a configured URL, and says why' {
            $o = InModuleScope NymiDiag { GetNymiNesObservations -NesUri '' }
            $o.windows_auth.state | Should -Be 'skipped'
            $o.windows_auth.detail | Should -Match 'configured NES URL'
            $o.chain_engine.state | Should -Be 'skipped'
            Should -Invoke -ModuleName NymiDiag InvokeNymiIdentityRequest -Times 0 -Exactly
        }

        It 'sends the Windows identity only over https' {
            $o = InModuleScope NymiDiag { GetNymiNesObservations -NesUri 'http://nes.corp.example/nes' }
            $o.windows_auth.state | Should -Be 'skipped'
            $o.windows_auth.detail | Should -Match 'only over https'
            $o.chain_engine.detail | Should -Match 'no TLS chain'
            Should -Invoke -ModuleName NymiDiag InvokeNymiIdentityRequest -Times 0 -Exactly
        }

        It 'skips the identity request when the handshake found no TCP connection' {
            $o = InModuleScope NymiDiag -Parameters @{ Url = $Refused } { param($Url) GetNymiNesObservations -NesUri $Url -TimeoutSec 4 }
            $o.chain_engine.state | Should -Be 'failed'
            $o.chain_engine.detail | Should -Match 'refused'
            $o.chain_engine.detail | Should -Not -Match 'Exception calling'
            $o.windows_auth.state | Should -Be 'skipped'
            $o.windows_auth.detail | Should -Match 'no TCP connection'
            Should -Invoke -ModuleName NymiDiag InvokeNymiIdentityRequest -Times 0 -Exactly
        }

        It 'sends the identity request after a handshake, and keeps what it saw' {
            $o = InModuleScope NymiDiag -Parameters @{ Url = $Healthy } { param($Url) GetNymiNesObservations -NesUri $Url -TimeoutSec 4 }
            Should -Invoke -ModuleName NymiDiag InvokeNymiIdentityRequest -Times 1 -Exactly
            $o.windows_auth.state | Should -Be 'observed'
            $o.windows_auth.seen.status_code | Should -Be 401
            $o.windows_auth.seen.url | Should -Be $Healthy
            Assert-ObservationShape (ConvertTo-JsonRoundTrip $o.windows_auth)
        }

        It 'checks only TCP before the identity request when the chain engine is not wanted' {
            Mock -ModuleName NymiDiag GetNymiChainEngineObservation { throw 'must not run' }
            $o = InModuleScope NymiDiag -Parameters @{ Url = $Refused } { param($Url) GetNymiNesObservations -NesUri $Url -Observation 'windows_auth' }
            $o.windows_auth.detail | Should -Match 'no TCP connection'
            Should -Invoke -ModuleName NymiDiag GetNymiChainEngineObservation -Times 0 -Exactly
        }

        It 'reads the schemes of WWW-Authenticate' {
            InModuleScope NymiDiag {
                GetNymiAuthSchemes -Headers @{ 'WWW-Authenticate' = @('Negotiate', 'NTLM, Basic realm="x"') } | Should -Be @('Negotiate', 'NTLM', 'Basic')
                GetNymiAuthSchemes -Headers $null | Should -BeNullOrEmpty
            }
        }

        It 'puts the chain engine answer into the contract shape' {
            $o = InModuleScope NymiDiag {
                $status = @([PSCustomObject]@{ Status = 'UntrustedRoot'; StatusInformation = 'A certificate chain processed, but terminated in a root certificate which is not trusted by the trust provider. ' })
                $chain = @([PSCustomObject]@{ Subject = 'CN=nes.corp.example'; Thumbprint = 'AA'; NotAfter = '2027-01-01T00:00:00Z' }, [PSCustomObject]@{ Subject = 'CN=Corp Root'; Thumbprint = 'BB'; NotAfter = '2030-01-01T00:00:00Z' })
                ConvertToNymiChainObservation -Built $false -Status $status -Chain $chain -HostName 'nes.corp.example' -Port 443
            }
            $o.state | Should -Be 'observed'
            $o.seen.host | Should -Be 'nes.corp.example'
            $o.seen.built | Should -BeFalse
            $o.seen.status[0].status | Should -Be 'UntrustedRoot'
            $o.seen.status[0].information | Should -BeLike 'A certificate chain processed*provider.'
            $o.seen.chain[1].subject | Should -Be 'CN=Corp Root'
        }

        It 'sends an empty chain as JSON arrays' {
            $json = InModuleScope NymiDiag { ConvertTo-Json -InputObject (ConvertToNymiChainObservation -Built $true -HostName 'h') -Depth 6 -Compress }
            $json | Should -Be '{"state":"observed","seen":{"host":"h","port":443,"built":true,"status":[],"chain":[]}}'
        }
    }

    # The capture and the chain build are .NET, not Windows: they run here
    # against the loopback mock NES with the Windows gate mocked open. Not on
    # Windows itself, where an unknown root may send the chain engine to
    # Windows Update for roots.
    Describe 'chain engine against the mock NES' -Skip:$server.OnWindows {
        It 'captures the presented certificate and chain' {
            $port = ([uri]$Healthy).Port
            $presented = InModuleScope NymiDiag -Parameters @{ Port = $port } { param($Port) GetNymiServerCertificate -HostName 'localhost' -Port $Port -TimeoutSec 4 }
            $presented.Connected | Should -BeTrue
            $presented.Certificate.Subject | Should -Match 'CN=localhost'
            @($presented.Chain).Count | Should -BeGreaterThan 0
        }

        It 'observes a chain from an unknown CA, which the library calls HOST_CHAIN_UNTRUSTED' {
            Mock -ModuleName NymiDiag TestNymiIsWindows { $true }
            $o = InModuleScope NymiDiag -Parameters @{ Url = $UnknownCa } { param($Url) GetNymiNesObservations -NesUri $Url -TimeoutSec 4 -Observation 'chain_engine' }
            $chain = $o.chain_engine
            $chain.state | Should -Be 'observed'
            $chain.seen.built | Should -BeFalse
            $chain.seen.chain[0].subject | Should -Match 'CN=localhost'
            $chain.seen.host | Should -Be 'localhost'
            Assert-ObservationShape (ConvertTo-JsonRoundTrip $chain)
            $report = InModuleScope NymiDiag -Parameters @{ C = $chain; Url = $UnknownCa } {
                param($C, $Url)
                $json = ConvertTo-Json -InputObject @{ nes_url = $Url; host = @{ chain_engine = $C }; skip = @('cert_inventory', 'log_scan', 'nes_probe') } -Depth 20 -Compress
                $response = $null
                $null = $script:NymiNative.Library.Call('nymidiag_diagnose', [System.Text.Encoding]::UTF8.GetBytes($json), [ref]$response)
                [System.Text.Encoding]::UTF8.GetString($response) | ConvertFrom-Json
            }
            $report.data.host.checks.chain_engine.findings[0].id | Should -Be 'HOST_CHAIN_UNTRUSTED'
        }

        It 'reports a closed port as state failed with the reason' {
            Mock -ModuleName NymiDiag TestNymiIsWindows { $true }
            $o = InModuleScope NymiDiag -Parameters @{ Url = $Refused } { param($Url) GetNymiNesObservations -NesUri $Url -TimeoutSec 4 -Observation 'chain_engine' }
            $o.chain_engine.state | Should -Be 'failed'
            $o.chain_engine.detail | Should -Match 'refused'
            $o.chain_engine.detail | Should -Not -Match 'Exception calling'
        }
    }
}

Describe 'terminal addresses' {
    It 'drops loopback, link-local and duplicates and lists IPv4 first' {
        $addresses = @('::1', '127.0.0.1', 'fe80::1', '2001:db8::7', '10.30.4.77', '169.254.10.1', '10.30.4.77') | ForEach-Object { [System.Net.IPAddress]::Parse($_) }
        $kept = @(InModuleScope NymiDiag -Parameters @{ A = $addresses } { param($A) SelectNymiTerminalAddress -Address $A })
        $kept | Should -Be @('10.30.4.77', '2001:db8::7')
    }

    It 'drops IPv6 zone suffixes and keeps global IPv6 addresses' {
        $addresses = @('2001:db8::7%3', '2001:db8::7', 'fd00::5%eth0', 'fe80::1%2') | ForEach-Object { [System.Net.IPAddress]::Parse(($_ -replace '%eth0$', '%4')) }
        $kept = @(InModuleScope NymiDiag -Parameters @{ A = $addresses } { param($A) SelectNymiTerminalAddress -Address $A })
        $kept | Should -Be @('2001:db8::7', 'fd00::5')
    }
}

Describe 'network facts' {
    BeforeAll {
        $network = InModuleScope NymiDiag { GetNymiNetworkFacts }
    }

    It 'reads this machine, on every platform, without failing' {
        @($network.Keys) | Should -Be @('terminal_addresses', 'dns_servers')
        , $network.terminal_addresses | Should -BeOfType [string[]]
        , $network.dns_servers | Should -BeOfType [string[]]
    }

    It 'lists terminal addresses that parse as IP addresses, without loopback, link-local or zone' {
        foreach ($text in $network.terminal_addresses) {
            $address = $null
            [System.Net.IPAddress]::TryParse($text, [ref]$address) | Should -BeTrue -Because "'$text' is an address"
            [System.Net.IPAddress]::IsLoopback($address) | Should -BeFalse
            $address.IsIPv6LinkLocal | Should -BeFalse
            $text | Should -Not -Match '%'
        }
        @($network.terminal_addresses | Select-Object -Unique).Count | Should -Be @($network.terminal_addresses).Count
    }

    It 'lists DNS servers that parse as IP addresses, without zone or duplicates' {
        foreach ($text in $network.dns_servers) {
            $address = $null
            [System.Net.IPAddress]::TryParse($text, [ref]$address) | Should -BeTrue -Because "'$text' is an address"
            $text | Should -Not -Match '%'
        }
        @($network.dns_servers | Select-Object -Unique).Count | Should -Be @($network.dns_servers).Count
    }

    It 'matches the addresses .NET reports for the interfaces that are up' {
        $expected = New-Object System.Collections.Generic.List[string]
        foreach ($interface in [System.Net.NetworkInformation.NetworkInterface]::GetAllNetworkInterfaces()) {
            if ($interface.OperationalStatus -ne 'Up' -or $interface.NetworkInterfaceType -eq 'Loopback') { continue }
            foreach ($u in $interface.GetIPProperties().UnicastAddresses) {
                $a = $u.Address
                if ([System.Net.IPAddress]::IsLoopback($a) -or $a.IsIPv6LinkLocal) { continue }
                if ($a.AddressFamily -eq 'InterNetwork' -and $a.GetAddressBytes()[0] -eq 169 -and $a.GetAddressBytes()[1] -eq 254) { continue }
                $expected.Add(($a.ToString() -replace '%.*$', ''))
            }
        }
        foreach ($text in $expected) { $network.terminal_addresses | Should -Contain $text }
    }

    It 'keeps DNS servers in order, once, and drops placeholders: <Case>' -ForEach @(
        @{ Case = 'IPv4 in order'; In = @('10.30.0.10', '10.30.0.11'); Out = @('10.30.0.10', '10.30.0.11') }
        @{ Case = 'duplicates across interfaces'; In = @('10.30.0.10', '10.30.0.11', '10.30.0.10'); Out = @('10.30.0.10', '10.30.0.11') }
        @{ Case = 'a local resolver stays'; In = @('127.0.0.53'); Out = @('127.0.0.53') }
        @{ Case = 'Windows IPv6 placeholders'; In = @('fec0:0:0:ffff::1%1', 'fec0:0:0:ffff::2%1', 'fec0:0:0:ffff::3%1', '10.30.0.10'); Out = @('10.30.0.10') }
        @{ Case = 'unspecified addresses'; In = @('0.0.0.0', '::', '2001:db8::53'); Out = @('2001:db8::53') }
        @{ Case = 'zone suffix dropped'; In = @('fe80::53%7', 'fe80::53%8'); Out = @('fe80::53') }
        @{ Case = 'none'; In = @(); Out = @() }
    ) {
        $addresses = @($In | ForEach-Object { [System.Net.IPAddress]::Parse($_) })
        $kept = @(InModuleScope NymiDiag -Parameters @{ A = $addresses } { param($A) SelectNymiDnsServer -Address $A })
        $kept | Should -Be $Out
    }

    It 'writes an address without its zone: <Text>' -ForEach @(
        @{ Text = 'fe80::1%12'; Plain = 'fe80::1' }
        @{ Text = '2001:db8::7%3'; Plain = '2001:db8::7' }
        @{ Text = '2001:db8::7'; Plain = '2001:db8::7' }
        @{ Text = '10.30.4.77'; Plain = '10.30.4.77' }
        @{ Text = '::1'; Plain = '::1' }
    ) {
        InModuleScope NymiDiag -Parameters @{ T = $Text } { param($T) ConvertToNymiPlainAddress -Address ([System.Net.IPAddress]::Parse($T)) } | Should -BeExactly $Plain
    }
}

Describe 'domain controllers' {
    It 'reads the logon server name: <Value> on <Computer>' -ForEach @(
        @{ Value = '\\DC01'; Computer = 'TERM-17'; Name = 'DC01' }
        @{ Value = '\\dc01.corp.example'; Computer = 'TERM-17'; Name = 'dc01.corp.example' }
        @{ Value = 'DC02'; Computer = 'TERM-17'; Name = 'DC02' }
        @{ Value = ' \\DC03 '; Computer = 'TERM-17'; Name = 'DC03' }
        @{ Value = '\\TERM-17'; Computer = 'TERM-17'; Name = $null }
        @{ Value = '\\term-17'; Computer = 'TERM-17'; Name = $null }
        @{ Value = ''; Computer = 'TERM-17'; Name = $null }
        @{ Value = $null; Computer = 'TERM-17'; Name = $null }
        @{ Value = '\\'; Computer = 'TERM-17'; Name = $null }
        @{ Value = '\\DC 01'; Computer = 'TERM-17'; Name = $null }
        @{ Value = '\\DC01\share'; Computer = 'TERM-17'; Name = $null }
    ) {
        $got = InModuleScope NymiDiag -Parameters @{ V = $Value; C = $Computer } { param($V, $C) GetNymiLogonServerName -Value $V -ComputerName $C }
        if ($null -eq $Name) { $got | Should -BeNullOrEmpty } else { $got | Should -BeExactly $Name }
    }

    It 'is empty off Windows, whatever LOGONSERVER says' -Skip:$OnWindows {
        $saved = $env:LOGONSERVER
        try {
            $env:LOGONSERVER = '\\localhost'
            @(InModuleScope NymiDiag { GetNymiDomainControllers }).Count | Should -Be 0
        }
        finally { $env:LOGONSERVER = $saved }
    }

    It 'resolves the logon server on Windows (mocked seam) to plain addresses' {
        Mock -ModuleName NymiDiag TestNymiIsWindows { $true }
        $saved = @($env:LOGONSERVER, $env:COMPUTERNAME)
        try {
            $env:LOGONSERVER = '\\localhost'
            $env:COMPUTERNAME = 'TERM-17'
            $found = @(InModuleScope NymiDiag { GetNymiDomainControllers })
            $found.Count | Should -BeGreaterThan 0
            foreach ($text in $found) { [System.Net.IPAddress]::IsLoopback([System.Net.IPAddress]::Parse($text)) | Should -BeTrue }
            $env:LOGONSERVER = '\\TERM-17'
            @(InModuleScope NymiDiag { GetNymiDomainControllers }).Count | Should -Be 0
        }
        finally { $env:LOGONSERVER = $saved[0]; $env:COMPUTERNAME = $saved[1] }
    }

    It 'gives no address for a name that does not resolve, within the bound' {
        # Longer than DNS allows: .NET refuses it before any query, so the
        # test sends nothing off this machine.
        $clock = [System.Diagnostics.Stopwatch]::StartNew()
        $found = @(InModuleScope NymiDiag { ResolveNymiHostAddress -HostName ('a' * 300) -TimeoutMs 3000 })
        $found.Count | Should -Be 0
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 10
    }
}

Describe 'service control seam' {
    It 'says off Windows that service control is not applicable' -Skip:$OnWindows {
        InModuleScope NymiDiag {
            { FindNymiService -Pattern 'EAM' } | Should -Throw '*not applicable*needs Windows*'
            $restart = RestartNymiService -Name 'EamSecSvc' -TimeoutSec 5
            $restart.Succeeded | Should -BeFalse
            $restart.Reason | Should -Match 'not applicable'
        }
    }

    It 'returns what a replaced Find returns, with the same properties' {
        InModuleScope NymiDiag {
            $saved = $script:NymiServiceControl
            try {
                $script:NymiServiceControl = [PSCustomObject]@{
                    Find = { param($Pattern) [PSCustomObject]@{ Name = 'A'; DisplayName = 'EAM Security Service'; Status = 'Running' } }
                    Restart = { param($Name, $TimeoutSec) throw "access denied to $Name" }
                    Status = { param($Name) 'Running' }
                }
                $found = @(FindNymiService -Pattern 'EAM')
                $found.Count | Should -Be 1
                $found[0].Status | Should -Be 'Running'
                $found[0].StartType | Should -BeNullOrEmpty
                $restart = RestartNymiService -Name 'A'
                $restart.Succeeded | Should -BeFalse
                $restart.Reason | Should -Be 'access denied to A'
            }
            finally {
                $script:NymiServiceControl = $saved
            }
        }
    }
}
