# Search-NymiLog and Get-NymiDiagnosticRule on the sample logs in
# tests/data/logs (synthesised from the documented formats; dated 2024).
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    Import-Module $ManifestPath -Force
    $logs = Join-Path $RepoRoot 'tests/data/logs'
    $rules = Join-Path $RepoRoot 'tests/data/rules'
    $since = [datetime]::new(2024, 1, 1, 0, 0, 0, [System.DateTimeKind]::Utc)
}

Describe 'Search-NymiLog' {
    BeforeAll {
        $before = Get-TreeSnapshot $logs
        $scan = Search-NymiLog -Path $logs -Since $since
    }

    AfterAll {
        Compare-Object $before (Get-TreeSnapshot $logs) | Should -BeNullOrEmpty
    }

    It 'finds the signatures of each log kind' {
        $ids = @($scan.Hits | ForEach-Object RuleId)
        foreach ($id in 'LOG_TOKEN_REQUEST_FAILED', 'LOG_CERT_CHAIN_NOT_TRUSTED', 'LOG_OBJECT_NOT_FOUND',
            'LOG_NEA_CERTS_NOT_RETRIEVED', 'LOG_NES_CONNECTION_MISSING', 'LOG_NEA_MISSING_CERTS',
            'IIS_KERBEROS_FAILURE', 'FIREWALL_DROP_NES') {
            $ids | Should -Contain $id
        }
        $scan.NothingMatched | Should -BeFalse
        $scan.FilesRead | Should -Be 4
    }

    It 'returns typed hits with UTC times and remediation' {
        $hit = $scan.Hits | Where-Object RuleId -EQ 'LOG_NEA_CERTS_NOT_RETRIEVED'
        $hit.PSObject.TypeNames[0] | Should -Be 'NymiDiag.LogHit'
        $hit.Count | Should -BeOfType [int]
        $hit.FirstSeen | Should -BeOfType [datetime]
        $hit.FirstSeen.Kind | Should -Be ([System.DateTimeKind]::Utc)
        $hit.Remediation | Should -Not -BeNullOrEmpty
        @($hit.Locations)[0] | Should -Match 'WGSS_Nymi\.log:\d+$'
    }

    It 'takes files from Get-ChildItem through the pipeline in one scan' {
        $piped = Get-ChildItem -LiteralPath $logs -File | Search-NymiLog -Since $since
        $piped.FilesRead | Should -Be 4
        @($piped.Hits).Count | Should -Be @($scan.Hits).Count
    }

    It 'filters IIS records by client address' {
        $one = Search-NymiLog -Path (Join-Path $logs 'u_ex240502.log') -Since $since -ClientAddress 10.30.4.77
        $kerberos = $one.Hits | Where-Object RuleId -EQ 'IIS_KERBEROS_FAILURE'
        $kerberos.Count | Should -BeGreaterThan 0
        $none = Search-NymiLog -Path (Join-Path $logs 'u_ex240502.log') -Since $since -ClientAddress 192.0.2.99
        @($none.Hits | Where-Object RuleId -EQ 'IIS_KERBEROS_FAILURE').Count | Should -Be 0
    }

    It 'says plainly when nothing matched, with what was read' {
        # The IIS sample is from 2024: the default window (14 days) excludes
        # every record. (Undated records, as in nymi_api.log, always count.)
        $recent = Search-NymiLog -Path (Join-Path $logs 'u_ex240502.log')
        $recent.NothingMatched | Should -BeTrue
        $recent.Summary | Should -Not -BeNullOrEmpty
        @($recent.Hits).Count | Should -Be 0
    }

    It 'reports a missing file as not scanned' {
        $missing = Search-NymiLog -Path (Join-Path $TestDrive 'no-such.log')
        $missing.FilesRead | Should -Be 0
        ($missing.NotScanned -join ' ') | Should -Match 'not_found'
    }

    It 'reads a UTF-16LE copy with the same counts' {
        $copy = Join-Path $TestDrive 'WGSS_Nymi-utf16.log'
        $text = [System.IO.File]::ReadAllText((Join-Path $logs 'WGSS_Nymi.log'))
        [System.IO.File]::WriteAllText($copy, $text, (New-Object System.Text.UnicodeEncoding($false, $true)))
        $utf8 = Search-NymiLog -Path (Join-Path $logs 'WGSS_Nymi.log') -Since $since
        $utf16 = Search-NymiLog -Path $copy -Since $since
        foreach ($hit in $utf8.Hits) {
            ($utf16.Hits | Where-Object RuleId -EQ $hit.RuleId).Count | Should -Be $hit.Count
        }
    }

    It 'stops with the file, line and reason when a rule pack is bad' {
        { Search-NymiLog -Path $logs -RulePath (Join-Path $rules 'bad-duplicate.toml') } |
            Should -Throw -ErrorId 'NymiDiag.RequestInvalid*'
    }

    It 'validates against include/nymidiag.log_scan.schema.json' -Skip:(-not (Get-Command Test-Json -ErrorAction SilentlyContinue)) {
        $raw = Search-NymiLog -Path $logs -Since $since -Raw
        Test-Json -Json $raw -SchemaFile (Join-Path $IncludeRoot 'nymidiag.log_scan.schema.json') | Should -BeTrue
    }

    It 'shows the hits in its default view' {
        ($scan | Out-String) | Should -Match 'LOG_NEA_CERTS_NOT_RETRIEVED'
    }
}

Describe 'Get-NymiDiagnosticRule' {
    It 'lists the built-in rules the diagnosis relies on' {
        $ids = @(Get-NymiDiagnosticRule | ForEach-Object Id)
        foreach ($id in 'LOG_TOKEN_REQUEST_FAILED', 'LOG_CERT_CHAIN_NOT_TRUSTED', 'LOG_OBJECT_NOT_FOUND',
            'LOG_NEA_CERTS_NOT_RETRIEVED', 'LOG_NO_VISIBLE_DEVICES', 'LOG_NES_CONNECTION_MISSING',
            'LOG_NEA_MISSING_CERTS', 'IIS_KERBEROS_FAILURE', 'IIS_NES_SERVER_ERROR', 'IIS_NES_FORBIDDEN',
            'FIREWALL_DROP_NES') {
            $ids | Should -Contain $id
        }
    }

    It 'gives every rule a severity, remediation and samples' {
        # Helper rules (Reported = false) only feed sequence conditions.
        foreach ($rule in Get-NymiDiagnosticRule | Where-Object Reported) {
            $rule.PSObject.TypeNames[0] | Should -Be 'NymiDiag.LogRule'
            $rule.Severity | Should -BeIn @('info', 'warning', 'error')
            $rule.Remediation | Should -Not -BeNullOrEmpty
            @($rule.PositiveSamples).Count | Should -BeGreaterThan 0
        }
    }

    It 'filters by id with wildcards' {
        @(Get-NymiDiagnosticRule -Id 'IIS_*').Count | Should -BeGreaterOrEqual 3
        @(Get-NymiDiagnosticRule -Id 'IIS_*' | Where-Object Id -NotLike 'IIS_*').Count | Should -Be 0
    }

    It 'decodes the known error codes' {
        $code = Get-NymiDiagnosticRule -ErrorCode | Where-Object Code -EQ '0x8101201c'
        $code.Name | Should -Be 'FMK_E_SECURITY_CERTIFICATECHAINNOTTRUSTED'
    }

    It 'loads a site pack beside the built-in one' {
        $site = @(Get-NymiDiagnosticRule -RulePath (Join-Path $rules 'site.toml') -Id 'SITE_*')
        $site.Count | Should -BeGreaterThan 0
        $site[0].Pack | Should -Not -Be 'nymidiag-default'
    }

    It 'rejects a bad pack with <Name>' -ForEach @(
        @{ Name = 'an invalid regex'; File = 'bad-regex.toml'; Pattern = 'bad-regex.toml:\d+: .*regex' }
        @{ Name = 'a duplicate id'; File = 'bad-duplicate.toml'; Pattern = 'bad-duplicate.toml:\d+: .*' }
        @{ Name = 'no literal'; File = 'bad-no-literal.toml'; Pattern = 'bad-no-literal.toml:\d+: .*' }
    ) {
        $record = $null
        try { Get-NymiDiagnosticRule -RulePath (Join-Path $rules $File) } catch { $record = $_ }
        $record.FullyQualifiedErrorId | Should -BeLike 'NymiDiag.RequestInvalid*'
        $record.Exception.Message | Should -Match $Pattern
    }
}

Describe 'Search-NymiLog address lists' {
    BeforeAll {
        $iis = Join-Path $logs 'u_ex240502.log'
        $firewall = Join-Path $logs 'pfirewall.log'
        function Get-HitCount([object] $Scan, [string] $RuleId) {
            [int](@($Scan.Hits | Where-Object RuleId -EQ $RuleId | ForEach-Object Count) | Measure-Object -Sum).Sum
        }
    }

    It 'IIS: -ClientAddress <Addresses> keeps the Kerberos failures: <Keeps>' -ForEach @(
        @{ Addresses = @('10.30.4.77'); Keeps = $true }
        @{ Addresses = @('192.0.2.99', '10.30.4.77'); Keeps = $true }
        @{ Addresses = @('10.30.9.12', '10.30.4.77'); Keeps = $true }
        @{ Addresses = @('192.0.2.99'); Keeps = $false }
        @{ Addresses = @('192.0.2.99', '192.0.2.98'); Keeps = $false }
    ) {
        $scan = Search-NymiLog -Path $iis -Since $since -ClientAddress $Addresses
        (Get-HitCount $scan 'IIS_KERBEROS_FAILURE' -gt 0) | Should -Be $Keeps
    }

    It 'firewall: -ClientAddress <Addresses> matches either end of a packet: <Keeps>' -ForEach @(
        @{ Addresses = @('10.30.4.77'); Keeps = $true }
        @{ Addresses = @('10.20.0.15'); Keeps = $true }
        @{ Addresses = @('192.0.2.99', '10.30.4.77'); Keeps = $true }
        @{ Addresses = @('192.0.2.99'); Keeps = $false }
        @{ Addresses = @('192.0.2.99', '192.0.2.98'); Keeps = $false }
    ) {
        $scan = Search-NymiLog -Path $firewall -Since $since -ClientAddress $Addresses
        (Get-HitCount $scan 'FIREWALL_DROP_NES' -gt 0) | Should -Be $Keeps
    }

    It 'firewall: -RemoteAddress <Addresses> keeps the drops to NES: <Keeps>' -ForEach @(
        @{ Addresses = @('10.20.0.15'); Keeps = $true }
        @{ Addresses = @('192.0.2.1', '10.20.0.15'); Keeps = $true }
        @{ Addresses = @('192.0.2.1'); Keeps = $false }
        @{ Addresses = @('192.0.2.1', '192.0.2.2'); Keeps = $false }
    ) {
        $scan = Search-NymiLog -Path $firewall -Since $since -RemoteAddress $Addresses
        (Get-HitCount $scan 'FIREWALL_DROP_NES' -gt 0) | Should -Be $Keeps
    }

    It 'a list keeps what each of its addresses keeps' {
        $a = Get-HitCount (Search-NymiLog -Path $iis -Since $since -ClientAddress '10.30.4.77') 'IIS_KERBEROS_FAILURE'
        $b = Get-HitCount (Search-NymiLog -Path $iis -Since $since -ClientAddress '10.30.9.12') 'IIS_KERBEROS_FAILURE'
        $both = Get-HitCount (Search-NymiLog -Path $iis -Since $since -ClientAddress '10.30.4.77', '10.30.9.12') 'IIS_KERBEROS_FAILURE'
        $both | Should -BeGreaterOrEqual ([math]::Max($a, $b))
        $both | Should -BeGreaterThan 0
    }
}
