# ConvertFrom-NymiStatusLine: the library's reader against the lines the
# library, the host scripts' ERROR writer and a fleet's mangling produce.
# Lines are built by code, many variants per class.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    Import-Module $ManifestPath -Force

    function Get-ErrorLine {
        # NewNymiErrorLine of the host scripts' shared block, in a scope of
        # its own (the block sets the host scripts' preferences).
        param([string] $Code, [string] $NesUri, [string] $Detail, [string] $Site)
        $bootstrap = Join-Path $RepoRoot 'powershell/HostShared/Bootstrap.ps1'
        & { param($Path, $Code, $NesUri, $Detail, $Site) . $Path; NewNymiErrorLine -Code $Code -NesUri $NesUri -Detail $Detail -Site $Site } $bootstrap $Code $NesUri $Detail $Site
    }
}

Describe 'ConvertFrom-NymiStatusLine' {
    It 'reads the ERROR lines of the host scripts, Windows paths and all' {
        $details = @(
            'C:\ProgramData\NymiDiag\config.json: NesUri: not an absolute URL'
            'no NymiDiag module under C:\Program Files\WindowsPowerShell\Modules'
            '\\server\share\x=1;y=2'
            'a=b=c'
            ('caf' + [char]0xE9 + ' ' + ('x' * 3000))
        )
        $uris = @('', 'https://nes.corp.example/nes', 'nes.corp.example:8443', 'https://[::1]:9443/x', 'not a url')
        $sites = @('', 'WARD-3', 'Pflege S' + [char]0xFC + 'd')
        $n = 0
        foreach ($detail in $details) {
            foreach ($uri in $uris) {
                foreach ($site in $sites) {
                    $n++
                    $line = Get-ErrorLine -Code 'CONFIG_INVALID' -NesUri $uri -Detail $detail -Site $site
                    $r = ConvertFrom-NymiStatusLine $line
                    $r.ParseStatus | Should -Be 'ok' -Because "$line ($($r.ParseProblem))"
                    $r.Status | Should -Be 'ERROR'
                    $r.Code | Should -Be 'CONFIG_INVALID'
                    $r.Version | Should -Be 1
                    $r.KspFound | Should -BeNullOrEmpty
                    $r.KspExpected | Should -Be 20
                    $r.Detail | Should -Not -BeNullOrEmpty
                    $line | Should -BeLike ('* detail=' + $r.Detail)
                    if ($site) { $r.Site | Should -Not -BeNullOrEmpty } else { $r.Site | Should -BeNullOrEmpty }
                    $r.Line | Should -BeExactly $line
                }
            }
        }
        $n | Should -Be 125
    }

    It 'reads the diagnosis line of the demo terminal with the diagnosis''s own facts' {
        $d = Invoke-NymiDiagnosis -Demo -WarningAction SilentlyContinue
        $r = ConvertFrom-NymiStatusLine $d.StatusLine
        $r.ParseStatus | Should -Be 'ok'
        $r.Version | Should -Be 1
        $r.Code | Should -BeExactly ([string]$d.VerdictId)
        $r.Line | Should -BeExactly ([string]$d.StatusLine)
        $d.StatusLine | Should -Match ' expiry=(\d{4}-\d\d-\d\d|none) '
        if ($r.Expiry) { $r.Expiry.Kind | Should -Be 'Utc' }
    }

    It 'reads lines written before v= as version 0' {
        $r = ConvertFrom-NymiStatusLine 'STATUS=ISSUE code=NEA_CERTS_NOT_RETRIEVED_DNS ksp=8/20 nes=nes:443 stage=dns finding=NES_DNS_FAILED confidence=high logs=none'
        $r.ParseStatus | Should -Be 'ok'
        $r.Version | Should -Be 0
        $r.KspFound | Should -Be 8
        $r.Stage | Should -Be 'dns'
    }

    It 'gives <Want> for <Name>, never an exception' -ForEach @(
        @{ Name = 'null'; Text = $null; Want = 'empty' }
        @{ Name = 'blank'; Text = "  `r`n`t"; Want = 'empty' }
        @{ Name = 'garbage'; Text = 'Hello world'; Want = 'malformed' }
        @{ Name = 'an unknown status'; Text = 'STATUS=MAYBE v=1 code=X'; Want = 'malformed' }
        @{ Name = 'non-ASCII'; Text = 'STATUS=OK v=1 code=HEALTHY site=S' + [char]0xFC + 'd'; Want = 'malformed' }
        @{ Name = 'a bad date'; Text = 'STATUS=OK v=1 code=HEALTHY expiry=2026-02-30'; Want = 'malformed' }
        @{ Name = 'a cut line'; Text = 'ode=HEALTHY ksp=20/20 nes=n:443 stage=none site=W1 logs=none'; Want = 'truncated' }
        @{ Name = 'a later version'; Text = 'STATUS=OK v=7 code=HEALTHY newfield=x'; Want = 'ok' }
    ) {
        $r = ConvertFrom-NymiStatusLine -InputObject $Text
        $r.ParseStatus | Should -Be $Want
        if ($Want -ne 'ok') { $r.ParseProblem | Should -Not -BeNullOrEmpty }
    }

    It 'keeps the fields after the cut of a truncated line' {
        $r = ConvertFrom-NymiStatusLine ('x' * 40 + 'ode=HEALTHY ksp=20/20 nes=n:443 stage=none expiry=2027-01-31 site=W1 logs=none')
        $r.ParseStatus | Should -Be 'truncated'
        $r.Status | Should -BeNullOrEmpty
        $r.KspFound | Should -Be 20
        $r.Site | Should -Be 'W1'
        $r.Expiry | Should -Be (New-Object DateTime (2027, 1, 31, 0, 0, 0, [DateTimeKind]::Utc))
    }

    It 'takes the line from objects: <Name>' -ForEach @(
        @{ Name = 'Output'; Object = [pscustomobject]@{ DeviceName = 'T1'; Output = 'STATUS=OK v=1 code=HEALTHY' } }
        @{ Name = 'a hashtable'; Object = @{ StatusLine = 'STATUS=OK v=1 code=HEALTHY' } }
        @{ Name = 'Intune post output over pre'; Object = [pscustomobject]@{ PreRemediationDetectionScriptOutput = 'STATUS=ISSUE v=1 code=X'; PostRemediationDetectionScriptOutput = 'STATUS=OK v=1 code=HEALTHY' } }
        @{ Name = 'Intune pre when post is empty'; Object = [pscustomobject]@{ PreRemediationDetectionScriptOutput = 'STATUS=OK v=1 code=HEALTHY'; PostRemediationDetectionScriptOutput = '' } }
        @{ Name = 'a multi-line output'; Object = "Transcript`r`nSTATUS=OK v=1 code=HEALTHY`r`n" }
    ) {
        $r = $Object | ConvertFrom-NymiStatusLine
        $r.Code | Should -Be 'HEALTHY'
        $r.ParseStatus | Should -Be 'ok'
    }

    It 'returns one object per input, in order, across batches' {
        $lines = foreach ($i in 1..4999) { 'STATUS=ISSUE v=1 code=C{0} ksp={1}/20' -f $i, ($i % 21) }
        $rows = @($lines | ConvertFrom-NymiStatusLine)
        $rows.Count | Should -Be 4999
        $rows[0].Code | Should -Be 'C1'
        $rows[1999].Code | Should -Be 'C2000'
        $rows[2000].Code | Should -Be 'C2001'
        $rows[4998].Code | Should -Be 'C4999'
        $rows[4998].KspFound | Should -Be (4999 % 21)
    }

    It 'reads an Import-Csv export and writes flat rows with Export-Csv' {
        $csv = Join-Path $TestDrive 'export.csv'
        @(
            [pscustomobject]@{ DeviceName = 'T1'; PreRemediationDetectionScriptOutput = 'STATUS=OK v=1 code=HEALTHY ksp=20/20 expiry=2027-01-02' }
            [pscustomobject]@{ DeviceName = 'T2'; PreRemediationDetectionScriptOutput = 'STATUS=ERROR v=1 code=MODULE_NOT_FOUND ksp=?/20 nes=none stage=none detail=C:\x\y' }
            [pscustomobject]@{ DeviceName = 'T3'; PreRemediationDetectionScriptOutput = '' }
        ) | Export-Csv -LiteralPath $csv -NoTypeInformation
        $rows = @(Import-Csv -LiteralPath $csv | ConvertFrom-NymiStatusLine)
        @($rows | ForEach-Object ParseStatus) | Should -Be @('ok', 'ok', 'empty')
        $rows[1].Detail | Should -BeExactly 'C:\x\y'
        $out = Join-Path $TestDrive 'rows.csv'
        $rows | Export-Csv -LiteralPath $out -NoTypeInformation
        $back = @(Import-Csv -LiteralPath $out)
        $back.Count | Should -Be 3
        $back[0].Code | Should -Be 'HEALTHY'
        $back[0].PSObject.Properties.Name | Should -Contain 'ParseStatus'
    }
}
