# The GPO computer startup script (powershell/Gpo), run the way Group Policy
# runs it: a fresh PowerShell process, no profile, no console. The network
# wait, the report file, the event log step and the exit code are checked.
# No test makes a DNS query: the network wait answers names under .invalid
# itself (RFC 6761), the diagnosis of such a name comes from a stand-in
# module (the library's DNS verdicts are tested in Rust with a resolver of
# the tests' own), and the only address contacted is a closed loopback
# port.
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

    It 'has a default for every parameter (Group Policy passes only what the admin typed)' {
        $ast = [System.Management.Automation.Language.Parser]::ParseFile($Path, [ref]$null, [ref]$null)
        foreach ($parameter in $ast.ParamBlock.Parameters) {
            $isSwitch = $parameter.StaticType -eq [System.Management.Automation.SwitchParameter]
            ($isSwitch -or $null -ne $parameter.DefaultValue) | Should -BeTrue -Because "$($parameter.Name) needs a default"
        }
        (Get-Content -Raw -LiteralPath $Path) | Should -Not -Match '\bWrite-Host\b'
    }

    It 'documents a worst case under the 600 s startup budget that matches its limits' {
        $text = Get-Content -Raw -LiteralPath $Path
        $text | Should -Match 'total\s+N \+ 5 T \+ 18\.5 s'
        $text | Should -Match "network_wait_sec = \[math\]::Min\(180,"
        $text | Should -Match "timeout_sec = \[math\]::Min\(60,"
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
        $run = Invoke-ScriptProcess -Path $StartupScript -Arguments @('-ModulePath', $stub,
            '-NesUri', 'https://nes.nymidiag-test.invalid/nes', '-NetworkWaitSec', '1', '-TimeoutSec', '5',
            '-KspPath', $terminal.KspPath, '-LogPath', $terminal.LogPath, '-ReportFolder', $reports, '-KeepReports', '2')
        $report = (Get-Report $reports)[0]
    }

    It 'ends within a bound: the wait stops at -NetworkWaitSec' {
        $run.Seconds | Should -BeLessThan 60
        $report.network.state | Should -Be 'timeout'
        $report.network.limit_sec | Should -Be 1
        $report.network.attempts | Should -BeGreaterOrEqual 1
        $report.network.waited_ms | Should -BeLessThan 10000
        $report.network.host | Should -Be 'nes.nymidiag-test.invalid'
        $report.network.dns | Should -Not -Be 'resolved'
        $report.network.detail | Should -Match 'RFC 6761'
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
        $run.Lines[0] | Should -Match '^STATUS=ISSUE code=NEA_CERTS_NOT_RETRIEVED_TCP_BLOCKED ksp=8/20 nes=127\.0\.0\.1:\d+ stage=tcp'
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
        $run.Lines[0] | Should -Match '^STATUS=ERROR code=MODULE_NOT_FOUND ksp=\?/20 nes=nes\.corp\.example:443 stage=none detail='
        Test-Path -LiteralPath $reports | Should -BeFalse
    }

    It 'records a failed diagnosis with event id 1002' {
        $stub = New-StubNymiDiagModule -Path (Join-Path $TestDrive 'failing/NymiDiag') -DiagnosisError 'the library answered IO_ERROR'
        $run = Invoke-ScriptProcess -Path $StartupScript -Arguments @('-ModulePath', $stub, '-NetworkWaitSec', '0', '-ReportFolder', $reports)
        $run.ExitCode | Should -Be 0
        $run.StdErr | Should -BeNullOrEmpty
        $run.Lines[0] | Should -Match '^STATUS=ERROR code=DIAGNOSIS_FAILED '
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
