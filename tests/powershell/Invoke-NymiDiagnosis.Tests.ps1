# Invoke-NymiDiagnosis end to end: generated terminals (NewNymiDemoTerminal)
# against a closed loopback port, the loopback mock NES with an untrusted
# and a trusted certificate, and the NES URL taken from the logs.
BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    $mock = Start-MockNes -SlowMs 8000
    $m = $mock.Manifest
    $server = @{
        ServerPid = [int]$m.pid; CargoPid = $mock.Process.Id; Folder = $mock.Folder; CaFile = $m.ca_file
        Healthy = $m.scenarios.healthy.url; UnknownCa = $m.scenarios.unknown_ca.url
    }
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    Import-Module $ManifestPath -Force
    $savedProxy = $env:HTTPS_PROXY
    $env:HTTPS_PROXY = $null

    function New-Terminal([string] $Scenario, [string] $NesUri) {
        $path = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
        $arguments = @{ Path = $path; Scenario = $Scenario }
        if ($NesUri) { $arguments['NesUri'] = $NesUri }
        InModuleScope NymiDiag -Parameters $arguments { param($Path, $Scenario, $NesUri) NewNymiDemoTerminal @PSBoundParameters }
    }
}

AfterAll {
    $env:HTTPS_PROXY = $savedProxy
}

Describe 'Invoke-NymiDiagnosis' -ForEach @($server) {
    AfterAll {
        Stop-MockNes -ProcessId $ServerPid -Folder $Folder
        Stop-Process -Id $CargoPid -Force -ErrorAction SilentlyContinue
    }

    Context 'a broken terminal and a closed port' {
        BeforeAll {
            $terminal = New-Terminal 'not-retrieved'
            $before = Get-TreeSnapshot $terminal.Path
            $d = Invoke-NymiDiagnosis -NesUri $terminal.NesUri -KspPath $terminal.KspPath -LogPath $terminal.LogPath -TimeoutSec 5 -WarningVariable warnings -WarningAction SilentlyContinue
        }

        It 'says the certificates were not retrieved because TCP is blocked' {
            $d.PSObject.TypeNames[0] | Should -Be 'NymiDiag.Diagnosis'
            $d.VerdictId | Should -Be 'NEA_CERTS_NOT_RETRIEVED_TCP_BLOCKED'
            $d.Status | Should -Be 'ISSUE'
            $d.Stage | Should -Be 'tcp'
            $d.FindingId | Should -Be 'NES_TCP_REFUSED'
            $d.Confidence | Should -Be 'high'
            $d.KspCertificates | Should -Be 8
            $d.KspExpected | Should -Be 20
            $d.NesUriSource | Should -Be 'request'
        }

        It 'gives the evidence, the next steps and the Intune line' {
            @($d.Evidence | ForEach-Object Finding) | Should -Contain 'NEA_CERTS_MISSING'
            @($d.Evidence | ForEach-Object Finding) | Should -Contain 'LOG_TOKEN_REQUEST_FAILED'
            @($d.NextSteps | ForEach-Object Step) | Should -Contain 'Firewall logs'
            @($d.NextSteps | ForEach-Object Step) | Should -Contain 'IIS log on the NES server'
            @($d.NextSteps)[0].Order | Should -Be 1
            $d.StatusLine | Should -Match '^STATUS=ISSUE v=1 code=NEA_CERTS_NOT_RETRIEVED_TCP_BLOCKED ksp=8/20 nes=127\.0\.0\.1:\d+ stage=tcp '
        }

        It 'keeps every part finding on the object' {
            $ids = @($d.Findings | ForEach-Object Id)
            $ids[0] | Should -Be 'NEA_CERTS_NOT_RETRIEVED_TCP_BLOCKED'
            $ids | Should -Contain 'NEA_CERTS_MISSING'
            $ids | Should -Contain 'NES_TCP_REFUSED'
            $ids | Should -Contain 'LOG_NEA_CERTS_NOT_RETRIEVED'
        }

        # On Windows these checks run and their states depend on the machine.
        It 'fills the host checks: not applicable off Windows' -Skip:([System.Environment]::OSVersion.Platform -eq [System.PlatformID]::Win32NT) {
            foreach ($name in 'services', 'ble_adapter', 'winhttp_proxy', 'windows_auth', 'chain_engine') {
                $check = $d.Checks | Where-Object Name -eq $name
                $check.State | Should -Be 'not_applicable'
                $check.Detail | Should -Not -BeNullOrEmpty
            }
        }

        It 'warns with the verdict id' {
            @($warnings)[0] | Should -Match '^NEA_CERTS_NOT_RETRIEVED_TCP_BLOCKED: '
        }

        It 'changes nothing in the terminal it read' {
            Get-TreeSnapshot $terminal.Path | Should -Be $before
        }

        It 'renders the short report' {
            $text = $d | Out-String -Width 200
            $text | Should -Match 'Verdict\s+: NEA_CERTS_NOT_RETRIEVED_TCP_BLOCKED \(high confidence\)'
            $text | Should -Match 'Key store\s+: 8/20'
            # Each next-step command starts its own line, ready to copy.
            $text | Should -Match '(?m)^\s+Search-NymiLog -Kind iis'
        }
    }

    Context 'a broken terminal and an NES certificate from an unknown CA' {
        It 'says the NES TLS chain is not trusted' {
            $terminal = New-Terminal 'not-retrieved'
            $d = Invoke-NymiDiagnosis -NesUri $UnknownCa -KspPath $terminal.KspPath -LogPath $terminal.LogPath -TrustedRootPath $CaFile -NoPlatformRoots -TimeoutSec 5 -WarningAction SilentlyContinue
            $d.VerdictId | Should -Be 'NEA_CERTS_NOT_RETRIEVED_TLS_UNTRUSTED'
            $d.Stage | Should -Be 'tls'
        }
    }

    Context 'a healthy terminal and a trusted NES' {
        It 'says HEALTHY' {
            $terminal = New-Terminal 'healthy'
            $d = Invoke-NymiDiagnosis -NesUri $Healthy -KspPath $terminal.KspPath -LogPath $terminal.LogPath -TrustedRootPath $CaFile -NoPlatformRoots -TimeoutSec 5 -WarningVariable warnings
            $d.VerdictId | Should -Be 'HEALTHY'
            $d.Status | Should -Be 'OK'
            $d.KspCertificates | Should -Be 20
            $d.StatusLine | Should -Match '^STATUS=OK v=1 code=HEALTHY ksp=20/20 nes=localhost:\d+ '
            @($warnings).Count | Should -Be 0
        }
    }

    # The Windows observations run through their seams off Windows too: the
    # identity request is replaced, the chain engine is .NET's (which does
    # not know the mock's CA).
    Context 'one diagnose call with the Windows observations' {
        BeforeAll {
            Mock -ModuleName NymiDiag TestNymiIsWindows { $true }
            Mock -ModuleName NymiDiag FindNymiService { @() }
            Mock -ModuleName NymiDiag GetNymiWindowsProxy { $null }
            Mock -ModuleName NymiDiag GetNymiDomainControllers { }
            Mock -ModuleName NymiDiag InvokeNymiIdentityRequest {
                [ordered]@{ url = $Url; identity = 'CORP\TERM01$'; status_code = 401; schemes = [string[]]@('Negotiate'); error_kind = $null; error = $null; duration_ms = 9 }
            }
        }

        It 'judges the identity and the chain in the library after a probe that passed' {
            $terminal = New-Terminal 'healthy'
            $d = Invoke-NymiDiagnosis -NesUri $Healthy -KspPath $terminal.KspPath -LogPath $terminal.LogPath -TrustedRootPath $CaFile -NoPlatformRoots -TimeoutSec 5 -WarningAction SilentlyContinue
            Should -Invoke -ModuleName NymiDiag InvokeNymiIdentityRequest -Times 1 -Exactly
            $auth = $d.Report.data.host.checks.windows_auth
            $auth.counted | Should -BeTrue
            $auth.findings[0].id | Should -Be 'NES_AUTH_FAILED'
            $d.Report.data.host.checks.chain_engine.findings[0].id | Should -Be 'HOST_CHAIN_UNTRUSTED'
            # The identity request is the active test the verdict names.
            $d.VerdictId | Should -Be 'CERTS_OK_NES_UNREACHABLE'
            $d.FindingId | Should -Be 'NES_AUTH_FAILED'
        }

        It 'reports them without counting them when the probe did not pass' {
            $terminal = New-Terminal 'not-retrieved'
            $d = Invoke-NymiDiagnosis -NesUri $UnknownCa -KspPath $terminal.KspPath -LogPath $terminal.LogPath -TrustedRootPath $CaFile -NoPlatformRoots -TimeoutSec 5 -WarningAction SilentlyContinue
            $d.VerdictId | Should -Be 'NEA_CERTS_NOT_RETRIEVED_TLS_UNTRUSTED'
            $d.Stage | Should -Be 'tls'
            $auth = $d.Report.data.host.checks.windows_auth
            $auth.counted | Should -BeFalse
            $auth.detail | Should -Match 'does not change the verdict'
            @($d.Findings | ForEach-Object Id) | Should -Not -Contain 'NES_AUTH_FAILED'
        }

        It 'sends neither for a URL inferred from the logs, and says why' {
            $terminal = New-Terminal 'not-retrieved' $Healthy
            $d = Invoke-NymiDiagnosis -KspPath $terminal.KspPath -LogPath $terminal.LogPath -TrustedRootPath $CaFile -NoPlatformRoots -TimeoutSec 5 -WarningAction SilentlyContinue
            $d.NesUriSource | Should -Be 'log_nes_context'
            Should -Invoke -ModuleName NymiDiag InvokeNymiIdentityRequest -Times 0 -Exactly
            foreach ($name in 'windows_auth', 'chain_engine') {
                $check = $d.Checks | Where-Object Name -EQ $name
                $check.State | Should -Be 'skipped'
                $check.Detail | Should -Match 'inferred from the logs'
            }
        }
    }

    Context 'without -NesUri' {
        It 'takes the NES URL from the logs and says so' {
            $terminal = New-Terminal 'not-retrieved' $Healthy
            $d = Invoke-NymiDiagnosis -KspPath $terminal.KspPath -LogPath $terminal.LogPath -TrustedRootPath $CaFile -NoPlatformRoots -TimeoutSec 5 -WarningAction SilentlyContinue
            $d.NesUri | Should -Be $Healthy
            $d.NesUriSource | Should -Be 'log_nes_context'
            # The path is fine now: the certificates still have to be fetched.
            $d.VerdictId | Should -Be 'NEA_CERTS_NOT_RETRIEVED_CAUSE_UNKNOWN'
            @($d.NextSteps)[0].Step | Should -Be 'Restart the EAM Security Service'
        }

        It 'reports the path as untested when the logs name no URL' {
            $terminal = New-Terminal 'not-retrieved'
            Get-ChildItem -LiteralPath $terminal.LogPath -File | ForEach-Object {
                (Get-Content -LiteralPath $_.FullName) | Where-Object { $_ -notmatch 'https?://' } | Set-Content -LiteralPath $_.FullName
            }
            $d = Invoke-NymiDiagnosis -KspPath $terminal.KspPath -LogPath $terminal.LogPath -WarningAction SilentlyContinue
            $d.NesUri | Should -BeNullOrEmpty
            $d.NesUriSource | Should -Be 'none'
            $d.StatusLine | Should -Match ' nes=none stage=untested '
        }
    }

    Context '-Demo' {
        It 'diagnoses a generated broken terminal and removes it' {
            $before = @(Get-ChildItem ([System.IO.Path]::GetTempPath()) -Filter 'nymidiag-demo-*' -Directory -ErrorAction SilentlyContinue).Count
            $d = Invoke-NymiDiagnosis -Demo -TimeoutSec 5 -WarningAction SilentlyContinue
            $d.VerdictId | Should -Be 'NEA_CERTS_NOT_RETRIEVED_TCP_BLOCKED'
            $d.KspCertificates | Should -Be 8
            @(Get-ChildItem ([System.IO.Path]::GetTempPath()) -Filter 'nymidiag-demo-*' -Directory -ErrorAction SilentlyContinue).Count | Should -Be $before
        }
    }

    # Test-Json arrived in PowerShell 6.1; under Windows PowerShell 5.1 the
    # same report is validated by the PowerShell 7 run of this suite.
    Context '-Raw' -Skip:(-not (Get-Command Test-Json -ErrorAction SilentlyContinue)) {
        It 'returns the JSON report, valid against the committed schema' {
            $terminal = New-Terminal 'not-retrieved'
            $json = Invoke-NymiDiagnosis -NesUri $terminal.NesUri -KspPath $terminal.KspPath -LogPath $terminal.LogPath -TimeoutSec 5 -Raw
            $json | Should -BeOfType [string]
            Test-Json -Json $json -SchemaFile (Join-Path $IncludeRoot 'nymidiag.diagnose.schema.json') | Should -BeTrue
            ($json | ConvertFrom-Json).data.verdict.id | Should -Be 'NEA_CERTS_NOT_RETRIEVED_TCP_BLOCKED'
        }
    }
}
