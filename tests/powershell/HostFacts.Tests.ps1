# The host facts document (GetNymiHostFacts) and the decisions behind each
# check. The Windows data sources cannot run here: the decisions take plain
# data and are tested directly; the TLS capture and chain build run against
# the loopback mock NES (tests/mock_nes.rs), started by this file.
BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    $onWindows = [System.Environment]::OSVersion.Platform -eq [System.PlatformID]::Win32NT
    $server = @{ ServerPid = 0; CargoPid = 0; Folder = $null; Healthy = $null; UnknownCa = $null; Refused = $null; OnWindows = $onWindows }
    if (-not $onWindows) {
        $mock = Start-MockNes -Seconds 300 -SlowMs 2000
        $m = $mock.Manifest
        $server = @{
            ServerPid = [int]$m.pid; CargoPid = $mock.Process.Id; Folder = $mock.Folder; OnWindows = $onWindows
            Healthy = $m.scenarios.healthy.url; UnknownCa = $m.scenarios.unknown_ca.url; Refused = $m.scenarios.refused.url
        }
    }
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    Import-Module $ManifestPath -Force
    $checkNames = @('services', 'ble_adapter', 'winhttp_proxy', 'windows_auth', 'chain_engine')
    $documentKeys = @('checks', 'terminal_addresses', 'dns_servers', 'domain_controllers')

    function Assert-HostCheckShape {
        # One check as ConvertFrom-Json reads it: the contract's fields only.
        param([object] $Check)
        $names = @($Check.PSObject.Properties.Name)
        foreach ($n in $names) { $n | Should -BeIn @('state', 'detail', 'findings', 'facts') }
        foreach ($n in 'state', 'findings', 'facts') { $names | Should -Contain $n }
        $Check.state | Should -BeIn @('checked', 'skipped', 'not_applicable', 'failed')
        , $Check.findings | Should -BeOfType [object[]]
        foreach ($f in @($Check.findings)) {
            $fields = @($f.PSObject.Properties.Name)
            foreach ($n in $fields) { $n | Should -BeIn @('id', 'severity', 'title', 'detail', 'evidence', 'remediation', 'refs') }
            foreach ($n in 'id', 'severity', 'title', 'detail', 'evidence', 'refs') { $fields | Should -Contain $n }
            $f.id | Should -MatchExactly '^[A-Z][A-Z0-9_]+$'
            $f.severity | Should -BeIn @('info', 'warning', 'error')
        }
    }

    function ConvertTo-JsonRoundTrip {
        param([object] $Value)
        ConvertTo-Json -InputObject $Value -Depth 8 | ConvertFrom-Json
    }
}

Describe 'GetNymiHostFacts' {
    It 'returns the host document: the five checks in order and the network facts' {
        $facts = InModuleScope NymiDiag { GetNymiHostFacts }
        $facts | Should -BeOfType [System.Collections.Specialized.OrderedDictionary]
        @($facts.Keys) | Should -Be $documentKeys
        @($facts.checks.Keys) | Should -Be $checkNames
        foreach ($key in 'terminal_addresses', 'dns_servers', 'domain_controllers') {
            , $facts[$key] | Should -BeOfType [string[]] -Because "$key is a list of addresses"
        }
    }

    It 'returns only the checks with -ChecksOnly' {
        Mock -ModuleName NymiDiag GetNymiNetworkFacts { throw 'must not be read' }
        $facts = InModuleScope NymiDiag { GetNymiHostFacts -Check 'services' -ChecksOnly }
        @($facts.Keys) | Should -Be @('checks')
        @($facts.checks.Keys) | Should -Be @('services')
        Should -Invoke -ModuleName NymiDiag GetNymiNetworkFacts -Times 0 -Exactly
    }

    It 'says off Windows that every check needs Windows' -Skip:$OnWindows {
        $facts = InModuleScope NymiDiag { GetNymiHostFacts -NesUri 'https://nes.corp.example/nes' }
        foreach ($name in $checkNames) {
            $facts.checks[$name].state | Should -Be 'not_applicable'
            $facts.checks[$name].detail | Should -Match 'Needs Windows'
            @($facts.checks[$name].findings).Count | Should -Be 0
        }
    }

    It 'lists no loopback or link-local address among the terminal addresses' {
        $facts = InModuleScope NymiDiag { GetNymiHostFacts -Check @() }
        foreach ($text in $facts.terminal_addresses) {
            $address = [System.Net.IPAddress]::Parse($text)
            [System.Net.IPAddress]::IsLoopback($address) | Should -BeFalse
            $address.IsIPv6LinkLocal | Should -BeFalse
        }
    }

    It 'converts to JSON with exactly the contract field names' {
        $json = InModuleScope NymiDiag { ConvertTo-Json -InputObject (GetNymiHostFacts -NesUri 'nes.corp.example') -Depth 8 }
        $document = $json | ConvertFrom-Json
        @($document.PSObject.Properties.Name) | Should -Be $documentKeys
        @($document.checks.PSObject.Properties.Name) | Should -Be $checkNames
        foreach ($name in $checkNames) { Assert-HostCheckShape $document.checks.$name }
        foreach ($key in 'terminal_addresses', 'dns_servers', 'domain_controllers') {
            , $document.$key | Should -BeOfType [object[]] -Because "$key is a JSON array"
        }
        $json | Should -Match '"findings": \[\]'
        $json | Should -Match '"facts": \{\}'
    }

    It 'keeps one address a JSON array, and no address an empty one' {
        Mock -ModuleName NymiDiag GetNymiNetworkFacts { [ordered]@{ terminal_addresses = [string[]]@('10.30.4.77'); dns_servers = [string[]]@('10.30.0.10') } }
        Mock -ModuleName NymiDiag GetNymiDomainControllers { }
        $json = InModuleScope NymiDiag {
            ConvertTo-Json -InputObject (GetNymiHostFacts -Check @()) -Depth 8 -Compress
        }
        $json | Should -Be '{"checks":{},"terminal_addresses":["10.30.4.77"],"dns_servers":["10.30.0.10"],"domain_controllers":[]}'
    }

    It 'runs only the checks given with -Check, in contract order' {
        $facts = InModuleScope NymiDiag { GetNymiHostFacts -Check 'chain_engine', 'services' }
        @($facts.checks.Keys) | Should -Be @('services', 'chain_engine')
    }

    It 'rejects an unknown check name' {
        { InModuleScope NymiDiag { GetNymiHostFacts -Check 'firewall' } } | Should -Throw
    }

    It 'turns a check that throws into state failed with the reason, and goes on' {
        Mock -ModuleName NymiDiag TestNymiIsWindows { $true }
        Mock -ModuleName NymiDiag GetNymiWindowsProxy { throw 'the registry key is unreadable' }
        Mock -ModuleName NymiDiag FindNymiService { throw 'Get-Service is blocked' }
        $facts = InModuleScope NymiDiag { GetNymiHostFacts -NesUri 'nes.corp.example' -Check 'services', 'winhttp_proxy' }
        $facts.checks.winhttp_proxy.state | Should -Be 'failed'
        $facts.checks.winhttp_proxy.detail | Should -Match 'the registry key is unreadable'
        $facts.checks.services.state | Should -Be 'failed'
        $facts.checks.services.detail | Should -Match 'Get-Service is blocked'
        Assert-HostCheckShape (ConvertTo-JsonRoundTrip $facts.checks.services)
    }

    It 'still answers when a check function itself throws' {
        Mock -ModuleName NymiDiag GetNymiBleAdapterFacts { throw 'unexpected' }
        Mock -ModuleName NymiDiag GetNymiNetworkFacts { throw 'no interfaces' }
        Mock -ModuleName NymiDiag GetNymiDomainControllers { throw 'no domain' }
        $facts = InModuleScope NymiDiag { GetNymiHostFacts -Check 'ble_adapter' }
        $facts.checks.ble_adapter.state | Should -Be 'failed'
        $facts.checks.ble_adapter.detail | Should -Match 'unexpected'
        @($facts.Keys) | Should -Be $documentKeys
        foreach ($key in 'terminal_addresses', 'dns_servers', 'domain_controllers') { @($facts[$key]).Count | Should -Be 0 }
    }
}

Describe 'services check' {
    BeforeAll {
        $all = @(
            [PSCustomObject]@{ Name = 'EamSecSvc'; DisplayName = 'EAM Security Service'; Status = 'Running' }
            [PSCustomObject]@{ Name = 'NymiAgent'; DisplayName = 'Nymi Agent'; Status = 'Running' }
            [PSCustomObject]@{ Name = 'NymiBE'; DisplayName = 'Nymi Bluetooth Endpoint'; Status = 'Running' }
        )
    }

    It 'finds all three running services: no finding' {
        $check = InModuleScope NymiDiag -Parameters @{ All = $all } { param($All) ConvertToNymiServiceCheck -Service $All }
        $check.state | Should -Be 'checked'
        $check.detail | Should -Be '3 of 3 services found, 3 running'
        @($check.findings).Count | Should -Be 0
        @($check.facts.services | ForEach-Object { $_.role }) | Should -Be @('eam_security', 'nymi_agent', 'nymi_bluetooth_endpoint')
    }

    It 'raises HOST_SERVICE_STOPPED with the role evidence for a stopped service' {
        $services = @(
            [PSCustomObject]@{ Name = 'EamSecSvc'; DisplayName = 'EAM Security Service'; Status = 'Stopped'; StartType = 'Automatic' }
            [PSCustomObject]@{ Name = 'NymiAgent'; DisplayName = 'Nymi Agent'; Status = 'Running' }
            [PSCustomObject]@{ Name = 'NymiBE'; DisplayName = 'Nymi Bluetooth Endpoint'; Status = 'Running' }
        )
        $check = InModuleScope NymiDiag -Parameters @{ S = $services } { param($S) ConvertToNymiServiceCheck -Service $S }
        @($check.findings).Count | Should -Be 1
        $f = $check.findings[0]
        $f.id | Should -Be 'HOST_SERVICE_STOPPED'
        $f.severity | Should -Be 'error'
        $f.evidence.role | Should -Be 'eam_security'
        $f.evidence.name | Should -Be 'EamSecSvc'
        $f.evidence.display_name | Should -Be 'EAM Security Service'
        $f.evidence.status | Should -Be 'Stopped'
        $f.remediation | Should -Match "Start-Service -Name 'EamSecSvc'"
        $check.detail | Should -Be '3 of 3 services found, 2 running'
        Assert-HostCheckShape (ConvertTo-JsonRoundTrip $check)
    }

    It 'raises HOST_SERVICE_NOT_FOUND with role and pattern for a missing service' {
        $services = @($all[0], $all[1])
        $check = InModuleScope NymiDiag -Parameters @{ S = $services } { param($S) ConvertToNymiServiceCheck -Service $S }
        $f = @($check.findings)
        $f.Count | Should -Be 1
        $f[0].id | Should -Be 'HOST_SERVICE_NOT_FOUND'
        $f[0].evidence.role | Should -Be 'nymi_bluetooth_endpoint'
        $f[0].evidence.pattern | Should -Be 'Nymi Bluetooth Endpoint'
        $check.detail | Should -Be '2 of 3 services found, 2 running'
    }

    It 'reports every role missing when nothing is installed' {
        $check = InModuleScope NymiDiag { ConvertToNymiServiceCheck -Service @() }
        @($check.findings | ForEach-Object { $_.id } | Select-Object -Unique) | Should -Be @('HOST_SERVICE_NOT_FOUND')
        @($check.findings | ForEach-Object { $_.evidence.role }) | Should -Be @('eam_security', 'nymi_agent', 'nymi_bluetooth_endpoint')
    }

    It 'matches the Evidian and Enterprise Access names of the EAM service' -ForEach @(
        @{ DisplayName = 'Evidian EAM Security Service' }
        @{ DisplayName = 'Enterprise Access Management Security Service' }
    ) {
        $services = @([PSCustomObject]@{ Name = 'x'; DisplayName = $DisplayName; Status = 'Running' })
        $check = InModuleScope NymiDiag -Parameters @{ S = $services } { param($S) ConvertToNymiServiceCheck -Service $S }
        @($check.findings | Where-Object { $_.evidence.role -eq 'eam_security' }).Count | Should -Be 0
    }

    It 'is content when one of several matching services runs' {
        $services = @(
            [PSCustomObject]@{ Name = 'Old'; DisplayName = 'Nymi Agent (legacy)'; Status = 'Stopped' }
            [PSCustomObject]@{ Name = 'New'; DisplayName = 'Nymi Agent'; Status = 'Running' }
        )
        $check = InModuleScope NymiDiag -Parameters @{ S = $services } { param($S) ConvertToNymiServiceCheck -Service $S }
        @($check.findings | Where-Object { $_.evidence.role -eq 'nymi_agent' }).Count | Should -Be 0
    }

    It 'reads the services through the seam with the site patterns' {
        Mock -ModuleName NymiDiag TestNymiIsWindows { $true }
        $check = InModuleScope NymiDiag {
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
                GetNymiServiceFacts -ServicePattern @{ eam_security = '^Site SSO Security$' }
                $script:SeenPattern | Should -Match 'Site SSO Security'
                $script:SeenPattern | Should -Match 'Nymi Agent'
            }
            finally {
                $script:NymiServiceControl = $saved
            }
        }
        $check.state | Should -Be 'checked'
        @($check.findings).Count | Should -Be 1
        $check.findings[0].id | Should -Be 'HOST_SERVICE_STOPPED'
        $check.findings[0].evidence.name | Should -Be 'SiteEam'
        $check.findings[0].evidence.role | Should -Be 'eam_security'
    }
}

Describe 'BLE adapter check' {
    It 'raises HOST_BLE_ADAPTER_MISSING when no device is present' {
        $check = InModuleScope NymiDiag { ConvertToNymiBleAdapterCheck -Device @() }
        $check.state | Should -Be 'checked'
        @($check.findings).Count | Should -Be 1
        $check.findings[0].id | Should -Be 'HOST_BLE_ADAPTER_MISSING'
        $check.findings[0].severity | Should -Be 'error'
        Assert-HostCheckShape (ConvertTo-JsonRoundTrip $check)
    }

    It 'does not count enumerators, paired devices or other serial ports as adapters' {
        $devices = @(
            [PSCustomObject]@{ FriendlyName = 'Microsoft Bluetooth Enumerator'; Class = 'Bluetooth'; Status = 'OK' }
            [PSCustomObject]@{ FriendlyName = 'Bluetooth Device (RFCOMM Protocol TDI)'; Class = 'Bluetooth'; Status = 'OK' }
            [PSCustomObject]@{ FriendlyName = 'Communications Port (COM1)'; Class = 'Ports'; Status = 'OK' }
        )
        $check = InModuleScope NymiDiag -Parameters @{ D = $devices } { param($D) ConvertToNymiBleAdapterCheck -Device $D }
        $check.findings[0].id | Should -Be 'HOST_BLE_ADAPTER_MISSING'
        @($check.facts.adapters).Count | Should -Be 0
    }

    It 'finds a Bluegiga dongle on a serial port' {
        $devices = @([PSCustomObject]@{ FriendlyName = 'Bluegiga Bluetooth Low Energy (COM3)'; Class = 'Ports'; Status = 'OK' })
        $check = InModuleScope NymiDiag -Parameters @{ D = $devices } { param($D) ConvertToNymiBleAdapterCheck -Device $D }
        @($check.findings).Count | Should -Be 0
        $check.facts.adapters[0].kind | Should -Be 'bluegiga'
        $check.detail | Should -Match 'Bluegiga'
    }

    It 'finds a Bluetooth radio' {
        $devices = @([PSCustomObject]@{ FriendlyName = 'Intel(R) Wireless Bluetooth(R)'; Class = 'Bluetooth'; Status = 'OK' })
        $check = InModuleScope NymiDiag -Parameters @{ D = $devices } { param($D) ConvertToNymiBleAdapterCheck -Device $D }
        @($check.findings).Count | Should -Be 0
        $check.facts.adapters[0].kind | Should -Be 'bluetooth'
    }

    It 'treats an adapter in an error state as missing and says so' {
        $devices = @([PSCustomObject]@{ FriendlyName = 'Bluegiga Bluetooth Low Energy (COM3)'; Class = 'Ports'; Status = 'Error' })
        $check = InModuleScope NymiDiag -Parameters @{ D = $devices } { param($D) ConvertToNymiBleAdapterCheck -Device $D }
        $check.findings[0].id | Should -Be 'HOST_BLE_ADAPTER_MISSING'
        $check.findings[0].detail | Should -Match 'Error'
    }
}

Describe 'WinHTTP proxy check' {
    It 'raises HOST_WINHTTP_PROXY_NO_BYPASS when the NES host is not bypassed' {
        $proxy = [PSCustomObject]@{ WinHttpProxy = 'proxy.corp.example:8080'; WinHttpBypass = [string[]]@('<local>'); UserProxy = $null; PacUrl = $null }
        $check = InModuleScope NymiDiag -Parameters @{ P = $proxy } { param($P) ConvertToNymiWinHttpProxyCheck -WindowsProxy $P -HostName 'nes.corp.example' }
        $check.state | Should -Be 'checked'
        $check.findings[0].id | Should -Be 'HOST_WINHTTP_PROXY_NO_BYPASS'
        $check.findings[0].severity | Should -Be 'warning'
        $check.findings[0].evidence.host | Should -Be 'nes.corp.example'
        $check.facts.nes_bypassed | Should -BeFalse
        Assert-HostCheckShape (ConvertTo-JsonRoundTrip $check)
    }

    It 'is content when the host is bypassed, or no proxy is set, or no URL was given' {
        $bypassed = [PSCustomObject]@{ WinHttpProxy = 'proxy.corp.example:8080'; WinHttpBypass = [string[]]@('*.corp.example'); UserProxy = $null; PacUrl = $null }
        $direct = [PSCustomObject]@{ WinHttpProxy = $null; WinHttpBypass = [string[]]@(); UserProxy = $null; PacUrl = $null }
        InModuleScope NymiDiag -Parameters @{ B = $bypassed; D = $direct } {
            param($B, $D)
            @((ConvertToNymiWinHttpProxyCheck -WindowsProxy $B -HostName 'nes.corp.example').findings).Count | Should -Be 0
            @((ConvertToNymiWinHttpProxyCheck -WindowsProxy $D -HostName 'nes.corp.example').findings).Count | Should -Be 0
            $noUrl = ConvertToNymiWinHttpProxyCheck -WindowsProxy $B -HostName $null
            @($noUrl.findings).Count | Should -Be 0
            $noUrl.detail | Should -Match 'no NES URL'
        }
    }

    It 'reads the NES host from a URL or a bare host name' {
        Mock -ModuleName NymiDiag TestNymiIsWindows { $true }
        Mock -ModuleName NymiDiag GetNymiWindowsProxy { [PSCustomObject]@{ WinHttpProxy = 'proxy:8080'; WinHttpBypass = [string[]]@(); UserProxy = $null; PacUrl = $null } }
        InModuleScope NymiDiag {
            (GetNymiWinHttpProxyFacts -NesUri 'nes.corp.example').findings[0].evidence.host | Should -Be 'nes.corp.example'
            (GetNymiWinHttpProxyFacts -NesUri 'https://nes2.corp.example:8443/nes').findings[0].evidence.host | Should -Be 'nes2.corp.example'
        }
    }
}

Describe 'NES endpoint from the URI' {
    It 'reads <Uri> as <HostName>:<Port>' -ForEach @(
        @{ Uri = 'nes.corp.example'; HostName = 'nes.corp.example'; Port = 443; Url = 'https://nes.corp.example/nes' }
        @{ Uri = 'https://nes.corp.example/nes'; HostName = 'nes.corp.example'; Port = 443; Url = 'https://nes.corp.example/nes' }
        @{ Uri = 'http://nes:8080/svc'; HostName = 'nes'; Port = 8080; Url = 'http://nes:8080/svc' }
        @{ Uri = 'https://[::1]:4443/nes'; HostName = '::1'; Port = 4443; Url = 'https://[::1]:4443/nes' }
    ) {
        $endpoint = InModuleScope NymiDiag -Parameters @{ U = $Uri } { param($U) GetNymiNesEndpoint -NesUri $U }
        $endpoint.HostName | Should -Be $HostName
        $endpoint.Port | Should -Be $Port
        $endpoint.Url | Should -Be $Url
    }

    It 'gives nothing for no URI or another scheme' {
        InModuleScope NymiDiag {
            GetNymiNesEndpoint -NesUri '' | Should -BeNullOrEmpty
            GetNymiNesEndpoint -NesUri 'ftp://nes.corp.example/' | Should -BeNullOrEmpty
        }
    }
}

Describe 'Windows identity check' {
    It 'keeps NES_AUTH_FAILED from the authenticated request as a finding in the contract shape' {
        $check = InModuleScope NymiDiag {
            $finding = NewNymiFinding -Id 'NES_AUTH_FAILED' -Severity 'error' -Title '401' -Detail 'd' -Remediation 'r' -Evidence @{ status = 401; spn = 'HTTP/nes.corp.example' }
            $result = @{ Stage = (NewNymiNesStage -Name 'windows_auth' -Status 'failed' -DurationMs 12 -FindingId 'NES_AUTH_FAILED' -Detail '401'); Finding = $finding }
            ConvertToNymiWindowsAuthCheck -Result $result -Url 'https://nes.corp.example/nes'
        }
        $check.state | Should -Be 'checked'
        $check.findings[0].id | Should -Be 'NES_AUTH_FAILED'
        $check.findings[0].evidence.spn | Should -Be 'HTTP/nes.corp.example'
        $check.facts.duration_ms | Should -Be 12
        Assert-HostCheckShape (ConvertTo-JsonRoundTrip $check)
    }

    It 'maps ok to checked and a request without an answer to failed' {
        InModuleScope NymiDiag {
            (ConvertToNymiWindowsAuthCheck -Result @{ Stage = (NewNymiNesStage -Name 'windows_auth' -Status 'ok' -DurationMs 5 -Detail 'HTTP 200'); Finding = $null }).state | Should -Be 'checked'
            $failed = ConvertToNymiWindowsAuthCheck -Result @{ Stage = (NewNymiNesStage -Name 'windows_auth' -Status 'failed' -DurationMs 5 -Detail 'timed out'); Finding = $null }
            $failed.state | Should -Be 'failed'
            $failed.detail | Should -Be 'timed out'
        }
    }

    It 'is skipped on Windows without a URL' {
        Mock -ModuleName NymiDiag TestNymiIsWindows { $true }
        $check = InModuleScope NymiDiag { GetNymiWindowsAuthFacts -NesUri '' }
        $check.state | Should -Be 'skipped'
        $check.detail | Should -Match 'needs one'
    }
}

Describe 'chain engine check' {
    It 'raises HOST_CHAIN_UNTRUSTED with the chain status strings' {
        $check = InModuleScope NymiDiag {
            $status = @([PSCustomObject]@{ Status = 'UntrustedRoot'; StatusInformation = 'A certificate chain processed, but terminated in a root certificate which is not trusted by the trust provider.' })
            $chain = @([PSCustomObject]@{ Subject = 'CN=nes.corp.example'; Thumbprint = 'AA'; NotAfter = '2027-01-01T00:00:00Z' }, [PSCustomObject]@{ Subject = 'CN=Corp Root'; Thumbprint = 'BB'; NotAfter = '2030-01-01T00:00:00Z' })
            ConvertToNymiChainCheck -Built $false -Status $status -Chain $chain -HostName 'nes.corp.example' -Port 443
        }
        $check.findings[0].id | Should -Be 'HOST_CHAIN_UNTRUSTED'
        $check.findings[0].severity | Should -Be 'error'
        $check.findings[0].evidence.status[0] | Should -BeLike 'UntrustedRoot: A certificate chain processed*'
        $check.findings[0].evidence.top | Should -Be 'CN=Corp Root'
        $check.facts.status[0] | Should -BeLike 'UntrustedRoot*'
        Assert-HostCheckShape (ConvertTo-JsonRoundTrip $check)
    }

    It 'raises only HOST_CHAIN_REVOCATION_OFFLINE when revocation alone could not be checked' {
        $check = InModuleScope NymiDiag {
            $status = @(
                [PSCustomObject]@{ Status = 'RevocationStatusUnknown'; StatusInformation = 'The revocation function was unable to check revocation for the certificate.' }
                [PSCustomObject]@{ Status = 'OfflineRevocation'; StatusInformation = 'The revocation function was unable to check revocation because the revocation server was offline.' }
            )
            ConvertToNymiChainCheck -Built $false -Status $status -HostName 'nes.corp.example'
        }
        @($check.findings).Count | Should -Be 1
        $check.findings[0].id | Should -Be 'HOST_CHAIN_REVOCATION_OFFLINE'
        $check.findings[0].severity | Should -Be 'warning'
        @($check.findings[0].evidence.status).Count | Should -Be 2
    }

    It 'reads several flags in one status entry' {
        $check = InModuleScope NymiDiag {
            ConvertToNymiChainCheck -Built $false -Status @([PSCustomObject]@{ Status = 'RevocationStatusUnknown, OfflineRevocation'; StatusInformation = '' }) -HostName 'h'
        }
        $check.findings[0].id | Should -Be 'HOST_CHAIN_REVOCATION_OFFLINE'
    }

    It 'is content with a trusted, revocation-checked chain' {
        $check = InModuleScope NymiDiag { ConvertToNymiChainCheck -Built $true -Status @() -HostName 'nes.corp.example' }
        $check.state | Should -Be 'checked'
        @($check.findings).Count | Should -Be 0
    }

    It 'is skipped on Windows without a URL or for http' {
        Mock -ModuleName NymiDiag TestNymiIsWindows { $true }
        InModuleScope NymiDiag {
            (GetNymiChainEngineFacts -NesUri $null).state | Should -Be 'skipped'
            (GetNymiChainEngineFacts -NesUri 'http://nes.corp.example/nes').detail | Should -Match 'no TLS chain'
        }
    }
}

# The capture and the chain build are .NET, not Windows: they run here
# against the loopback mock NES with the Windows gate mocked open. Not on
# Windows itself, where an unknown root may send the chain engine to
# Windows Update for roots.
Describe 'chain engine against the mock NES' -ForEach @($server) -Skip:$server.OnWindows {
    AfterAll {
        if ($ServerPid) {
            Stop-MockNes -ProcessId $ServerPid -Folder $Folder
            Stop-Process -Id $CargoPid -Force -ErrorAction SilentlyContinue
        }
    }

    It 'captures the presented certificate and chain' {
        $port = ([uri]$Healthy).Port
        $presented = InModuleScope NymiDiag -Parameters @{ Port = $port } { param($Port) GetNymiServerCertificate -HostName 'localhost' -Port $Port -TimeoutSec 4 }
        $presented.Certificate.Subject | Should -Match 'CN=localhost'
        @($presented.Chain).Count | Should -BeGreaterThan 0
    }

    It 'reports a chain from an unknown CA as HOST_CHAIN_UNTRUSTED' {
        Mock -ModuleName NymiDiag TestNymiIsWindows { $true }
        $check = InModuleScope NymiDiag -Parameters @{ Url = $UnknownCa } { param($Url) GetNymiChainEngineFacts -NesUri $Url -TimeoutSec 4 }
        $check.state | Should -Be 'checked'
        @($check.findings | ForEach-Object { $_.id }) | Should -Contain 'HOST_CHAIN_UNTRUSTED'
        $check.facts.chain[0].subject | Should -Match 'CN=localhost'
        $check.facts.host | Should -Be 'localhost'
        Assert-HostCheckShape (ConvertTo-JsonRoundTrip $check)
    }

    It 'reports a closed port as state failed with the reason' {
        Mock -ModuleName NymiDiag TestNymiIsWindows { $true }
        $check = InModuleScope NymiDiag -Parameters @{ Url = $Refused } { param($Url) GetNymiChainEngineFacts -NesUri $Url -TimeoutSec 4 }
        $check.state | Should -Be 'failed'
        $check.detail | Should -Match 'refused'
        $check.detail | Should -Not -Match 'Exception calling'
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

Describe 'late host checks: the Windows identity only for a configured URL' {
    BeforeAll {
        function New-Report {
            # A diagnose report as ConvertFrom-Json gives it: the NES URL, its
            # source and the probe stages that passed.
            param([string] $Url, [string] $Source, [string[]] $Passed = @())
            $stages = @(foreach ($name in 'dns', 'tcp', 'tls', 'http') {
                    $status = 'failed'
                    if ($Passed -contains $name) { $status = 'ok' }
                    @{ name = $name; status = $status }
                })
            $report = @{ data = @{ nes_url = @{ url = $Url; source = $Source }; inputs = @{ nes_probe = @{ data = @{ stages = $stages } } } } }
            ConvertTo-Json -InputObject $report -Depth 10 | ConvertFrom-Json
        }
        $inferredDetail = 'the NES URL was inferred from the logs; the request with the Windows identity is sent only to a configured NES URL (-NesUri)'
    }

    BeforeEach {
        Mock -ModuleName NymiDiag GetNymiHostFacts {
            $checks = [ordered]@{}
            foreach ($name in $Check) { $checks[$name] = [ordered]@{ state = 'checked'; detail = "ran $name for $NesUri"; findings = @(); facts = @{} } }
            [ordered]@{ checks = $checks }
        }
    }

    It 'sends the Windows identity and builds the chain for a configured URL that answered' {
        $report = New-Report -Url 'https://nes.corp.example/nes' -Source 'request' -Passed 'dns', 'tcp', 'tls', 'http'
        $late = InModuleScope NymiDiag -Parameters @{ R = $report } { param($R) GetNymiLateHostCheck -Report $R -TimeoutSec 5 }
        @($late.Keys) | Should -Be @('windows_auth', 'chain_engine')
        $late['windows_auth'].detail | Should -Be 'ran windows_auth for https://nes.corp.example/nes'
        Should -Invoke -ModuleName NymiDiag GetNymiHostFacts -Times 1 -Exactly -ParameterFilter { ($Check -join ',') -eq 'windows_auth,chain_engine' -and $ChecksOnly }
    }

    It 'skips the Windows identity for a URL from <Source>, with the reason, and still builds the chain' -ForEach @(
        @{ Source = 'log' }
        @{ Source = 'previous' }
        @{ Source = '' }
    ) {
        $report = New-Report -Url 'https://nes.corp.example/nes' -Source $Source -Passed 'dns', 'tcp', 'tls', 'http'
        $late = InModuleScope NymiDiag -Parameters @{ R = $report } { param($R) GetNymiLateHostCheck -Report $R -TimeoutSec 5 }
        @($late.Keys) | Should -Be @('windows_auth', 'chain_engine')
        $late['windows_auth'].state | Should -Be 'skipped'
        $late['windows_auth'].detail | Should -BeExactly $inferredDetail
        $late['windows_auth'].facts['url'] | Should -Be 'https://nes.corp.example/nes'
        $late['chain_engine'].detail | Should -Match '^ran chain_engine for'
        Should -Invoke -ModuleName NymiDiag GetNymiHostFacts -Times 0 -Exactly -ParameterFilter { $Check -contains 'windows_auth' }
    }

    It 'says why for an inferred URL also when NES did not answer (<Passed>)' -ForEach @(
        @{ Passed = @() }
        @{ Passed = @('dns', 'tcp') }
        @{ Passed = @('dns', 'tcp', 'tls') }
    ) {
        $report = New-Report -Url 'https://nes.corp.example/nes' -Source 'log' -Passed $Passed
        $late = InModuleScope NymiDiag -Parameters @{ R = $report } { param($R) GetNymiLateHostCheck -Report $R -TimeoutSec 5 }
        @($late.Keys) | Should -Be @('windows_auth')
        $late['windows_auth'].detail | Should -BeExactly $inferredDetail
        Should -Invoke -ModuleName NymiDiag GetNymiHostFacts -Times 0 -Exactly
    }

    It 'changes nothing for a configured URL that did not answer, or without a URL' -ForEach @(
        @{ Url = 'https://nes.corp.example/nes'; Source = 'request'; Passed = @('dns', 'tcp') }
        @{ Url = $null; Source = 'none'; Passed = @() }
        @{ Url = ''; Source = 'log'; Passed = @('dns', 'tcp', 'tls', 'http') }
    ) {
        $report = New-Report -Url $Url -Source $Source -Passed $Passed
        $late = InModuleScope NymiDiag -Parameters @{ R = $report } { param($R) GetNymiLateHostCheck -Report $R -TimeoutSec 5 }
        $late.Count | Should -Be 0
        Should -Invoke -ModuleName NymiDiag GetNymiHostFacts -Times 0 -Exactly
    }

    It 'reads an error report without nes_url or probe stages' {
        $report = '{"status":"error","data":{}}' | ConvertFrom-Json
        $late = InModuleScope NymiDiag -Parameters @{ R = $report } { param($R) GetNymiLateHostCheck -Report $R }
        $late.Count | Should -Be 0
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
