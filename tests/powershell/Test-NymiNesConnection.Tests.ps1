# Test-NymiNesConnection against the loopback mock NES (tests/mock_nes.rs):
# every server is on 127.0.0.1 and started by this file.
BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    $mock = Start-MockNes -SlowMs 8000
    $m = $mock.Manifest
    $scenarios = @(foreach ($p in $m.scenarios.PSObject.Properties) {
            @{
                Name = $p.Name; Url = $p.Value.url; Proxy = $p.Value.proxy
                Stage = $p.Value.expected_stage; Finding = $p.Value.expected_finding; CaFile = $m.ca_file
            }
        })
    $server = @{
        ServerPid = [int]$m.pid; CargoPid = $mock.Process.Id; Folder = $mock.Folder; CaFile = $m.ca_file
        Healthy = $m.scenarios.healthy.url; Refused = $m.scenarios.refused.url
    }
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    Import-Module $ManifestPath -Force
    # The tests must not depend on this machine's proxy variables.
    $savedProxy = $env:HTTPS_PROXY
    $env:HTTPS_PROXY = $null
}

AfterAll {
    $env:HTTPS_PROXY = $savedProxy
}

Describe 'Test-NymiNesConnection' -ForEach @($server) {
    AfterAll {
        Stop-MockNes -ProcessId $ServerPid -Folder $Folder
        Stop-Process -Id $CargoPid -Force -ErrorAction SilentlyContinue
    }

    Context 'scenario <Name>' -ForEach $scenarios {
        BeforeAll {
            $arguments = @{ Uri = $Url; TrustedRootPath = $CaFile; NoPlatformRoots = $true; TimeoutSec = 4 }
            if ($Proxy) { $arguments['Proxy'] = $Proxy }
            $result = Test-NymiNesConnection @arguments
        }

        It 'fails at the expected stage with the expected finding' {
            if ($Stage) {
                $result.Verdict | Should -Be 'failed'
                $result.FailedStage | Should -Be $Stage
                $result.FindingId | Should -Be $Finding
            }
            else {
                $result.Verdict | Should -Be 'ok'
                if ($Finding) { @($result.Findings | ForEach-Object Id) | Should -Contain $Finding }
            }
        }

        It 'skips every stage after the failing one' {
            if ($Stage) {
                $names = @($result.Stages | ForEach-Object Name)
                $failedAt = [array]::IndexOf($names, $Stage)
                foreach ($s in @($result.Stages)[($failedAt + 1)..($names.Count - 1)]) {
                    $s.Status | Should -BeIn @('skipped', 'not_applicable')
                }
            }
        }
    }

    Context 'result object' {
        BeforeAll {
            $healthy = $Healthy
            $refused = $Refused
            $ok = Test-NymiNesConnection -Uri $healthy -TrustedRootPath $CaFile -NoPlatformRoots -TimeoutSec 4
        }

        It 'is typed, with typed stages' {
            $ok.PSObject.TypeNames[0] | Should -Be 'NymiDiag.NesConnection'
            $ok.Port | Should -BeOfType [int]
            $ok.Stages[0].PSObject.TypeNames[0] | Should -Be 'NymiDiag.NesStage'
            $ok.Stages[0].Duration | Should -BeOfType [timespan]
        }

        It 'records the chain the server presented' {
            @($ok.PresentedChain).Count | Should -BeGreaterThan 0
            $ok.PresentedChain[0].subject | Should -Match 'localhost'
            $ok.Tls.sni | Should -Be 'localhost'
        }

        It 'reads like a short report' {
            $text = $ok | Out-String
            # Stage, status, finding id ('-' when none), duration.
            $text | Should -Match 'tcp\s+ok\s+-\s+\d+ ms'
            $text | Should -Match 'Verdict\s+: ok'
        }

        It 'says plainly that the Windows identity stage does not apply here' -Skip:([System.Environment]::OSVersion.Platform -eq 'Win32NT') {
            $stage = $ok.Stages | Where-Object Name -EQ 'windows_auth'
            $stage.Status | Should -Be 'not_applicable'
            $stage.Detail | Should -Match 'needs Windows'
        }

        It 'gets NES_PROXY_INTERCEPTS from the library when the WinHTTP proxy would carry the request' {
            # localhost has no dot: '<local>' would bypass it.
            Mock -ModuleName NymiDiag GetNymiWindowsProxy { [PSCustomObject]@{ WinHttpProxy = 'proxy.corp.example:8080'; WinHttpBypass = [string[]]@('*.corp.example') } }
            $carried = Test-NymiNesConnection -Uri $healthy -TrustedRootPath $CaFile -NoPlatformRoots -TimeoutSec 4 -NoWindowsIdentity
            @($carried.Findings | ForEach-Object Id) | Should -Contain 'NES_PROXY_INTERCEPTS'
            $carried.Verdict | Should -Be 'ok'
            $carried.WindowsProxy.WinHttpProxy | Should -Be 'proxy.corp.example:8080'
            Mock -ModuleName NymiDiag GetNymiWindowsProxy { [PSCustomObject]@{ WinHttpProxy = 'proxy.corp.example:8080'; WinHttpBypass = [string[]]@('localhost') } }
            $bypassed = Test-NymiNesConnection -Uri $healthy -TrustedRootPath $CaFile -NoPlatformRoots -TimeoutSec 4 -NoWindowsIdentity
            @($bypassed.Findings | ForEach-Object Id) | Should -Not -Contain 'NES_PROXY_INTERCEPTS'
        }

        It 'lets the library fail an ok verdict on a refused Windows identity' {
            Mock -ModuleName NymiDiag TestNymiIsWindows { $true }
            Mock -ModuleName NymiDiag GetNymiWindowsProxy { $null }
            Mock -ModuleName NymiDiag InvokeNymiIdentityRequest {
                [ordered]@{ url = $Url; identity = 'CORP\TERM01$'; status_code = 401; schemes = [string[]]@('Negotiate'); error_kind = $null; error = $null; duration_ms = 7 }
            }
            $refusedIdentity = Test-NymiNesConnection -Uri $healthy -TrustedRootPath $CaFile -NoPlatformRoots -TimeoutSec 4
            Should -Invoke -ModuleName NymiDiag InvokeNymiIdentityRequest -Times 1 -Exactly
            $refusedIdentity.Verdict | Should -Be 'failed'
            $refusedIdentity.FailedStage | Should -Be 'windows_auth'
            $refusedIdentity.FindingId | Should -Be 'NES_AUTH_FAILED'
            $refusedIdentity.NextStep | Should -Match 'setspn -Q HTTP/localhost'
            ($refusedIdentity.Stages | Where-Object Name -EQ 'windows_auth').Status | Should -Be 'failed'
            # Not counted after a stage that failed: the verdict stays the probe's.
            $closed = Test-NymiNesConnection -Uri $refused -TimeoutSec 4
            $closed.FindingId | Should -Be 'NES_TCP_REFUSED'
            ($closed.Stages | Where-Object Name -EQ 'windows_auth').Status | Should -Be 'skipped'
        }

        It 'skips the Windows identity with -NoWindowsIdentity and says why' {
            $skipped = Test-NymiNesConnection -Uri $healthy -TrustedRootPath $CaFile -NoPlatformRoots -TimeoutSec 4 -NoWindowsIdentity
            $stage = $skipped.Stages | Where-Object Name -EQ 'windows_auth'
            $stage.Status | Should -Be 'skipped'
            $stage.Detail | Should -Match 'NoWindowsIdentity'
        }

        It 'tests several URIs from the pipeline' {
            $results = @($healthy, $refused | Test-NymiNesConnection -TrustedRootPath $CaFile -NoPlatformRoots -TimeoutSec 4)
            $results.Count | Should -Be 2
            $results[0].Verdict | Should -Be 'ok'
            $results[1].FindingId | Should -Be 'NES_TCP_REFUSED'
        }

        It 'returns the JSON report with -Raw' {
            $raw = Test-NymiNesConnection -Uri $refused -TimeoutSec 4 -Raw
            ($raw | ConvertFrom-Json).data.verdict.finding | Should -Be 'NES_TCP_REFUSED'
        }

        It 'validates against include/nymidiag.nes_probe.schema.json' -Skip:(-not (Get-Command Test-Json -ErrorAction SilentlyContinue)) {
            $raw = Test-NymiNesConnection -Uri $healthy -TrustedRootPath $CaFile -NoPlatformRoots -TimeoutSec 4 -Raw
            Test-Json -Json $raw -SchemaFile (Join-Path $IncludeRoot 'nymidiag.nes_probe.schema.json') | Should -BeTrue
        }
    }
}

Describe 'Windows proxy settings' {
    It 'decodes a WinHttpSettings value with a proxy and a bypass list' {
        InModuleScope NymiDiag {
            $proxy = [System.Text.Encoding]::ASCII.GetBytes('proxy.corp.example:8080')
            $bypass = [System.Text.Encoding]::ASCII.GetBytes('*.corp.example;<local>')
            $bytes = [byte[]](@(0x28, 0, 0, 0, 5, 0, 0, 0, 3, 0, 0, 0) + [System.BitConverter]::GetBytes([uint32]$proxy.Length) + $proxy + [System.BitConverter]::GetBytes([uint32]$bypass.Length) + $bypass)
            $settings = ConvertFromNymiWinHttpSettings -Bytes $bytes
            $settings.Direct | Should -BeFalse
            $settings.Proxy | Should -Be 'proxy.corp.example:8080'
            $settings.Bypass | Should -Be @('*.corp.example', '<local>')
        }
    }

    It 'treats direct access, short and corrupt values as no proxy' {
        InModuleScope NymiDiag {
            (ConvertFromNymiWinHttpSettings -Bytes ([byte[]](0x18, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))).Direct | Should -BeTrue
            (ConvertFromNymiWinHttpSettings -Bytes $null).Direct | Should -BeTrue
            (ConvertFromNymiWinHttpSettings -Bytes ([byte[]](1, 2, 3))).Direct | Should -BeTrue
            (ConvertFromNymiWinHttpSettings -Bytes ([byte[]](0x28, 0, 0, 0, 5, 0, 0, 0, 3, 0, 0, 0, 255, 255, 0, 0, 65))).Direct | Should -BeTrue
        }
    }
}
