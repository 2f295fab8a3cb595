# Get-NymiNeaCertificate against key stores generated for this run.
BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    $manifest = New-NeaFixtureSet
    $scenarios = @($manifest.scenarios | ForEach-Object {
            @{ Name = $_.name; Path = $_.path; Stores = [int]$_.stores; Certificates = [int]$_.certificates; Expect = @($_.expect); Absent = @($_.absent) }
        })
    $fixtureRoot = $manifest.root
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    Import-Module $ManifestPath -Force
}

# The fixture folder is made during discovery; -ForEach carries its path
# into the run.
Describe 'Get-NymiNeaCertificate' -ForEach @(@{ FixtureRoot = $fixtureRoot }) {
    BeforeAll {
        $root = $FixtureRoot
        $healthy = Join-Path $root 'healthy/ksp'
        $localOnly = Join-Path $root 'local-only/ksp'
        $before = Get-TreeSnapshot $root
    }

    AfterAll {
        # Nothing the inventory read may have changed.
        $after = Get-TreeSnapshot $root
        Compare-Object $before $after | Should -BeNullOrEmpty
        Remove-Item -Recurse -Force -LiteralPath $root -ErrorAction SilentlyContinue
    }

    Context 'scenario <Name>' -ForEach $scenarios {
        BeforeAll {
            $inventory = Get-NymiNeaCertificate -Path $Path -Summary -WarningAction SilentlyContinue
        }

        It 'finds <Stores> store(s), the first with <Certificates> certificates' {
            @($inventory.Stores).Count | Should -Be $Stores
            @($inventory.Stores)[0].Certificates | Should -Be $Certificates
        }

        It 'raises the expected findings' {
            $ids = @($inventory.Findings | ForEach-Object Id)
            foreach ($id in $Expect) { $ids | Should -Contain $id }
            foreach ($id in $Absent) { $ids | Should -Not -Contain $id }
        }
    }

    Context 'objects' {
        BeforeAll {
            $certificates = @(Get-NymiNeaCertificate -Path $healthy)
        }

        It 'returns one typed object per certificate' {
            $certificates.Count | Should -Be 20
            $certificates[0].PSObject.TypeNames[0] | Should -Be 'NymiDiag.NeaCertificate'
        }

        It 'uses real .NET types' {
            $c = $certificates[0]
            $c.NotAfter | Should -BeOfType [datetime]
            $c.NotAfter.Kind | Should -Be ([System.DateTimeKind]::Utc)
            $c.NotBefore | Should -BeOfType [datetime]
            $c.DaysLeft | Should -BeOfType [int]
            $c.SelfSigned | Should -BeOfType [bool]
            , $c.KeyUsage | Should -BeOfType [string[]]
        }

        It 'writes thumbprints in the Windows form' {
            foreach ($c in $certificates) { $c.Thumbprint | Should -MatchExactly '^[0-9A-F]{40}$' }
        }

        It 'counts whole days left consistently with NotAfter' {
            foreach ($c in $certificates) {
                $expected = [math]::Floor(($c.NotAfter - [datetime]::UtcNow).TotalDays)
                [math]::Abs($c.DaysLeft - $expected) | Should -BeLessOrEqual 1
            }
        }

        It 'classifies 8 local and 12 NES-issued certificates, each with its rule' {
            @($certificates | Where-Object Kind -EQ 'local').Count | Should -Be 8
            @($certificates | Where-Object Kind -EQ 'nes').Count | Should -Be 12
            foreach ($c in $certificates) { $c.ClassificationRule | Should -Not -BeNullOrEmpty }
        }

        It 'shows a table grouped by store' {
            $text = $certificates | Out-String
            $text | Should -Match 'Store: '
            $text | Should -Match 'Kind\s+DaysLeft'
        }
    }

    Context 'input' {
        It 'takes files from Get-ChildItem through the pipeline as one store' {
            $inventory = Get-ChildItem -LiteralPath $healthy -File | Get-NymiNeaCertificate -Summary
            @($inventory.Stores).Count | Should -Be 1
            @($inventory.Stores)[0].Certificates | Should -Be 20
        }

        It 'resolves relative paths against the PowerShell location' {
            Push-Location $root
            try { $inventory = Get-NymiNeaCertificate -Path './healthy/ksp' -Summary }
            finally { Pop-Location }
            @($inventory.Stores)[0].Certificates | Should -Be 20
        }

        It 'rejects a negative expected count before calling the library' {
            { Get-NymiNeaCertificate -Path $healthy -ExpectedLocal -1 } | Should -Throw -ErrorId 'ParameterArgumentValidationError*'
        }

        It 'uses the expected counts it is given' {
            $inventory = Get-NymiNeaCertificate -Path $localOnly -ExpectedLocal 8 -ExpectedNes 0 -Summary
            $inventory.ExpectedTotal | Should -Be 8
            @($inventory.Findings | ForEach-Object Id) | Should -Not -Contain 'NEA_CERTS_MISSING'
        }
    }

    Context 'findings' {
        It 'warns about the missing NES certificates and keeps going' {
            $warnings = $null
            $certificates = @(Get-NymiNeaCertificate -Path $localOnly -WarningVariable warnings -WarningAction SilentlyContinue)
            $certificates.Count | Should -Be 8
            ($warnings | Out-String) | Should -Match 'NEA_CERTS_MISSING'
        }

        It 'says in the summary that the NES certificates were never retrieved' {
            $inventory = Get-NymiNeaCertificate -Path $localOnly -Summary
            $missing = $inventory.Findings | Where-Object Id -EQ 'NEA_CERTS_MISSING'
            $missing.Severity | Should -Be 'error'
            $missing.Evidence.nes_never_retrieved | Should -BeTrue
            $inventory.Status | Should -Be 'issue'
            $store = @($inventory.Stores)[0]
            $store.FindingIds | Should -Contain 'NEA_CERTS_MISSING'
            $store.RenewedDaysAgo | Should -BeOfType [int]
            ($inventory | Out-String) | Should -Match '8/20 files \(local 8, NES 0\) active'
        }

        It 'reports a folder that does not exist as a finding, not an error' {
            $inventory = Get-NymiNeaCertificate -Path (Join-Path $root 'no-such-folder') -Summary -ErrorAction Stop
            @($inventory.Findings | ForEach-Object Id) | Should -Contain 'KSP_NOT_FOUND'
        }

        It 'ends an Intune detection script with one status line' {
            $inventory = Get-NymiNeaCertificate -Path $localOnly -Summary -WarningAction SilentlyContinue
            $issue = @($inventory.Findings | Where-Object { $_.Severity -eq 'error' })
            $line = 'STATUS=ISSUE code={0} ksp={1}/{2}' -f $issue[0].Id, @($inventory.Stores)[0].Certificates, $inventory.ExpectedTotal
            $line | Should -Be 'STATUS=ISSUE code=NEA_CERTS_MISSING ksp=8/20'
        }
    }

    Context 'raw report' -Skip:(-not (Get-Command Test-Json -ErrorAction SilentlyContinue)) {
        It 'validates against include/nymidiag.cert_inventory.schema.json' {
            $raw = Get-NymiNeaCertificate -Path (Join-Path $root 'NSL') -Raw
            $raw | Should -BeOfType [string]
            Test-Json -Json $raw -SchemaFile (Join-Path $IncludeRoot 'nymidiag.cert_inventory.schema.json') | Should -BeTrue
        }
    }
}
