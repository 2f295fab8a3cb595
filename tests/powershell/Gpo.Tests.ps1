# The GPO computer startup script (powershell/Gpo), run the way Group Policy
# runs it: a fresh PowerShell process, no profile, no console. The network
# wait, the report file, the event log step and the exit code are checked.
# No test makes a DNS query: the network wait answers names under .invalid
# itself (RFC 6761), the diagnosis of such a name comes from a stand-in
# module (the library's DNS verdicts are tested in Rust with a resolver of
# the tests' own), the wait's decisions are driven with fake lookup
# outcomes, a fake clock and a fake sleep, the only name looked up is
# localhost (hosts file), and the only address contacted is a closed
# loopback port.
BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    $scripts = @(@{ Name = 'Invoke-NymiStartupCheck.ps1'; Path = (Join-Path $RepoRoot 'powershell/Gpo/Invoke-NymiStartupCheck.ps1') })
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    Import-Module $ManifestPath -Force
    $StartupScript = Join-Path $RepoRoot 'powershell/Gpo/Invoke-NymiStartupCheck.ps1'
    $OnWindows = [System.Environment]::OSVersion.Platform -eq 'Win32NT'

    function New-DemoTerminal {
        param([string] $Scenario = 'not-retrieved', [string] $NesUri)
        $arguments = @{ Path = (Join-Path $TestDrive ('terminal-' + [guid]::NewGuid().ToString('N'))); Scenario = $Scenario }
        if ($NesUri) { $arguments['NesUri'] = $NesUri }
        InModuleScope NymiDiag -Parameters @{ Arguments = $arguments } { param($Arguments) NewNymiDemoTerminal @Arguments }
    }

    function Get-Report {
        param([string] $Folder)
        @(Get-ChildItem -LiteralPath $Folder -Filter 'startup-*.json' |
                Sort-Object LastWriteTimeUtc -Descending |
                ForEach-Object { Get-Content -Raw -LiteralPath $_.FullName | ConvertFrom-Json })
    }
}

Describe 'host script <Name>' -ForEach $scripts {
    It 'is under 200 KB, ASCII only and parses' {
        (Get-Item -LiteralPath $Path).Length | Should -BeLessThan 200KB
        @([System.IO.File]::ReadAllBytes($Path) | Where-Object { $_ -gt 0x7F }).Count | Should -Be 0
        $errors = $null
        [void][System.Management.Automation.Language.Parser]::ParseFile($Path, [ref]$null, [ref]$errors)
        @($errors) | Should -BeNullOrEmpty
    }

    It 'has a default for every parameter that is not a configured setting (Group Policy passes only what the admin typed)' {
        # A configured setting's default is the policy's, the file's or the
        # built-in one (Configuration.ps1), not the param block's.
        $configured = @(InModuleScope NymiDiag { GetNymiSettingSpec | ForEach-Object { $_['Name'] } })
        $ast = [System.Management.Automation.Language.Parser]::ParseFile($Path, [ref]$null, [ref]$null)
        foreach ($parameter in $ast.ParamBlock.Parameters) {
            $isSwitch = $parameter.StaticType -eq [System.Management.Automation.SwitchParameter]
            $name = $parameter.Name.VariablePath.UserPath
            if ($configured -contains $name) { $parameter.DefaultValue | Should -BeNullOrEmpty -Because "$name comes from the configuration"; continue }
            ($isSwitch -or $null -ne $parameter.DefaultValue) | Should -BeTrue -Because "$name needs a default"
        }
        (Get-Content -Raw -LiteralPath $Path) | Should -Not -Match '\bWrite-Host\b'
    }

    It 'documents a worst case under the 600 s startup budget that matches its limits' {
        $text = Get-Content -Raw -LiteralPath $Path
        $text | Should -Match 'total\s+N \+ 5 T \+ 18\.5 s'
        $text | Should -Match "network_wait_sec = \[math\]::Min\(180,"
        # The shared block caps the configured timeout for every host script.
        $text | Should -Match "\['timeout_sec'\] = \[int\]\[math\]::Min\(60,"
        (180 + 5 * 60 + 18.5) | Should -BeLessThan 600
    }
}

Describe 'Invoke-NymiStartupCheck.ps1 when the NES host does not resolve' {
    BeforeAll {
        # The real library would ask the system's resolver for the name;
        # the stand-in answers with the verdict it gives.
        $dnsLine = 'STATUS=ISSUE code=NEA_CERTS_NOT_RETRIEVED_DNS ksp=8/20 nes=nes.nymidiag-test.invalid:443 stage=dns finding=NES_DNS_FAILED confidence=high logs=none'
        $stub = New-StubNymiDiagModule -Path (Join-Path $TestDrive 'dns/NymiDiag') -StatusLine $dnsLine -DiagnosisNesUri 'https://nes.nymidiag-test.invalid/nes' -DiagnosisNesUriSource 'request'
        $terminal = New-DemoTerminal
        $reports = Join-Path $TestDrive 'reports-dns'
        for ($i = 1; $i -le 3; $i++) {
            $old = Join-Path $reports ('startup-2020010{0}-000000.json' -f $i)
            New-Item -ItemType Directory -Force -Path $reports | Out-Null
            Set-Content -LiteralPath $old -Value '{"old":true}'
            (Get-Item -LiteralPath $old).LastWriteTimeUtc = [datetime]::UtcNow.AddDays(-10 + $i)
        }
        $available = [System.Net.NetworkInformation.NetworkInterface]::GetIsNetworkAvailable()
        $run = Invoke-ScriptProcess -Path $StartupScript -Arguments @('-ModulePath', $stub,
            '-NesUri', 'https://nes.nymidiag-test.invalid/nes', '-NetworkWaitSec', '30', '-TimeoutSec', '5',
            '-KspPath', $terminal.KspPath, '-LogPath', $terminal.LogPath, '-ReportFolder', $reports, '-KeepReports', '2')
        $report = (Get-Report $reports)[0]
    }

    It 'ends within a bound: a name that never resolves ends the wait at once' {
        $run.Seconds | Should -BeLessThan 60
        $report.network.limit_sec | Should -Be 30
        $report.network.host | Should -Be 'nes.nymidiag-test.invalid'
        $report.network.dns | Should -Not -Be 'resolved'
        if ($available) {
            $report.network.state | Should -Be 'answered'
            $report.network.dns | Should -Be 'not_found'
            $report.network.attempts | Should -Be 1
            $report.network.waited_ms | Should -BeLessThan 5000
            $report.network.detail | Should -Match 'RFC 6761'
        }
        else {
            # Without an interface up there is nothing to ask: the wait
            # runs out.
            $report.network.state | Should -Be 'timeout'
            $report.network.waited_ms | Should -BeLessThan 31000
        }
    }

    It 'exits 0 although the terminal is broken, with one line and nothing on stderr' {
        $run.ExitCode | Should -Be 0
        $run.StdErr | Should -BeNullOrEmpty
        $run.Lines.Count | Should -Be 1
        $run.Lines | Should -Be @($dnsLine)
    }

    It 'writes the JSON report with the network wait, the event log step and the diagnosis' {
        $report.kind | Should -Be 'nymidiag.startup_check'
        $report.status_line | Should -BeExactly $run.Lines[0]
        $report.exit_code | Should -Be 0
        $report.diagnosis.stub | Should -BeTrue
        $report.event_log.event_id | Should -Be 1001
    }

    It 'reports the event log step as not applicable off Windows' -Skip:$OnWindows {
        $report.event_log.state | Should -Be 'not_applicable'
        $report.event_log.detail | Should -Match 'Needs Windows'
    }

    # The Windows event log exists only on Windows; elsewhere the step is
    # reported as not applicable (the test above).
    It 'writes an Error event 1001 to the Application log on Windows' -Skip:(-not $OnWindows) {
        $report.event_log.state | Should -Be 'written'
        $report.event_log.entry_type | Should -Be 'Error'
        $report.event_log.source | Should -BeIn @('NymiDiag', 'WSH')
    }

    It 'keeps the newest KeepReports startup reports' {
        @(Get-ChildItem -LiteralPath $reports -Filter 'startup-*.json').Count | Should -Be 2
        Test-Path -LiteralPath (Join-Path $reports 'startup-20200103-000000.json') | Should -BeTrue
    }
}

Describe 'Invoke-NymiStartupCheck.ps1 network wait' {
    BeforeAll {
        $terminal = New-DemoTerminal
        $reports = Join-Path $TestDrive 'reports-wait'
    }

    It 'does not wait with -NetworkWaitSec 0' {
        $run = Invoke-ScriptProcess -Path $StartupScript -Arguments @('-ModulePath', $ManifestPath,
            '-NetworkWaitSec', '0', '-TimeoutSec', '5', '-KspPath', $terminal.KspPath, '-LogPath', $terminal.LogPath, '-ReportFolder', $reports)
        $run.ExitCode | Should -Be 0
        $run.StdErr | Should -BeNullOrEmpty
        $report = (Get-Report $reports)[0]
        $report.network.state | Should -Be 'skipped'
        $report.network.attempts | Should -Be 0
        # The URL came from the logs: a closed loopback port.
        $run.Lines[0] | Should -Match '^STATUS=ISSUE v=1 code=NEA_CERTS_NOT_RETRIEVED_TCP_BLOCKED ksp=8/20 nes=127\.0\.0\.1:\d+ stage=tcp'
    }

    It 'stops waiting at once when the network is up and the NES host resolves' {
        $available = [System.Net.NetworkInformation.NetworkInterface]::GetIsNetworkAvailable()
        $run = Invoke-ScriptProcess -Path $StartupScript -Arguments @('-ModulePath', $ManifestPath,
            '-NesUri', $terminal.NesUri, '-NetworkWaitSec', '30', '-TimeoutSec', '5', '-KspPath', $terminal.KspPath,
            '-LogPath', $terminal.LogPath, '-ReportFolder', $reports)
        $run.ExitCode | Should -Be 0
        $run.StdErr | Should -BeNullOrEmpty
        $report = (Get-Report $reports)[0]
        if ($available) {
            $report.network.state | Should -Be 'ready'
            $report.network.dns | Should -Be 'resolved'
            $report.network.addresses | Should -Contain '127.0.0.1'
            $report.network.waited_ms | Should -BeLessThan 5000
        }
        else {
            $report.network.state | Should -Be 'timeout'
        }
    }
}

# The wait's decisions, without a network: its functions are taken from
# the script's text (the script runs the check when run, so it cannot be
# dot-sourced) and driven with fake network states, lookup outcomes, a fake
# clock and a fake sleep, so that no test waits for real.
Describe 'Invoke-NymiStartupCheck.ps1 network wait decisions' {
    BeforeDiscovery {
        # Exceptions as the lookup gives them: PowerShell 5.1 and 7 wrap a
        # method's SocketException in a MethodInvocationException.
        $wrap = { param([int] $Code) New-Object System.Management.Automation.MethodInvocationException ('Exception calling "EndGetHostAddresses"', (New-Object System.Net.Sockets.SocketException $Code)) }
        $verdicts = @(
            @{ Case = 'addresses'; Outcome = @{ Addresses = [string[]]@('192.0.2.10', '2001:db8::10') }; Verdict = 'resolved'; Dns = 'resolved'; SocketError = $null }
            @{ Case = 'no addresses'; Outcome = @{ Addresses = [string[]]@() }; Verdict = 'negative'; Dns = 'no_addresses'; SocketError = $null }
            @{ Case = 'HostNotFound wrapped'; Outcome = @{ Error = (& $wrap 11001) }; Verdict = 'negative'; Dns = 'not_found'; SocketError = 'HostNotFound (11001)' }
            @{ Case = 'HostNotFound bare'; Outcome = @{ Error = (New-Object System.Net.Sockets.SocketException 11001) }; Verdict = 'negative'; Dns = 'not_found'; SocketError = 'HostNotFound (11001)' }
            @{ Case = 'HostNotFound in an AggregateException'; Outcome = @{ Error = (New-Object System.AggregateException (, [System.Exception[]]@(New-Object System.Net.Sockets.SocketException 11001))) }; Verdict = 'negative'; Dns = 'not_found'; SocketError = 'HostNotFound (11001)' }
            @{ Case = 'NoData'; Outcome = @{ Error = (& $wrap 11004) }; Verdict = 'negative'; Dns = 'no_addresses'; SocketError = 'NoData (11004)' }
            @{ Case = 'TryAgain'; Outcome = @{ Error = (& $wrap 11002) }; Verdict = 'transient'; Dns = 'no_answer'; SocketError = 'TryAgain (11002)' }
            @{ Case = 'NoRecovery'; Outcome = @{ Error = (& $wrap 11003) }; Verdict = 'transient'; Dns = 'no_answer'; SocketError = 'NoRecovery (11003)' }
            @{ Case = 'another socket error'; Outcome = @{ Error = (& $wrap 10061) }; Verdict = 'transient'; Dns = 'failed'; SocketError = 'ConnectionRefused (10061)' }
            # The message is never read: glibc's words for HostNotFound on
            # another exception type decide nothing.
            @{ Case = 'not a socket error'; Outcome = @{ Error = (New-Object System.InvalidOperationException 'Name or service not known') }; Verdict = 'transient'; Dns = 'failed'; SocketError = $null }
            @{ Case = 'lookup timeout'; Outcome = @{ TimedOut = $true }; Verdict = 'transient'; Dns = 'timeout'; SocketError = $null }
        )
    }

    BeforeAll {
        $ast = [System.Management.Automation.Language.Parser]::ParseFile($StartupScript, [ref]$null, [ref]$null)
        $wanted = 'GetNymiNetworkState', 'InvokeNymiHostLookup', 'GetNymiLookupVerdict', 'WaitNymiNetwork'
        $definitions = @($ast.FindAll({ param($n) $n -is [System.Management.Automation.Language.FunctionDefinitionAst] }, $false) | Where-Object { $wanted -contains $_.Name })
        $definitions.Count | Should -Be $wanted.Count
        foreach ($definition in $definitions) { . ([scriptblock]::Create($definition.Extent.Text)) }

        function Invoke-FakeWait {
            # WaitNymiNetwork over fake states and outcomes, each list's
            # last item repeating; a lookup takes $LookupMs of fake time
            # (a timed out one its whole budget). Returns the result and
            # what the fakes saw.
            param(
                [int] $Seconds = 120,
                [string] $HostName = 'nes.corp.example',
                [hashtable[]] $States = @(@{ Available = $true; DnsServers = 1 }),
                [hashtable[]] $Outcomes = @(@{ Addresses = [string[]]@('192.0.2.10') }),
                [int] $LookupMs = 20
            )
            $fake = @{ Now = [long]0; Sleeps = New-Object System.Collections.Generic.List[int]; Budgets = New-Object System.Collections.Generic.List[int]; StateCalls = 0 }
            $networkState = {
                $state = $States[[math]::Min($fake.StateCalls, $States.Count - 1)]
                $fake.StateCalls++
                $state
            }.GetNewClosure()
            $lookup = {
                param($Name, $BudgetMs)
                $outcome = $Outcomes[[math]::Min($fake.Budgets.Count, $Outcomes.Count - 1)]
                $fake.Budgets.Add($BudgetMs)
                if ($outcome['TimedOut']) { $fake.Now += $BudgetMs } else { $fake.Now += $LookupMs }
                $outcome
            }.GetNewClosure()
            $clock = { $fake.Now }.GetNewClosure()
            $sleep = { param($Milliseconds) $fake.Sleeps.Add($Milliseconds); $fake.Now += $Milliseconds }.GetNewClosure()
            $result = WaitNymiNetwork -Seconds $Seconds -HostName $HostName -NetworkState $networkState -Lookup $lookup -Clock $clock -Sleep $sleep
            [PSCustomObject]@{ Result = $result; Sleeps = @($fake.Sleeps); Budgets = @($fake.Budgets); StateCalls = $fake.StateCalls; Now = $fake.Now }
        }

        $hostNotFound = @{ Error = (New-Object System.Management.Automation.MethodInvocationException ('wrapped', (New-Object System.Net.Sockets.SocketException 11001))) }
        $noData = @{ Error = (New-Object System.Net.Sockets.SocketException 11004) }
        $tryAgain = @{ Error = (New-Object System.Management.Automation.MethodInvocationException ('wrapped', (New-Object System.Net.Sockets.SocketException 11002))) }
        $resolved = @{ Addresses = [string[]]@('192.0.2.10') }
        $timedOut = @{ TimedOut = $true }
        $up = @{ Available = $true; DnsServers = 1 }
        $down = @{ Available = $false; DnsServers = -1 }
    }

    Context 'one lookup outcome' {
        It 'classifies <Case> as <Verdict> (<Dns>)' -ForEach $verdicts {
            $answer = GetNymiLookupVerdict $Outcome
            $answer.Verdict | Should -Be $Verdict
            $answer.Dns | Should -Be $Dns
            $answer.SocketError | Should -Be $SocketError
            if ($Verdict -eq 'resolved') { $answer.Addresses | Should -Be @('192.0.2.10', '2001:db8::10') }
            else { @($answer.Addresses).Count | Should -Be 0 }
        }
    }

    Context 'when the wait stops' {
        It 'stops at the first lookup when the host resolves' {
            $run = Invoke-FakeWait -Outcomes $resolved
            $run.Result['state'] | Should -Be 'ready'
            $run.Result['dns'] | Should -Be 'resolved'
            $run.Result['attempts'] | Should -Be 1
            $run.Result['addresses'] | Should -Be @('192.0.2.10')
            $run.Result['detail'] | Should -BeNullOrEmpty
            $run.Sleeps.Count | Should -Be 0
            $run.Result['waited_ms'] | Should -Be 20
        }

        It 'stops at the first lookup when the DNS answers that the name does not exist (HostNotFound)' {
            $run = Invoke-FakeWait -Outcomes $hostNotFound
            $run.Result['state'] | Should -Be 'answered'
            $run.Result['dns'] | Should -Be 'not_found'
            $run.Result['socket_error'] | Should -Be 'HostNotFound (11001)'
            $run.Result['attempts'] | Should -Be 1
            $run.Result['detail'] | Should -Match '^nes\.corp\.example: '
            $run.Sleeps.Count | Should -Be 0
            $run.Result['waited_ms'] | Should -Be 20
        }

        It 'stops at the first lookup when the name has no address (NoData)' {
            $run = Invoke-FakeWait -Outcomes $noData
            $run.Result['state'] | Should -Be 'answered'
            $run.Result['dns'] | Should -Be 'no_addresses'
            $run.Result['attempts'] | Should -Be 1
            $run.Sleeps.Count | Should -Be 0
        }

        It 'stops when an unknown number of DNS servers is configured (the answer is taken)' {
            $run = Invoke-FakeWait -States @(@{ Available = $true; DnsServers = -1 }) -Outcomes $hostNotFound
            $run.Result['state'] | Should -Be 'answered'
            $run.Result['dns_servers'] | Should -Be -1
            $run.Sleeps.Count | Should -Be 0
        }

        It 'stops without a lookup for a name under .invalid' {
            $run = Invoke-FakeWait -HostName 'nes.corp.invalid' -Outcomes $resolved
            $run.Result['state'] | Should -Be 'answered'
            $run.Result['dns'] | Should -Be 'not_found'
            $run.Result['detail'] | Should -Match 'RFC 6761'
            $run.Budgets.Count | Should -Be 0
            $run.Sleeps.Count | Should -Be 0
            $run.Result['waited_ms'] | Should -Be 0
        }

        It 'stops without a lookup when no host is given and an interface is up' {
            $run = Invoke-FakeWait -HostName '' -Outcomes $hostNotFound
            $run.Result['state'] | Should -Be 'ready'
            $run.Result['dns'] | Should -Be 'not_checked'
            $run.Budgets.Count | Should -Be 0
            $run.Sleeps.Count | Should -Be 0
        }

        It 'does not start with -Seconds 0' {
            $run = Invoke-FakeWait -Seconds 0 -Outcomes $tryAgain
            $run.Result['state'] | Should -Be 'skipped'
            $run.Result['attempts'] | Should -Be 0
            $run.StateCalls | Should -Be 0
            $run.Budgets.Count | Should -Be 0
            $run.Sleeps.Count | Should -Be 0
        }

        It 'waits for an interface, then stops when the host resolves' {
            $run = Invoke-FakeWait -States @($down, $down, $up) -Outcomes $resolved
            $run.Result['state'] | Should -Be 'ready'
            $run.Result['attempts'] | Should -Be 3
            $run.Budgets.Count | Should -Be 1
            $run.Sleeps | Should -Be @(5000, 5000)
            $run.Result['waited_ms'] | Should -Be 10020
        }

        It 'waits for an interface, then stops when the DNS answers not found' {
            $run = Invoke-FakeWait -States @($down, $up) -Outcomes $hostNotFound
            $run.Result['state'] | Should -Be 'answered'
            $run.Result['attempts'] | Should -Be 2
            $run.Budgets.Count | Should -Be 1
            $run.Sleeps | Should -Be @(5000)
        }

        It 'waits out TryAgain, then stops when the host resolves' {
            $run = Invoke-FakeWait -Outcomes @($tryAgain, $tryAgain, $resolved)
            $run.Result['state'] | Should -Be 'ready'
            $run.Result['attempts'] | Should -Be 3
            $run.Sleeps | Should -Be @(5000, 5000)
        }

        It 'waits out TryAgain, then stops when the DNS answers not found' {
            $run = Invoke-FakeWait -Outcomes @($tryAgain, $hostNotFound)
            $run.Result['state'] | Should -Be 'answered'
            $run.Result['dns'] | Should -Be 'not_found'
            $run.Result['attempts'] | Should -Be 2
            $run.Sleeps | Should -Be @(5000)
        }

        It 'waits out a lookup timeout, then stops when the host resolves' {
            $run = Invoke-FakeWait -Outcomes @($timedOut, $resolved)
            $run.Result['state'] | Should -Be 'ready'
            $run.Result['attempts'] | Should -Be 2
            $run.Budgets | Should -Be @(5000, 5000)
            $run.Sleeps | Should -Be @(5000)
            $run.Result['waited_ms'] | Should -Be 10020
        }

        It 'does not take "not found" for an answer while no DNS server is configured (before DHCP)' {
            $run = Invoke-FakeWait -States @(@{ Available = $true; DnsServers = 0 }, @{ Available = $true; DnsServers = 0 }, $up) -Outcomes $hostNotFound
            $run.Result['state'] | Should -Be 'answered'
            $run.Result['attempts'] | Should -Be 3
            $run.Result['dns_servers'] | Should -Be 1
            $run.Sleeps | Should -Be @(5000, 5000)
        }
    }

    Context 'when nothing definite comes: the wait runs out at -Seconds' {
        It 'times out on <Case> after <Attempts> attempts, sleeping no longer than the limit' -ForEach @(
            @{ Case = 'TryAgain'; Outcome = 'tryAgain'; Attempts = 25; Dns = 'no_answer'; Servers = 1 }
            @{ Case = 'another socket error'; Outcome = 'refused'; Attempts = 25; Dns = 'failed'; Servers = 1 }
            @{ Case = 'not found without a DNS server'; Outcome = 'hostNotFound'; Attempts = 25; Dns = 'not_found'; Servers = 0 }
        ) {
            $outcomes = @{ tryAgain = $tryAgain; hostNotFound = $hostNotFound; refused = @{ Error = (New-Object System.Net.Sockets.SocketException 10061) } }
            $run = Invoke-FakeWait -LookupMs 0 -States @(@{ Available = $true; DnsServers = $Servers }) -Outcomes $outcomes[$Outcome]
            $run.Result['state'] | Should -Be 'timeout'
            $run.Result['dns'] | Should -Be $Dns
            # One attempt every 5 s from 0 to 120 s, then no more sleep.
            $run.Result['attempts'] | Should -Be $Attempts
            $run.Sleeps.Count | Should -Be ($Attempts - 1)
            ($run.Sleeps | Measure-Object -Sum).Sum | Should -Be 120000
            $run.Result['waited_ms'] | Should -Be 120000
        }

        It 'times out when no interface comes up, without a lookup' {
            $run = Invoke-FakeWait -Seconds 12 -States @($down) -Outcomes $resolved
            $run.Result['state'] | Should -Be 'timeout'
            $run.Result['dns'] | Should -Be 'not_checked'
            $run.Result['network_available'] | Should -BeFalse
            $run.Result['detail'] | Should -Be 'No network interface was up.'
            $run.Result['attempts'] | Should -Be 4
            $run.Budgets.Count | Should -Be 0
            $run.Sleeps | Should -Be @(5000, 5000, 2000)
            $run.Result['waited_ms'] | Should -Be 12000
        }

        It 'bounds every lookup by the time left, so that lookups that never answer end by -Seconds + 0.5 s' {
            $run = Invoke-FakeWait -Seconds 12 -Outcomes $timedOut
            $run.Result['state'] | Should -Be 'timeout'
            $run.Result['dns'] | Should -Be 'timeout'
            # 0-5 s lookup, 5-10 s sleep, 10-12 s lookup (2 s left), then
            # the limit has passed.
            $run.Budgets | Should -Be @(5000, 2000)
            $run.Sleeps | Should -Be @(5000)
            $run.Result['waited_ms'] | Should -Be 12000
            $run = Invoke-FakeWait -Seconds 1 -LookupMs 800 -Outcomes @($tryAgain, $timedOut)
            # 0-0.8 s lookup, 0.2 s sleep, then a lookup of at least 0.5 s.
            $run.Budgets | Should -Be @(1000, 500)
            $run.Sleeps | Should -Be @(200)
            $run.Result['waited_ms'] | Should -Be 1500
        }
    }

    Context 'the real network' {
        It 'reads whether an interface is up and counts the DNS servers' {
            $state = GetNymiNetworkState
            $state.Available | Should -BeOfType [bool]
            $state.DnsServers | Should -BeGreaterOrEqual -1
        }

        It 'looks up localhost (hosts file, no DNS query)' {
            $answer = GetNymiLookupVerdict (InvokeNymiHostLookup -HostName 'localhost' -BudgetMs 5000)
            $answer.Verdict | Should -Be 'resolved'
            @($answer.Addresses | Where-Object { $_ -eq '127.0.0.1' -or $_ -eq '::1' }).Count | Should -BeGreaterThan 0
        }
    }
}

Describe 'Invoke-NymiStartupCheck.ps1 exit codes and errors' {
    BeforeAll {
        $reports = Join-Path $TestDrive 'reports-exit'
        $missing = Join-Path $TestDrive 'nowhere/NymiDiag.psd1'
    }

    It 'exits 0 when the module is missing, and says why on its line (no report: the module writes it)' {
        $run = Invoke-ScriptProcess -Path $StartupScript -Arguments @('-ModulePath', $missing, '-NetworkWaitSec', '0', '-ReportFolder', $reports, '-NesUri', 'nes.corp.example')
        $run.ExitCode | Should -Be 0
        $run.StdErr | Should -BeNullOrEmpty
        $run.Lines | Should -HaveCount 1
        $run.Lines[0] | Should -Match '^STATUS=ERROR v=1 code=MODULE_NOT_FOUND ksp=\?/20 nes=nes\.corp\.example:443 stage=none detail='
        Test-Path -LiteralPath $reports | Should -BeFalse
    }

    It 'records a failed diagnosis with event id 1002' {
        $stub = New-StubNymiDiagModule -Path (Join-Path $TestDrive 'failing/NymiDiag') -DiagnosisError 'the library answered IO_ERROR'
        $run = Invoke-ScriptProcess -Path $StartupScript -Arguments @('-ModulePath', $stub, '-NetworkWaitSec', '0', '-ReportFolder', $reports)
        $run.ExitCode | Should -Be 0
        $run.StdErr | Should -BeNullOrEmpty
        $run.Lines[0] | Should -Match '^STATUS=ERROR v=1 code=DIAGNOSIS_FAILED '
        $report = (Get-Report $reports)[0]
        $report.error.code | Should -Be 'DIAGNOSIS_FAILED'
        $report.event_log.event_id | Should -Be 1002
        if (-not $OnWindows) { $report.event_log.state | Should -Be 'not_applicable' }
    }

    It 'exits 2 for STATUS=ERROR and 1 for STATUS=ISSUE with -ExitWithStatus' {
        $run = Invoke-ScriptProcess -Path $StartupScript -Arguments @('-ModulePath', $missing, '-NetworkWaitSec', '0', '-ReportFolder', $reports, '-ExitWithStatus')
        $run.ExitCode | Should -Be 2
        $run.StdErr | Should -BeNullOrEmpty
        $stub = New-StubNymiDiagModule -Path (Join-Path $TestDrive 'issue/NymiDiag') -StatusLine 'STATUS=ISSUE code=NEA_CERTS_EXPIRED_NOT_RENEWED ksp=20/20 nes=nes.corp.example:443 stage=none'
        $run = Invoke-ScriptProcess -Path $StartupScript -Arguments @('-ModulePath', $stub, '-NetworkWaitSec', '0', '-ReportFolder', $reports, '-ExitWithStatus')
        $run.ExitCode | Should -Be 1
        $run.StdErr | Should -BeNullOrEmpty
        $run.Lines | Should -Be @('STATUS=ISSUE code=NEA_CERTS_EXPIRED_NOT_RENEWED ksp=20/20 nes=nes.corp.example:443 stage=none')
    }

    # Windows only, as above: off Windows no event is ever written.
    It 'writes no event with -EventSource ''''' -Skip:(-not $OnWindows) {
        $stub = New-StubNymiDiagModule -Path (Join-Path $TestDrive 'quiet/NymiDiag')
        $run = Invoke-ScriptProcess -Path $StartupScript -Arguments @('-ModulePath', $stub, '-NetworkWaitSec', '0', '-ReportFolder', $reports, '-EventSource', '')
        $run.ExitCode | Should -Be 0
        (Get-Report $reports)[0].event_log.state | Should -Be 'skipped'
    }
}
