# Repair-NymiNeaCertificate against key stores generated for this run and
# the loopback mock NES (tests/mock_nes.rs). The service restart goes
# through the service-control seam, replaced here by a fake that records its
# calls and, in 'refill' mode, copies the healthy store into a temporary copy
# of the local-only store, as the NEA does after a restart. The fixture
# stores themselves are never written.
BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    $manifest = New-NeaFixtureSet
    $mock = Start-MockNes -SlowMs 2000
    $m = $mock.Manifest
    $context = @{
        FixtureRoot = $manifest.root
        ServerPid = [int]$m.pid; CargoPid = $mock.Process.Id; Folder = $mock.Folder; CaFile = $m.ca_file
        Healthy = $m.scenarios.healthy.url; AuthNegotiate = $m.scenarios.auth_negotiate.url; Refused = $m.scenarios.refused.url
    }
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    Import-Module $ManifestPath -Force

    function Set-FakeServiceControl {
        # Mode: 'refill' (copy Source into Target), 'none' (restart, nothing
        # changes) or 'fail' (the restart throws).
        param([string] $Mode, [string] $Source, [string] $Target)
        InModuleScope NymiDiag -Parameters @{ Mode = $Mode; Source = $Source; Target = $Target } {
            param($Mode, $Source, $Target)
            $script:RepairTest = @{ Mode = $Mode; Source = $Source; Target = $Target; Calls = New-Object System.Collections.ArrayList }
            $script:NymiServiceControl = [PSCustomObject]@{
                Find = {
                    param($Pattern)
                    @(
                        [PSCustomObject]@{ Name = 'EamSecSvc'; DisplayName = 'EAM Security Service'; Status = 'Running' }
                        [PSCustomObject]@{ Name = 'NymiAgent'; DisplayName = 'Nymi Agent'; Status = 'Running' }
                    ) | Where-Object { $_.DisplayName -match $Pattern }
                }
                Restart = {
                    param($Name, $TimeoutSec)
                    [void]$script:RepairTest.Calls.Add($Name)
                    if ($script:RepairTest.Mode -eq 'fail') { throw "Service '$Name' cannot be stopped: Access is denied." }
                    if ($script:RepairTest.Mode -eq 'refill') {
                        Copy-Item -Path (Join-Path $script:RepairTest.Source '*') -Destination $script:RepairTest.Target -Force
                    }
                    [PSCustomObject]@{ Name = $Name; DisplayName = 'EAM Security Service'; Status = 'Running' }
                }
                Status = { param($Name) 'Running' }
            }
        }
    }

    function Get-RestartCall {
        InModuleScope NymiDiag { @($script:RepairTest.Calls) }
    }
}

Describe 'Repair-NymiNeaCertificate' -ForEach @($context) {
    BeforeAll {
        $fixtureBefore = Get-TreeSnapshot $FixtureRoot
        $healthyStore = Join-Path $FixtureRoot 'healthy/ksp'
        $localOnlyStore = Join-Path $FixtureRoot 'local-only/ksp'
        $caFile = $CaFile

        function New-LocalOnlyCopy {
            # A private copy of the local-only store (8 certificates).
            $target = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
            $ksp = Join-Path $target 'ksp'
            New-Item -ItemType Directory -Path $ksp | Out-Null
            Copy-Item -Path (Join-Path $localOnlyStore '*') -Destination $ksp
            $ksp
        }
    }

    AfterEach {
        InModuleScope NymiDiag {
            $script:NymiServiceControl = NewNymiServiceControl
            $script:RepairTest = $null
        }
    }

    AfterAll {
        Stop-MockNes -ProcessId $ServerPid -Folder $Folder
        Stop-Process -Id $CargoPid -Force -ErrorAction SilentlyContinue
        # The fixture stores were only read.
        Compare-Object $fixtureBefore (Get-TreeSnapshot $FixtureRoot) | Should -BeNullOrEmpty
        Remove-Item -Recurse -Force -LiteralPath $FixtureRoot -ErrorAction SilentlyContinue
    }

    Context 'NES cannot be reached' {
        BeforeAll {
            $ksp = New-LocalOnlyCopy
            Set-FakeServiceControl -Mode 'refill' -Source $healthyStore -Target $ksp
            $result = Repair-NymiNeaCertificate -NesUri $Refused -KspPath $ksp -TimeoutSec 4 -Confirm:$false -WarningVariable warnings -WarningAction SilentlyContinue
            $calls = Get-RestartCall
        }

        It 'restarts nothing' {
            @($calls).Count | Should -Be 0
            $result.Action | Should -Be 'none'
            $result.Fixed | Should -BeFalse
            $result.NesReachable | Should -BeFalse
        }

        It 'says why, with the failing stage and finding, also as a warning' {
            $result.Reason | Should -Match 'NES is not reachable'
            $result.Reason | Should -Match 'NES_TCP_REFUSED'
            @($result.Findings | ForEach-Object Id) | Should -Contain 'NES_TCP_REFUSED'
            @($warnings).Count | Should -Be 1
            [string]$warnings[0] | Should -Match 'NES_TCP_REFUSED'
        }
    }

    Context '-WhatIf' {
        BeforeAll {
            $ksp = New-LocalOnlyCopy
            Set-FakeServiceControl -Mode 'refill' -Source $healthyStore -Target $ksp
            $snapshot = Get-TreeSnapshot $ksp
            $result = Repair-NymiNeaCertificate -NesUri $Healthy -KspPath $ksp -TrustedRootPath $caFile -TimeoutSec 4 -WaitSec 30 -WhatIf
            $calls = Get-RestartCall
        }

        It 'still counts the store and its findings' {
            $result.Findings.Id | Should -Contain 'NEA_CERTS_MISSING'
        }

        It 'restarts nothing and changes no file' {
            @($calls).Count | Should -Be 0
            Compare-Object $snapshot (Get-TreeSnapshot $ksp) | Should -BeNullOrEmpty
        }

        It 'returns Action whatif with what would happen' {
            $result.Action | Should -Be 'whatif'
            $result.Fixed | Should -BeFalse
            $result.NesReachable | Should -BeTrue
            $result.Before | Should -Be '8/20'
            $result.After | Should -BeNullOrEmpty
            $result.ServiceName | Should -Be 'EamSecSvc'
            $result.Reason | Should -BeLike "Restart service 'EamSecSvc' (EAM Security Service), then count the NEA certificates in '*' every 5 s for up to 30 s until each store holds 20 (now 8/20). No certificate file is changed."
            @($result.KspPath).Count | Should -Be 1
            $result.Reason | Should -BeLike "*'$($result.KspPath[0])'*"
        }

        It 'prints the same text after "What if:"' {
            $module = $ManifestPath
            $command = @"
Import-Module '$module'
& (Get-Module NymiDiag) {
    `$script:NymiServiceControl = [PSCustomObject]@{
        Find = { param(`$Pattern) [PSCustomObject]@{ Name = 'EamSecSvc'; DisplayName = 'EAM Security Service'; Status = 'Running' } }
        Restart = { throw 'must not be called' }
        Status = { 'Running' }
    }
}
`$null = Repair-NymiNeaCertificate -NesUri '$Healthy' -KspPath '$ksp' -TrustedRootPath '$caFile' -TimeoutSec 4 -WaitSec 30 -WhatIf
"@
            $output = @(& $PwshPath -NoProfile -NonInteractive -Command $command) -join "`n"
            $output | Should -Match ([regex]::Escape("What if: Restart service 'EamSecSvc' (EAM Security Service), then count the NEA certificates in '"))
            $output | Should -Match ([regex]::Escape("every 5 s for up to 30 s until each store holds 20 (now 8/20). No certificate file is changed."))
            $output | Should -Not -Match 'must not be called'
            # Only the restart is a change: the reads inside do not print "What if:".
            @($output -split "`n" | Where-Object { $_ -like 'What if:*' }).Count | Should -Be 1
        }
    }

    Context 'NES reachable, the restart refills the store' {
        BeforeAll {
            $ksp = New-LocalOnlyCopy
            Set-FakeServiceControl -Mode 'refill' -Source $healthyStore -Target $ksp
            $result = Repair-NymiNeaCertificate -NesUri $Healthy -KspPath $ksp -TrustedRootPath $caFile -TimeoutSec 4 -WaitSec 20 -Confirm:$false -WarningVariable warnings
            $calls = Get-RestartCall
        }

        It 'restarts the one matching service once' {
            @($calls) | Should -Be @('EamSecSvc')
            $result.Action | Should -Be 'restarted'
            $result.ServiceName | Should -Be 'EamSecSvc'
            $result.ServiceDisplayName | Should -Be 'EAM Security Service'
        }

        It 'reports 8/20 before and 20/20 after: fixed' {
            $result.Before | Should -Be '8/20'
            $result.After | Should -Be '20/20'
            $result.BeforeCount | Should -Be 8
            $result.AfterCount | Should -Be 20
            $result.Expected | Should -Be 20
            $result.Fixed | Should -BeTrue
            $result.NesReachable | Should -BeTrue
            $result.Reason | Should -Match 'from 8/20 to 20/20'
            @($warnings).Count | Should -Be 0
        }

        It 'does not wait once the store is full' {
            $result.WaitedSec | Should -BeLessThan 10
        }

        It 'is a typed result with a list view' {
            $result.PSObject.TypeNames[0] | Should -Be 'NymiDiag.RepairResult'
            $result.BeforeCount | Should -BeOfType [int]
            $result.Fixed | Should -BeOfType [bool]
            , $result.KspPath | Should -BeOfType [string[]]
            $text = $result | Out-String
            $text | Should -Match 'Action\s+: restarted'
            $text | Should -Match 'Certificates\s+: 8/20 -> 20/20'
            $text | Should -Match 'Service\s+: EamSecSvc \(EAM Security Service\)'
        }
    }

    Context 'NES reachable, the store never refills' {
        BeforeAll {
            $ksp = New-LocalOnlyCopy
            Set-FakeServiceControl -Mode 'none'
            $result = Repair-NymiNeaCertificate -NesUri $Healthy -KspPath $ksp -TrustedRootPath $caFile -TimeoutSec 4 -WaitSec 2 -Confirm:$false -WarningVariable warnings -WarningAction SilentlyContinue
            $calls = Get-RestartCall
        }

        It 'restarts, waits -WaitSec and reports not fixed' {
            @($calls) | Should -Be @('EamSecSvc')
            $result.Action | Should -Be 'restarted'
            $result.Fixed | Should -BeFalse
            $result.Before | Should -Be '8/20'
            $result.After | Should -Be '8/20'
            $result.WaitedSec | Should -BeGreaterOrEqual 2
            $result.WaitedSec | Should -BeLessThan 10
            $result.Reason | Should -Match 'hold 8/20'
            @($warnings).Count | Should -Be 1
        }
    }

    Context 'the restart fails' {
        BeforeAll {
            $ksp = New-LocalOnlyCopy
            Set-FakeServiceControl -Mode 'fail'
            $thrown = $null
            $result = $null
            try {
                $result = Repair-NymiNeaCertificate -NesUri $Healthy -KspPath $ksp -TrustedRootPath $caFile -TimeoutSec 4 -WaitSec 2 -Confirm:$false -ErrorAction Stop -WarningAction SilentlyContinue
            }
            catch { $thrown = $_ }
            $calls = Get-RestartCall
        }

        It 'does not throw, even with -ErrorAction Stop' {
            $thrown | Should -BeNullOrEmpty
            $result | Should -Not -BeNullOrEmpty
        }

        It 'returns Action failed with the reason' {
            @($calls) | Should -Be @('EamSecSvc')
            $result.Action | Should -Be 'failed'
            $result.Fixed | Should -BeFalse
            $result.Reason | Should -Match "Restarting 'EamSecSvc' failed"
            $result.Reason | Should -Match 'Access is denied'
            $result.After | Should -BeNullOrEmpty
        }
    }

    Context 'other outcomes' {
        It 'counts a 401 offering Negotiate (NES_HTTP_AUTH_REQUIRED) as reachable' {
            $ksp = New-LocalOnlyCopy
            Set-FakeServiceControl -Mode 'refill' -Source $healthyStore -Target $ksp
            $result = Repair-NymiNeaCertificate -NesUri $AuthNegotiate -KspPath $ksp -TrustedRootPath $caFile -TimeoutSec 4 -WaitSec 10 -Confirm:$false
            $result.NesReachable | Should -BeTrue
            $result.Action | Should -Be 'restarted'
            $result.Fixed | Should -BeTrue
        }

        It 'restarts nothing when every store already holds 20 valid certificates' {
            Set-FakeServiceControl -Mode 'none'
            $result = Repair-NymiNeaCertificate -NesUri $Healthy -KspPath $healthyStore -TrustedRootPath $caFile -TimeoutSec 4 -Confirm:$false
            @(Get-RestartCall).Count | Should -Be 0
            $result.Action | Should -Be 'none'
            $result.Fixed | Should -BeTrue
            $result.Before | Should -Be '20/20'
            $result.Reason | Should -Match 'no restart needed'
        }

        It 'fails without restarting when no service matches, or several do' {
            $ksp = New-LocalOnlyCopy
            Set-FakeServiceControl -Mode 'refill' -Source $healthyStore -Target $ksp
            $none = Repair-NymiNeaCertificate -NesUri $Healthy -KspPath $ksp -TrustedRootPath $caFile -TimeoutSec 4 -ServiceDisplayName 'No Such Service' -Confirm:$false -WarningAction SilentlyContinue
            $none.Action | Should -Be 'failed'
            $none.Reason | Should -Match "No service's display name matches 'No Such Service'"
            $several = Repair-NymiNeaCertificate -NesUri $Healthy -KspPath $ksp -TrustedRootPath $caFile -TimeoutSec 4 -ServiceDisplayName 'Service|Agent' -Confirm:$false -WarningAction SilentlyContinue
            $several.Action | Should -Be 'failed'
            $several.Reason | Should -Match 'EamSecSvc: EAM Security Service; NymiAgent: Nymi Agent'
            @(Get-RestartCall).Count | Should -Be 0
        }

        It 'takes NesUri and KspPath from the pipeline (a NymiDiag.Diagnosis)' {
            $ksp = New-LocalOnlyCopy
            Set-FakeServiceControl -Mode 'refill' -Source $healthyStore -Target $ksp
            $diagnosis = [PSCustomObject]@{ PSTypeName = 'NymiDiag.Diagnosis'; VerdictId = 'NEA_CERTS_NOT_RETRIEVED_TCP_BLOCKED'; NesUri = $Refused; KspPath = $ksp }
            $result = $diagnosis | Repair-NymiNeaCertificate -TimeoutSec 4 -Confirm:$false -WarningAction SilentlyContinue
            $result.NesUri | Should -Be $Refused
            $result.Action | Should -Be 'none'
            @(Get-RestartCall).Count | Should -Be 0
        }

        It 'fails with the reason where service control does not apply' -Skip:([System.Environment]::OSVersion.Platform -eq [System.PlatformID]::Win32NT) {
            $ksp = New-LocalOnlyCopy
            $result = Repair-NymiNeaCertificate -NesUri $Healthy -KspPath $ksp -TrustedRootPath $caFile -TimeoutSec 4 -Confirm:$false -WarningAction SilentlyContinue
            $result.Action | Should -Be 'failed'
            $result.Reason | Should -Match 'not applicable'
            $result.Before | Should -Be '8/20'
        }

        It 'is a high-impact command that supports -WhatIf and -Confirm' {
            $command = Get-Command Repair-NymiNeaCertificate
            $command.Parameters.ContainsKey('WhatIf') | Should -BeTrue
            $command.Parameters.ContainsKey('Confirm') | Should -BeTrue
            $binding = $command.ScriptBlock.Attributes | Where-Object { $_ -is [System.Management.Automation.CmdletBindingAttribute] }
            $binding.ConfirmImpact | Should -Be 'High'
        }
    }
}
