# What the cmdlets do with their parameters before the library sees them:
# the requests they build (captured by replacing InvokeNymiExport), values
# they refuse with a clear error, and configuration they pass on unjudged so
# that the library's verdict can name it.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    Import-Module $ManifestPath -Force

    function Invoke-Captured {
        # Runs $Script with InvokeNymiExport replaced; returns the requests
        # it was given (export name and request dictionary).
        param([scriptblock] $Script, [string] $Answer = '{"status":"ok","data":{}}')
        $global:NymiTestRequests = New-Object System.Collections.Generic.List[object]
        $global:NymiTestAnswer = $Answer
        Mock -ModuleName NymiDiag InvokeNymiExport {
            $global:NymiTestRequests.Add([PSCustomObject]@{ Export = $Export; Request = $Request; Json = $RequestJson })
            if ($Raw) { return $global:NymiTestAnswer }
            ConvertFrom-Json -InputObject $global:NymiTestAnswer
        }
        $null = & $Script
        , $global:NymiTestRequests.ToArray()
    }

    function Get-ErrorRecord {
        # The error record a script block stops with ($null when it does not).
        param([scriptblock] $Script)
        try { $null = & $Script; $null }
        catch { $_ }
    }

    $terminal = InModuleScope NymiDiag -Parameters @{ Target = (Join-Path $TestDrive 'terminal') } { param($Target) NewNymiDemoTerminal -Path $Target }
}

AfterAll {
    Remove-Variable -Scope Global -Name NymiTestRequests, NymiTestAnswer -ErrorAction SilentlyContinue
}

Describe 'Invoke-NymiDiagnosis network facts in the request' {
    It 'sends terminal_addresses, dns_servers and domain_controllers on every platform' {
        $requests = Invoke-Captured { Invoke-NymiDiagnosis -NesUri 'https://nes.corp.example/nes' -KspPath $terminal.KspPath -LogPath $terminal.LogPath -Raw }
        $requests.Count | Should -Be 1
        $requests[0].Export | Should -Be 'nymidiag_diagnose'
        $hostFacts = $requests[0].Request['host']
        foreach ($key in 'terminal_addresses', 'dns_servers', 'domain_controllers') {
            $hostFacts.Contains($key) | Should -BeTrue -Because "every request carries $key"
            , $hostFacts[$key] | Should -BeOfType [string[]]
        }
        $network = InModuleScope NymiDiag { GetNymiNetworkFacts }
        $hostFacts['terminal_addresses'] | Should -Be $network.terminal_addresses
        $hostFacts['dns_servers'] | Should -Be $network.dns_servers
    }

    It 'uses -TerminalAddress <Given> instead of the discovered addresses' -ForEach @(
        @{ Given = @('10.30.4.77'); Sent = @('10.30.4.77') }
        @{ Given = @('10.30.4.77', '2001:db8::7'); Sent = @('10.30.4.77', '2001:db8::7') }
        @{ Given = @('2001:DB8:0:0::7'); Sent = @('2001:db8::7') }
        @{ Given = @(' 192.0.2.10 '); Sent = @('192.0.2.10') }
        @{ Given = @('10.30.4.77', '10.30.4.77'); Sent = @('10.30.4.77') }
    ) {
        $requests = Invoke-Captured { Invoke-NymiDiagnosis -KspPath $terminal.KspPath -LogPath $terminal.LogPath -TerminalAddress $Given -Raw }
        , $requests[0].Request['host']['terminal_addresses'] | Should -BeOfType [string[]]
        @($requests[0].Request['host']['terminal_addresses']) | Should -Be $Sent
        , $requests[0].Request['host']['dns_servers'] | Should -BeOfType [string[]]
    }

    It 'refuses -TerminalAddress <Given>: not an IP address' -ForEach @(
        @{ Given = 'nes.corp.example' }
        @{ Given = '10.30.4' }
        @{ Given = '10' }
        @{ Given = '10.30.4.256' }
        @{ Given = '10.30.4.77/24' }
        @{ Given = '2001:db8::7::1' }
        @{ Given = 'fe80::1%eth0' }
        @{ Given = '10.30.4.77:443' }
        @{ Given = 'localhost' }
    ) {
        $record = Get-ErrorRecord { Invoke-NymiDiagnosis -KspPath $terminal.KspPath -LogPath $terminal.LogPath -TerminalAddress $Given -Raw }
        $record | Should -Not -BeNullOrEmpty
        $record.FullyQualifiedErrorId | Should -Match '^ParameterArgumentValidationError'
        $record.Exception.Message | Should -Match 'is not an IP address'
    }

    It 'the report echoes the network facts it was given' {
        $json = Invoke-NymiDiagnosis -KspPath $terminal.KspPath -LogPath $terminal.LogPath -TerminalAddress '10.30.4.77', '2001:db8::7' -TimeoutSec 2 -Raw
        $report = $json | ConvertFrom-Json
        @($report.data.host.terminal_addresses) | Should -Be @('10.30.4.77', '2001:db8::7')
        $network = InModuleScope NymiDiag { GetNymiNetworkFacts }
        @($report.data.host.dns_servers) | Should -Be @($network.dns_servers)
    }
}

Describe 'configuration passed on for the library to judge' {
    It 'passes -NesUri <NesUri> on as given, without throwing' -ForEach @(
        @{ NesUri = 'not a url' }
        @{ NesUri = 'ftp://nes.corp.example/nes' }
        @{ NesUri = 'https://' }
        @{ NesUri = 'file:///etc/passwd' }
        @{ NesUri = 'https://nes corp/nes' }
        @{ NesUri = 'ldap://dc01.corp.example' }
    ) {
        $requests = Invoke-Captured { Invoke-NymiDiagnosis -NesUri $NesUri -KspPath $terminal.KspPath -LogPath $terminal.LogPath -Raw }
        $requests.Count | Should -Be 1
        $requests[0].Request['nes_url'] | Should -BeExactly $NesUri
    }

    It 'passes -TrustedRootPath <Path> on, resolved where PowerShell can, without throwing' -ForEach @(
        @{ Path = 'missing-ca.pem'; Leaf = 'missing-ca.pem' }
        @{ Path = './certs/missing/ca.pem'; Leaf = 'ca.pem' }
        @{ Path = 'Q:\nowhere\ca.pem'; Leaf = 'ca.pem' }
        @{ Path = 'Variable:\NoSuchCa'; Leaf = 'NoSuchCa' }
    ) {
        $requests = Invoke-Captured { Invoke-NymiDiagnosis -TrustedRootPath $Path -KspPath $terminal.KspPath -LogPath $terminal.LogPath -Raw }
        $sent = [string]$requests[0].Request['nes_probe']['trusted_root_path']
        $sent | Should -Not -BeNullOrEmpty
        $sent | Should -BeLike "*$Leaf"
    }

    It 'passes -RulePath on to the log scan, without throwing' {
        $paths = @('missing-rules.toml', (Join-Path $TestDrive 'no/such/site.toml'), 'Q:\rules\site.toml')
        $requests = Invoke-Captured { Invoke-NymiDiagnosis -RulePath $paths -KspPath $terminal.KspPath -LogPath $terminal.LogPath -Raw }
        $sent = @($requests[0].Request['log_scan']['rule_paths'])
        $sent.Count | Should -Be 3
        $sent[0] | Should -BeLike '*missing-rules.toml'
        $sent[1] | Should -Be (Join-Path $TestDrive 'no/such/site.toml')
    }

    It 'passes a missing -TrustedRootPath of Test-NymiNesConnection on as well' {
        $requests = Invoke-Captured { Test-NymiNesConnection -Uri 'https://nes.corp.example/nes' -TrustedRootPath 'Q:\nowhere\ca.pem' -Raw }
        [string]$requests[0].Request['trusted_root_path'] | Should -BeLike '*ca.pem'
    }

    It 'host script <Name> passes RulePath to the diagnosis' -ForEach @(
        @{ Name = 'Detect-NymiNeaCertificates.ps1'; Folder = 'Intune' }
        @{ Name = 'Remediate-NymiNeaCertificates.ps1'; Folder = 'Intune' }
        @{ Name = 'Invoke-NymiStartupCheck.ps1'; Folder = 'Gpo' }
    ) {
        $text = Get-Content -Raw -LiteralPath (Join-Path $RepoRoot "powershell/$Folder/$Name")
        $text | Should -Match "\[string\[\]\] \`$RulePath = @\(\)"
        $text | Should -Match "rule_path = \[string\[\]\]@\(\`$RulePath\)"
        $text | Should -Match "RulePath = \[string\[\]\]@\(\`$Settings\['rule_path'\]\)"
        $text | Should -Match '\.PARAMETER RulePath'
    }
}

Describe '-Since in the future' {
    It '<Command> refuses -Since <Minutes> minutes ahead' -ForEach @(
        foreach ($command in 'Invoke-NymiDiagnosis', 'Search-NymiLog', 'Export-NymiSupportBundle') {
            foreach ($minutes in 6, 60, 1440, 525600) { @{ Command = $command; Minutes = $minutes } }
        }
    ) {
        $since = (Get-Date).AddMinutes($Minutes)
        $arguments = @{ Since = $since }
        switch ($Command) {
            'Invoke-NymiDiagnosis' { $arguments['KspPath'] = $terminal.KspPath; $arguments['LogPath'] = $terminal.LogPath }
            'Search-NymiLog' { $arguments['Path'] = $terminal.LogPath }
            'Export-NymiSupportBundle' { $arguments['Path'] = (Join-Path $TestDrive "future-$Minutes.zip"); $arguments['DiagnosisJson'] = '{}' }
        }
        $record = Get-ErrorRecord { Invoke-Captured { & $Command @arguments } }
        $record | Should -Not -BeNullOrEmpty
        $record.FullyQualifiedErrorId | Should -BeLike 'NymiDiag.SinceInFuture*'
        $record.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $record.Exception.Message | Should -Match 'in the future'
        $global:NymiTestRequests.Count | Should -Be 0 -Because 'nothing is asked of the library'
        if ($Command -eq 'Export-NymiSupportBundle') { Test-Path -LiteralPath $arguments['Path'] | Should -BeFalse }
    }

    It '<Command> accepts -Since <Minutes> minutes from now (clock slack) and in the past' -ForEach @(
        foreach ($command in 'Invoke-NymiDiagnosis', 'Search-NymiLog') {
            foreach ($minutes in 4, 0, -60, -20160) { @{ Command = $command; Minutes = $minutes } }
        }
    ) {
        $arguments = @{ Since = (Get-Date).AddMinutes($Minutes); Raw = $true }
        if ($Command -eq 'Invoke-NymiDiagnosis') { $arguments['KspPath'] = $terminal.KspPath; $arguments['LogPath'] = $terminal.LogPath }
        else { $arguments['Path'] = $terminal.LogPath }
        $requests = Invoke-Captured { & $Command @arguments }
        $requests.Count | Should -Be 1
    }

    It 'judges a UTC -Since the same as a local one' {
        InModuleScope NymiDiag {
            function Test-Since {
                [CmdletBinding()]
                param([datetime] $Since, [datetime] $Now)
                AssertNymiSinceNotFuture -Since $Since -Now $Now -Cmdlet $PSCmdlet
            }
            $now = [datetime]::SpecifyKind([datetime]'2026-05-01T10:00:00', 'Utc')
            { Test-Since -Since $now.AddMinutes(5) -Now $now } | Should -Not -Throw
            { Test-Since -Since $now.AddMinutes(5).AddSeconds(1) -Now $now } | Should -Throw '*in the future*'
            { Test-Since -Since $now.AddMinutes(4).ToLocalTime() -Now $now } | Should -Not -Throw
            { Test-Since -Since $now.AddMinutes(6).ToLocalTime() -Now $now } | Should -Throw '*in the future*'
        }
    }
}

Describe '-TimeoutSec bounds' {
    It '<Command> refuses -TimeoutSec <Value>' -ForEach @(
        foreach ($pair in @(@('Invoke-NymiDiagnosis', 300), @('Test-NymiNesConnection', 600), @('Repair-NymiNeaCertificate', 600), @('Export-NymiSupportBundle', 300))) {
            foreach ($value in 0, -1, ($pair[1] + 1)) { @{ Command = $pair[0]; Value = $value; Max = $pair[1] } }
        }
    ) {
        $arguments = @{ TimeoutSec = $Value }
        switch ($Command) {
            'Test-NymiNesConnection' { $arguments['Uri'] = 'https://nes.corp.example/nes' }
            'Repair-NymiNeaCertificate' { $arguments['NesUri'] = 'https://nes.corp.example/nes'; $arguments['WhatIf'] = $true }
            'Export-NymiSupportBundle' { $arguments['Path'] = (Join-Path $TestDrive "timeout-$Value.zip"); $arguments['DiagnosisJson'] = '{}' }
            default { $arguments['KspPath'] = $terminal.KspPath }
        }
        $record = Get-ErrorRecord { $null = Invoke-Captured { & $Command @arguments } }
        $record | Should -Not -BeNullOrEmpty
        $record.FullyQualifiedErrorId | Should -Match '^ParameterArgumentValidationError'
        $global:NymiTestRequests.Count | Should -Be 0
    }

    It '<Command> declares TimeoutSec from 1 to <Max>' -ForEach @(
        @{ Command = 'Invoke-NymiDiagnosis'; Max = 300 }
        @{ Command = 'Export-NymiSupportBundle'; Max = 300 }
        @{ Command = 'Test-NymiNesConnection'; Max = 600 }
        @{ Command = 'Repair-NymiNeaCertificate'; Max = 600 }
    ) {
        $range = (Get-Command $Command).Parameters['TimeoutSec'].Attributes | Where-Object { $_ -is [System.Management.Automation.ValidateRangeAttribute] }
        $range | Should -Not -BeNullOrEmpty
        $range.MinRange | Should -Be 1
        $range.MaxRange | Should -Be $Max
    }
}

Describe 'Search-NymiLog address lists in the request' {
    It 'sends -ClientAddress <Client> and -RemoteAddress <Remote> as lists' -ForEach @(
        @{ Client = @('10.30.4.77'); Remote = @() }
        @{ Client = @('10.30.4.77', '2001:db8::7'); Remote = @() }
        @{ Client = @(); Remote = @('10.20.0.15') }
        @{ Client = @('10.30.4.77'); Remote = @('10.20.0.15', '10.20.0.16') }
    ) {
        $arguments = @{ Path = $terminal.LogPath; Raw = $true }
        if ($Client.Count) { $arguments['ClientAddress'] = $Client }
        if ($Remote.Count) { $arguments['RemoteAddress'] = $Remote }
        $requests = Invoke-Captured { Search-NymiLog @arguments }
        $request = $requests[0].Request
        $request.Contains('client_address') | Should -BeFalse
        $request.Contains('remote_address') | Should -BeFalse
        if ($Client.Count) {
            , $request['client_addresses'] | Should -BeOfType [string[]]
            @($request['client_addresses']) | Should -Be $Client
        }
        else { $request.Contains('client_addresses') | Should -BeFalse }
        if ($Remote.Count) {
            , $request['remote_addresses'] | Should -BeOfType [string[]]
            @($request['remote_addresses']) | Should -Be $Remote
        }
        else { $request.Contains('remote_addresses') | Should -BeFalse }
        # One address is still a JSON array.
        $json = ConvertTo-Json -InputObject $request -Depth 5 -Compress
        if ($Client.Count) { $json | Should -Match '"client_addresses":\[' }
    }

    It 'documents that -ClientAddress also filters firewall lines, at either end' {
        $help = Get-Help Search-NymiLog -Parameter ClientAddress
        $text = ($help.description | Out-String)
        $text | Should -Match 'firewall'
        $text | Should -Match 'either end'
        (Get-Command Search-NymiLog).Parameters['ClientAddress'].ParameterType | Should -Be ([string[]])
        (Get-Command Search-NymiLog).Parameters['RemoteAddress'].ParameterType | Should -Be ([string[]])
    }
}

Describe 'Get-NymiDiagnosticRule with ids that name no rule' {
    It 'writes NymiDiag.RuleNotFound naming <Unknown> and still returns <Known>' -ForEach @(
        @{ Unknown = @('NO_SUCH_RULE'); Known = @() }
        @{ Unknown = @('NO_SUCH_RULE'); Known = @('LOG_NEA_CERTS_NOT_RETRIEVED') }
        @{ Unknown = @('NO_SUCH_RULE', 'LOG_TYPO'); Known = @('LOG_NEA_CERTS_NOT_RETRIEVED') }
        @{ Unknown = @('log_nea_certs_not_retrieved_x'); Known = @('log_nea_certs_not_retrieved') }
    ) {
        $failures = $null
        $rules = @(Get-NymiDiagnosticRule -Id (@($Known) + @($Unknown)) -ErrorVariable failures -ErrorAction SilentlyContinue)
        @($rules | ForEach-Object Id) | Should -Be @($Known | ForEach-Object { $_.ToUpperInvariant() })
        @($failures).Count | Should -Be $Unknown.Count
        for ($i = 0; $i -lt $Unknown.Count; $i++) {
            $failures[$i].FullyQualifiedErrorId | Should -BeLike 'NymiDiag.RuleNotFound*'
            $failures[$i].CategoryInfo.Category | Should -Be 'ObjectNotFound'
            $failures[$i].TargetObject | Should -Be $Unknown[$i]
            $failures[$i].Exception.Message | Should -Match ([regex]::Escape("'$($Unknown[$i])'"))
        }
    }

    It 'is not terminating: the rest of the pipeline runs' {
        $after = $false
        Get-NymiDiagnosticRule -Id 'NO_SUCH_RULE' -ErrorAction SilentlyContinue | Out-Null
        $after = $true
        $after | Should -BeTrue
        { Get-NymiDiagnosticRule -Id 'NO_SUCH_RULE' -ErrorAction Stop } | Should -Throw '*NO_SUCH_RULE*'
    }

    It 'says nothing for a wildcard that matches no rule (<Pattern>) or for the default' -ForEach @(
        @{ Pattern = 'NO_SUCH_*' }
        @{ Pattern = '*ZZZ*' }
        @{ Pattern = 'LOG_?' }
    ) {
        $failures = $null
        $rules = @(Get-NymiDiagnosticRule -Id $Pattern -ErrorVariable failures)
        $rules.Count | Should -Be 0
        @($failures).Count | Should -Be 0
        $failures = $null
        @(Get-NymiDiagnosticRule -ErrorVariable failures).Count | Should -BeGreaterThan 0
        @($failures).Count | Should -Be 0
    }
}
