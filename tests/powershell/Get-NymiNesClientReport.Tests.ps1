# Get-NymiNesClientReport on IIS logs written by the tests, dated relative
# to now so that the default window (28 days) and renewal period (14 days)
# apply: every state, the parameters, flat rows and the format view.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    Import-Module $ManifestPath -Force

    $fields = 'date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken'

    function New-IisLine {
        param([datetime] $At, [string] $Ip, [int] $Status, [int] $Sub = 0, [long] $Win32 = 0, [string] $User = '-', [string] $Stem = '/NES/api/v1/certificates')
        $inv = [System.Globalization.CultureInfo]::InvariantCulture
        '{0} {1} 10.0.0.10 GET {2} - 443 {3} {4} Nymi+NEA/4.2 - {5} {6} {7} 15' -f $At.ToString('yyyy-MM-dd', $inv), $At.ToString('HH:mm:ss', $inv), $Stem, $User, $Ip, $Status, $Sub, $Win32
    }

    function New-IisLog {
        param([string] $Folder, [string[]] $Lines, [string] $Fields = $fields, [string] $Name = 'u_ex1.log')
        $null = New-Item -ItemType Directory -Force -Path $Folder
        $text = "#Software: Microsoft Internet Information Services 10.0`r`n#Version: 1.0`r`n#Fields: $Fields`r`n" + (($Lines | ForEach-Object { "$_`r`n" }) -join '')
        [System.IO.File]::WriteAllText((Join-Path $Folder $Name), $text, (New-Object System.Text.UTF8Encoding -ArgumentList $false))
    }

    $now = [datetime]::UtcNow
    $today = $now.AddHours(-2)
    $lines = @(
        # OK: the Negotiate challenge, then a success in the same second.
        (New-IisLine -At $today -Ip 10.0.0.1 -Status 401 -Sub 2 -Win32 5)
        (New-IisLine -At $today -Ip 10.0.0.1 -Status 200 -User 'CORP\PC1$')
        # AUTH_FAILING: Kerberos failures after an older success.
        (New-IisLine -At $now.AddDays(-5) -Ip 10.0.0.2 -Status 200 -User 'CORP\PC2$')
        (New-IisLine -At $today -Ip 10.0.0.2 -Status 401 -Sub 2 -Win32 5)
        (New-IisLine -At $today.AddSeconds(1) -Ip 10.0.0.2 -Status 401 -Sub 1 -Win32 2148074254 -User 'CORP\PC2$')
        # NES_ERRORS: a 500 after the last success.
        (New-IisLine -At $now.AddDays(-3) -Ip 10.0.0.3 -Status 200 -User 'CORP\PC3$')
        (New-IisLine -At $today -Ip 10.0.0.3 -Status 500)
        # NOT_RENEWING: the last success 20 days ago.
        (New-IisLine -At $now.AddDays(-20) -Ip 10.0.0.4 -Status 200 -User 'CORP\PC4$')
        # Another site's request from a fifth client.
        (New-IisLine -At $today -Ip 10.0.0.5 -Status 200 -Stem '/intranet/index.aspx')
    )
    $site = Join-Path $TestDrive 'W3SVC1'
    New-IisLog -Folder $site -Lines $lines
}

Describe 'Get-NymiNesClientReport' {
    BeforeAll {
        $rows = @(Get-NymiNesClientReport -Path $site -UriStem '/NES' -ExpectedClient 10.0.0.1, 10.0.0.9)
    }

    It 'gives every state, worst first' {
        @($rows | ForEach-Object { '{0}={1}' -f $_.Client, $_.State }) | Should -Be @(
            '10.0.0.2=AUTH_FAILING', '10.0.0.3=NES_ERRORS', '10.0.0.4=NOT_RENEWING', '10.0.0.9=NEVER_SEEN', '10.0.0.1=OK')
    }

    It 'returns flat NymiDiag.NesClient rows with UTC times' {
        $pc2 = $rows | Where-Object Client -EQ '10.0.0.2'
        $pc2.PSObject.TypeNames[0] | Should -Be 'NymiDiag.NesClient'
        $pc2.Requests | Should -Be 3
        $pc2.Successes | Should -Be 1
        $pc2.Status401 | Should -Be 2
        $pc2.KerberosFailures | Should -Be 1
        $pc2.Status401Detail | Should -Match '401\.1/2148074254 x1'
        $pc2.LastFailureStatus | Should -Be '401.1'
        $pc2.MachineName | Should -Be 'PC2'
        $pc2.LastSuccess | Should -BeOfType [datetime]
        $pc2.LastSuccess.Kind | Should -Be ([System.DateTimeKind]::Utc)
        $pc2.NextStep | Should -Match 'Kerberos'
        $pc2.UserNamesSeen | Should -Be 1
        $pc2.UserNames | Should -BeNullOrEmpty
        foreach ($p in $pc2.PSObject.Properties) {
            if ($null -ne $p.Value) { $p.Value.GetType().IsArray | Should -BeFalse -Because $p.Name }
        }
    }

    It 'marks expected clients and adds the absent ones' {
        ($rows | Where-Object Client -EQ '10.0.0.1').Expected | Should -Be '10.0.0.1'
        $absent = $rows | Where-Object Client -EQ '10.0.0.9'
        $absent.Requests | Should -Be 0
        $absent.AddressSource | Should -Be 'expected'
    }

    It 'leaves out other paths with -UriStem and counts every request without' {
        $rows.Client | Should -Not -Contain '10.0.0.5'
        $all = @(Get-NymiNesClientReport -Path $site)
        ($all | Where-Object Client -EQ '10.0.0.5').State | Should -Be 'OK'
    }

    It 'judges renewal over -RenewalDays' {
        $long = Get-NymiNesClientReport -Path $site -UriStem '/nes' -RenewalDays 30
        ($long | Where-Object Client -EQ '10.0.0.4').State | Should -Be 'OK'
    }

    It 'limits the window with -Since and -Until' {
        $recent = @(Get-NymiNesClientReport -Path $site -UriStem '/NES' -Since $now.AddDays(-1))
        $recent.Client | Should -Not -Contain '10.0.0.4'
        $old = @(Get-NymiNesClientReport -Path $site -UriStem '/NES' -Since $now.AddDays(-25) -Until $now.AddDays(-10))
        @($old | ForEach-Object Client) | Should -Be @('10.0.0.4')
        $old[0].State | Should -Be 'OK' -Because 'renewal is judged at -Until'
    }

    It 'matches machine names from a CSV and lists user names with -IncludeUserNames' {
        $csv = Join-Path $TestDrive 'ward.csv'
        "ComputerName,Ward`r`nPC3,3`r`npc4.corp.example,3`r`nPC99,3`r`n" | Set-Content -LiteralPath $csv -Encoding ASCII
        $named = @(Get-NymiNesClientReport -Path $site -UriStem '/NES' -ExpectedClient $csv -IncludeUserNames)
        ($named | Where-Object Client -EQ '10.0.0.3').Expected | Should -Be 'PC3'
        ($named | Where-Object Client -EQ '10.0.0.4').Expected | Should -Be 'pc4.corp.example'
        ($named | Where-Object Client -EQ 'PC99').State | Should -Be 'NEVER_SEEN'
        ($named | Where-Object Client -EQ '10.0.0.3').UserNames | Should -Be 'CORP\PC3$'
    }

    It 'refuses a CSV without an address or name column' {
        $csv = Join-Path $TestDrive 'bad.csv'
        "Ward,Bed`r`n3,7`r`n" | Set-Content -LiteralPath $csv -Encoding ASCII
        { Get-NymiNesClientReport -Path $site -ExpectedClient $csv } | Should -Throw -ErrorId 'NymiDiag.ExpectedClientCsvColumns,Get-NymiNesClientReport'
    }

    It 'exports to CSV one line per client' {
        $out = Join-Path $TestDrive 'rows.csv'
        $rows | Export-Csv -LiteralPath $out -NoTypeInformation
        $back = @(Import-Csv -LiteralPath $out)
        $back.Count | Should -Be $rows.Count
        $back[0].State | Should -Be 'AUTH_FAILING'
        $back[0].Status401Detail | Should -Match '401\.2/5 x1'
    }

    It 'returns the report JSON with -Raw' {
        $json = Get-NymiNesClientReport -Path $site -Raw
        $json | Should -BeOfType [string]
        $report = $json | ConvertFrom-Json
        $report.capability | Should -Be 'nes_clients'
        $report.data.window.renewal_days | Should -Be 14
    }

    It 'shows the rows in a table, worst first' {
        $text = ($rows | Out-String -Width 200)
        $text | Should -Match 'State\s+Client\s+MachineName'
        $text.IndexOf('AUTH_FAILING') | Should -BeLessThan $text.IndexOf('NOT_RENEWING')
    }

    It 'warns which question a missing field leaves open' {
        $folder = Join-Path $TestDrive 'nowin32'
        New-IisLog -Folder $folder -Fields 'date time c-ip cs-uri-stem cs-username sc-status sc-substatus' -Lines @(
            ('{0} 10.0.0.7 /NES/x CORP\PC7$ 401 1' -f $now.AddHours(-1).ToString('yyyy-MM-dd HH:mm:ss', [System.Globalization.CultureInfo]::InvariantCulture)))
        $row = Get-NymiNesClientReport -Path $folder -WarningVariable warned -WarningAction SilentlyContinue
        $row.State | Should -Be 'AUTH_FAILING'
        ($warned -join "`n") | Should -Match 'sc-win32-status: Kerberos failures'
    }

    It 'says which paths it tried when it finds no IIS log' {
        $empty = Join-Path $TestDrive 'empty'
        $null = New-Item -ItemType Directory -Path $empty
        'not a log' | Set-Content -LiteralPath (Join-Path $empty 'readme.txt')
        $none = @(Get-NymiNesClientReport -Path $empty -ExpectedClient 10.0.0.1 -ErrorVariable failed -ErrorAction SilentlyContinue)
        $none.Count | Should -Be 0
        $failed[0].FullyQualifiedErrorId | Should -Match '^NymiDiag\.NoIisLogs'
        $failed[0].Exception.Message | Should -Match ('no IIS logs found; paths tried: .*' + [regex]::Escape('empty'))
    }
}
