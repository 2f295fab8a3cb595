# NewNymiDemoTerminal (private): the sample terminal for the demo, generated
# with .NET only, read back through the library like a real terminal.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    Import-Module $ManifestPath -Force

    function Test-ContainsAscii {
        # Whether $Bytes contain $Text as ASCII (a private key in PEM would).
        param([byte[]] $Bytes, [string] $Text)
        $latin = [System.Text.Encoding]::GetEncoding('iso-8859-1').GetString($Bytes)
        $latin.Contains($Text)
    }
}

Describe 'NewNymiDemoTerminal -Scenario not-retrieved' {
    BeforeAll {
        # A parent with a neighbour file, to prove nothing outside -Path is
        # written; called with a relative path from an empty location.
        $parent = Join-Path $TestDrive 'not-retrieved'
        New-Item -ItemType Directory -Path $parent | Out-Null
        Set-Content -LiteralPath (Join-Path $parent 'neighbour.txt') -Value 'left alone'
        $target = Join-Path $parent 'terminal'
        $existedBefore = Test-Path -LiteralPath $target
        $parentBefore = Get-TreeSnapshot $parent
        Push-Location $parent
        try {
            $terminal = InModuleScope NymiDiag { NewNymiDemoTerminal -Path 'terminal' }
        }
        finally { Pop-Location }
        $files = @(Get-ChildItem -LiteralPath $terminal.KspPath -File)
    }

    It 'creates the folder fresh and returns where everything is' {
        $existedBefore | Should -BeFalse
        $terminal.Path | Should -Be (Get-Item -LiteralPath $target).FullName
        $terminal.Scenario | Should -Be 'not-retrieved'
        $terminal.KspPath | Should -Be ([System.IO.Path]::Combine($terminal.Path, 'NSL', 'demo', 'ksp'))
        $terminal.LogPath | Should -Be ([System.IO.Path]::Combine($terminal.Path, 'logs'))
        Test-Path -LiteralPath $terminal.KspPath -PathType Container | Should -BeTrue
    }

    It 'writes nothing outside -Path' {
        $prefix = $terminal.Path + [System.IO.Path]::DirectorySeparatorChar
        $outside = @(Get-TreeSnapshot $parent | Where-Object { -not $_.StartsWith($prefix) })
        Compare-Object $parentBefore $outside | Should -BeNullOrEmpty
        @(Get-ChildItem -LiteralPath $terminal.Path -Name | Sort-Object) | Should -Be @('logs', 'NSL')
        @(Get-ChildItem -LiteralPath $terminal.LogPath -Name | Sort-Object) | Should -Be @('nymi_api.log', 'WGSS_Nymi.log')
    }

    It 'defaults the NES URL to a closed loopback port' {
        $terminal.NesUri | Should -Match '^https://127\.0\.0\.1:\d+/nes$'
        ([uri]$terminal.NesUri).Port | Should -BeGreaterThan 0
    }

    It 'writes exactly 8 certificate files' {
        $files.Count | Should -Be 8
    }

    It 'writes only public certificates: self-signed end entities, no private key' {
        foreach ($file in $files) {
            $bytes = [System.IO.File]::ReadAllBytes($file.FullName)
            $file.Length | Should -BeGreaterThan 200
            $file.Length | Should -BeLessThan 2000
            Test-ContainsAscii -Bytes $bytes -Text 'PRIVATE KEY' | Should -BeFalse
            $bytes[0] | Should -Be 0x30 -Because 'the files are DER'
            $cert = New-Object System.Security.Cryptography.X509Certificates.X509Certificate2 (, $bytes)
            try {
                $cert.HasPrivateKey | Should -BeFalse
                $cert.Subject | Should -Be $cert.Issuer
                $ca = @($cert.Extensions | Where-Object { $_.Oid.Value -eq '2.5.29.19' -and $_.CertificateAuthority })
                $ca.Count | Should -Be 0
                $cert.NotBefore.ToUniversalTime() | Should -BeLessThan ([datetime]::UtcNow.AddHours(-23))
                $cert.NotAfter.ToUniversalTime() | Should -BeGreaterThan ([datetime]::UtcNow.AddDays(360))
            }
            finally { $cert.Dispose() }
        }
    }

    It 'is seen by the library as 8 local and 0 NES certificates, never retrieved' {
        $inventory = Get-NymiNeaCertificate -Path $terminal.KspPath -Summary -WarningAction SilentlyContinue
        $store = @($inventory.Stores)[0]
        $store.Certificates | Should -Be 8
        $store.Local | Should -Be 8
        $store.Nes | Should -Be 0
        $store.ChainBroken | Should -Be 0
        $missing = @($inventory.Findings | Where-Object Id -EQ 'NEA_CERTS_MISSING')
        $missing.Count | Should -Be 1
        $missing[0].Evidence.nes_never_retrieved | Should -BeTrue
        @($inventory.Findings | Where-Object { $_.Id -ne 'NEA_CERTS_MISSING' -and $_.Severity -ne 'info' }) | Should -BeNullOrEmpty
    }

    It 'writes logs with the failure signatures inside the default scan window' {
        $scan = Search-NymiLog -Path $terminal.LogPath
        $ids = @($scan.Hits | ForEach-Object RuleId)
        foreach ($id in 'LOG_TOKEN_REQUEST_FAILED', 'LOG_CERT_CHAIN_NOT_TRUSTED', 'LOG_NEA_CERTS_NOT_RETRIEVED',
            'LOG_NES_CONNECTION_MISSING', 'LOG_OBJECT_NOT_FOUND', 'LOG_NEA_MISSING_CERTS', 'LOG_NEA_CERT_CHAIN_VERIFY_FAILED') {
            $ids | Should -Contain $id
        }
        $ids | Should -Not -Contain 'LOG_NO_VISIBLE_DEVICES'
        $scan.FilesRead | Should -Be 2
        $scan.ParseProblems | Should -Be 0
        $scan.LastRecord | Should -BeLessOrEqual ([datetime]::UtcNow)
        $scan.FirstRecord | Should -BeGreaterThan ([datetime]::UtcNow.AddMinutes(-15))
    }

    It 'names the NES URL in both logs' {
        $wgss = [System.IO.File]::ReadAllText((Join-Path $terminal.LogPath 'WGSS_Nymi.log'))
        $api = [System.IO.File]::ReadAllText((Join-Path $terminal.LogPath 'nymi_api.log'))
        $wgss | Should -Match ('(?m):\(\d\d/\d\d/\d\d [0-9:.]+\):Listener\.cpp :\d{4}: NES URL: ' + [regex]::Escape($terminal.NesUri) + '\r?$')
        $api.Contains("INFO - init nes_url=$($terminal.NesUri)") | Should -BeTrue
        # Both lines are what the log scan takes the NES URL from.
        $seen = @((Search-NymiLog -Path $terminal.LogPath).Hits | Where-Object RuleId -EQ 'LOG_NES_URL_SEEN')
        $seen.Count | Should -Be 1
        @($seen[0].Fields.nes_url).Count | Should -Be 1
        @($seen[0].Fields.nes_url)[0].value | Should -Be $terminal.NesUri
        @($seen[0].Fields.nes_url)[0].count | Should -Be 2
    }

    It 'writes ASCII logs with CRLF line ends' {
        foreach ($name in 'WGSS_Nymi.log', 'nymi_api.log') {
            $bytes = [System.IO.File]::ReadAllBytes((Join-Path $terminal.LogPath $name))
            @($bytes | Where-Object { $_ -gt 0x7F }).Count | Should -Be 0
            $text = [System.Text.Encoding]::ASCII.GetString($bytes)
            ($text -replace "`r`n", '').Contains("`n") | Should -BeFalse
        }
    }

    It 'refuses a folder that is not empty, and leaves it alone' {
        $before = Get-TreeSnapshot $terminal.Path
        $path = $terminal.Path
        { InModuleScope NymiDiag -Parameters @{ Target = $path } { NewNymiDemoTerminal -Path $Target } } |
            Should -Throw -ExpectedMessage '*is not empty*'
        Compare-Object $before (Get-TreeSnapshot $terminal.Path) | Should -BeNullOrEmpty
    }
}

Describe 'NewNymiDemoTerminal -Scenario healthy' {
    BeforeAll {
        $target = Join-Path $TestDrive 'healthy'
        # An existing empty folder is accepted.
        New-Item -ItemType Directory -Path $target | Out-Null
        $terminal = InModuleScope NymiDiag -Parameters @{ Target = $target } {
            NewNymiDemoTerminal -Path $Target -Scenario healthy -NesUri 'https://nes.corp.example/nes'
        }
        $files = @(Get-ChildItem -LiteralPath $terminal.KspPath -File)
    }

    It 'writes 20 public certificate files' {
        $files.Count | Should -Be 20
        foreach ($file in $files) {
            $bytes = [System.IO.File]::ReadAllBytes($file.FullName)
            Test-ContainsAscii -Bytes $bytes -Text 'PRIVATE KEY' | Should -BeFalse
            $cert = New-Object System.Security.Cryptography.X509Certificates.X509Certificate2 (, $bytes)
            try { $cert.HasPrivateKey | Should -BeFalse }
            finally { $cert.Dispose() }
        }
    }

    It 'is seen by the library as 8 local and 12 NES-issued certificates with complete chains' {
        $inventory = Get-NymiNeaCertificate -Path $terminal.KspPath -Summary -WarningAction SilentlyContinue
        $store = @($inventory.Stores)[0]
        $store.Certificates | Should -Be 20
        $store.Local | Should -Be 8
        $store.Nes | Should -Be 12
        $store.Unclassified | Should -Be 0
        $store.ChainBroken | Should -Be 0
        $store.Expiring | Should -Be 0
        @($inventory.Findings | Where-Object Id -EQ 'NEA_CERTS_MISSING') | Should -BeNullOrEmpty
        @($inventory.Findings | Where-Object Severity -NE 'info') | Should -BeNullOrEmpty
        $nes = @($inventory.Certificates | Where-Object Kind -EQ 'nes')
        @($nes | Where-Object IsCA).Count | Should -Be 2
        @($nes | Where-Object ClassificationRule -EQ 'issued_by_ca').Count | Should -Be 12
    }

    It 'writes logs without failure signatures, naming the given NES URL' {
        $scan = Search-NymiLog -Path $terminal.LogPath
        @($scan.Hits | Where-Object { $_.Severity -eq 'error' -or $_.Severity -eq 'warning' }) | Should -BeNullOrEmpty
        # Only the info rules that record the NES URL fire: any URL, and
        # the URL on the NES line.
        @($scan.Hits | ForEach-Object RuleId | Sort-Object) | Should -Be @('LOG_NES_URL_CONFIGURED', 'LOG_NES_URL_SEEN')
        $scan.FilesRead | Should -Be 2
        $scan.ParseProblems | Should -Be 0
        [System.IO.File]::ReadAllText((Join-Path $terminal.LogPath 'WGSS_Nymi.log')).Contains('NES URL: https://nes.corp.example/nes') | Should -BeTrue
        $api = [System.IO.File]::ReadAllText((Join-Path $terminal.LogPath 'nymi_api.log'))
        $api.Contains('INFO - init nes_url=https://nes.corp.example/nes') | Should -BeTrue
        $api.Contains('"status":0') | Should -BeTrue
    }
}
