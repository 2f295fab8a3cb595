# Output for people and for spreadsheets: the default views never cut an id
# or split a command, and Export-Csv of every command's objects gives one
# short, readable cell per property.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    Import-Module $ManifestPath -Force

    $script:Diagnosis = Invoke-NymiDiagnosis -Demo -TimeoutSec 5 -WarningAction SilentlyContinue
    $folder = Join-Path $TestDrive 'terminal'
    $script:Terminal = InModuleScope NymiDiag -Parameters @{ Path = $folder } { param($Path) NewNymiDemoTerminal -Path $Path }

    function Get-CsvProblem {
        # Each cell of ConvertTo-Csv that is a type name instead of data, or
        # too long for a spreadsheet cell someone reads.
        param([object[]] $InputObject)
        $rows = @($InputObject | ConvertTo-Csv -NoTypeInformation | ConvertFrom-Csv)
        foreach ($row in $rows) {
            foreach ($cell in $row.PSObject.Properties) {
                $value = [string]$cell.Value
                if ($value -match 'System\.Object\[\]|System\.String\[\]|System\.Collections|@\{') { '{0}: {1}' -f $cell.Name, $value }
                elseif ($value.Length -gt 2000) { '{0}: {1} characters' -f $cell.Name, $value.Length }
            }
        }
    }

    function Get-CommandLine {
        # The lines of $Text that hold $Command, joined again where the view
        # broke it with PowerShell's line continuation (' `').
        param([string] $Text, [string] $Command)
        $lines = $Text -split "\r?\n"
        for ($i = 0; $i -lt $lines.Count; $i++) {
            $first = $Command.Split(' ')[0]
            if ($lines[$i].TrimStart().StartsWith($first)) {
                $joined = $lines[$i].Trim()
                $used = @($lines[$i])
                while ($joined.EndsWith(' `') -and $i + 1 -lt $lines.Count) {
                    $i++
                    $joined = $joined.Substring(0, $joined.Length - 2) + ' ' + $lines[$i].Trim()
                    $used += $lines[$i]
                }
                if ($joined -eq $Command) { return , $used }
            }
        }
        , @()
    }
}

Describe 'the diagnosis view' {
    It 'shows every command of the diagnosis whole at <Width> columns' -ForEach @(@{ Width = 80 }, @{ Width = 120 }) {
        $text = $Diagnosis | Out-String -Width $Width
        $commands = @($Diagnosis.NextSteps | Where-Object Command | ForEach-Object Command)
        $commands.Count | Should -BeGreaterThan 3
        foreach ($command in $commands) {
            $lines = Get-CommandLine -Text $text -Command $command
            $lines.Count | Should -BeGreaterThan 0 -Because "the view shows $command"
            foreach ($line in $lines) {
                $line.Length | Should -BeLessThan $Width -Because 'a line the formatter does not wrap'
            }
            # A command that fits is on one line of its own.
            if ($command.Length -le 70) { $lines.Count | Should -Be 1 }
        }
    }

    It 'breaks a long command only before a parameter' {
        $text = $Diagnosis | Out-String -Width 80
        $long = @($Diagnosis.NextSteps | Where-Object { $_.Command -and $_.Command.Length -gt 100 })[0].Command
        $lines = Get-CommandLine -Text $text -Command $long
        $lines.Count | Should -BeGreaterThan 1
        foreach ($line in $lines[1..($lines.Count - 1)]) { $line.TrimStart() | Should -Match '^-[A-Za-z]+ ' }
    }

    It 'shows the verdict, every evidence finding and the status line ids whole at 80 columns' {
        $text = $Diagnosis | Out-String -Width 80
        $ids = @($Diagnosis.VerdictId) + @($Diagnosis.Evidence | ForEach-Object Finding) + @($Diagnosis.StatusLine -split '[ ,=]' | Where-Object { $_ -cmatch '^[A-Z][A-Z0-9]+(_[A-Z0-9]+)+$' })
        foreach ($id in $ids) { $text | Should -Match ('(?<![A-Z0-9_])' + [regex]::Escape($id) + '(?![A-Z0-9_])') }
        foreach ($line in $text -split "\r?\n") { $line.Length | Should -BeLessThan 80 }
    }

    It 'shows the next steps alone with their commands' {
        $text = $Diagnosis.NextSteps | Out-String -Width 80
        foreach ($command in @($Diagnosis.NextSteps | Where-Object Command | ForEach-Object Command)) {
            (Get-CommandLine -Text $text -Command $command).Count | Should -BeGreaterThan 0
        }
    }
}

Describe 'the tables' {
    It 'shows several terminals one line each with the whole verdict in 120 columns' {
        $other = [PSCustomObject]@{
            PSTypeName = 'NymiDiag.Diagnosis'; ComputerName = 'TERMINAL-0042'; Status = 'ISSUE'; VerdictId = $Diagnosis.VerdictId
            KspCertificates = 8; KspExpected = 20; StartedUtc = $Diagnosis.StartedUtc; NesUri = $Diagnosis.NesUri
        }
        $text = @($Diagnosis, $other) | Format-Table | Out-String -Width 120
        $rows = @($text -split "\r?\n" | Where-Object { $_ -match $Diagnosis.VerdictId })
        $rows.Count | Should -Be 2
        $rows[1] | Should -Match 'TERMINAL-0042\s+ISSUE\s+NEA_CERTS_NOT_RETRIEVED_TCP_BLOCKED\s+8/20\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+127\.0\.0\.1:\d+$'
        (@($Diagnosis) | Format-Table -View Fleet | Out-String -Width 80) | Should -Match 'NEA_CERTS_NOT_RETRIEVED_TCP_BLOCKED'
    }

    It 'never cuts a finding id at 80 columns' {
        $text = $Diagnosis.Findings | Out-String -Width 80
        foreach ($id in @($Diagnosis.Findings | ForEach-Object Id)) { $text | Should -Match ('(?m)^\S+\s+' + [regex]::Escape($id) + '\s') }
    }

    It 'never cuts the id of a log rule at 80 columns' {
        $rules = @(Get-NymiDiagnosticRule)
        $longest = $rules | Sort-Object { $_.Id.Length } -Descending | Select-Object -First 1
        ($rules | Out-String -Width 80) | Should -Match ([regex]::Escape($longest.Id) + '\s')
    }

    It 'shows the finding ids of a store one per line, whole' {
        $store = @((Get-NymiNeaCertificate -Path $Terminal.KspPath -Summary -WarningAction SilentlyContinue).Stores)[0]
        $text = $store | Out-String -Width 80
        foreach ($id in @($store.FindingIds)) { $text | Should -Match ([regex]::Escape($id)) }
    }
}

Describe 'Export-Csv of <Name>' -ForEach @(
    @{ Name = 'a diagnosis'; Make = { $Diagnosis } }
    @{ Name = 'Get-NymiNeaCertificate -Summary'; Make = { Get-NymiNeaCertificate -Path $Terminal.KspPath -Summary -WarningAction SilentlyContinue } }
    @{ Name = 'the stores of Get-NymiNeaCertificate -Summary'; Make = { (Get-NymiNeaCertificate -Path $Terminal.KspPath -Summary -WarningAction SilentlyContinue).Stores } }
    @{ Name = 'Get-NymiNeaCertificate'; Make = { Get-NymiNeaCertificate -Path $Terminal.KspPath -WarningAction SilentlyContinue } }
    @{ Name = 'Search-NymiLog'; Make = { Search-NymiLog -Path $Terminal.LogPath } }
    @{ Name = 'the hits of Search-NymiLog'; Make = { (Search-NymiLog -Path $Terminal.LogPath).Hits } }
    @{ Name = 'the findings of a diagnosis'; Make = { $Diagnosis.Findings } }
) {
    It 'gives one short readable cell per property' {
        $objects = @(& $Make)
        $objects.Count | Should -BeGreaterThan 0
        @(Get-CsvProblem -InputObject $objects) | Should -BeNullOrEmpty
    }
}

Describe 'Export-Csv of Test-NymiNesConnection' {
    It 'gives one short readable cell per property' {
        $result = Test-NymiNesConnection -Uri $Diagnosis.NesUri -TimeoutSec 3 -WarningAction SilentlyContinue
        @(Get-CsvProblem -InputObject @($result)) | Should -BeNullOrEmpty
    }
}

Describe 'the lists and reports behind the cells' {
    It 'keeps lists as lists for scripts' {
        $Diagnosis.NextSteps.Count | Should -Be @($Diagnosis.NextSteps).Count
        $Diagnosis.NextSteps[0].Order | Should -Be 1
        @($Diagnosis.Findings | Where-Object Id -eq $Diagnosis.VerdictId).Count | Should -Be 1
        $certificate = @(Get-NymiNeaCertificate -Path $Terminal.KspPath -WarningAction SilentlyContinue)[0]
        , $certificate.Files | Should -BeOfType [string[]]
        $certificate.Files[0] | Should -Be $certificate.FileName
    }

    It 'names the lists by their ids in a cell' {
        $row = $Diagnosis | ConvertTo-Csv -NoTypeInformation | ConvertFrom-Csv
        $row.Findings | Should -Be ((@($Diagnosis.Findings) | ForEach-Object Id) -join ', ')
        $row.Evidence | Should -Match ([regex]::Escape(@($Diagnosis.Evidence)[0].Finding))
        $row.NextSteps | Should -Match '^1\. '
    }

    It 'keeps the JSON report out of the columns but available' {
        $row = $Diagnosis | ConvertTo-Csv -NoTypeInformation | ConvertFrom-Csv
        $row.PSObject.Properties.Name | Should -Not -Contain 'Json'
        ($Diagnosis | Format-List * | Out-String) | Should -Not -Match '"capability"'
        $Diagnosis.Json | Should -BeLike '{*'
        $Diagnosis.ToJson() | Should -BeExactly $Diagnosis.Json
        $Diagnosis.PSObject.Properties['Json'].Value | Should -BeExactly $Diagnosis.Json
        (ConvertFrom-Json $Diagnosis.ToJson()).data.verdict.id | Should -Be $Diagnosis.VerdictId
        $Diagnosis.Report.data.verdict.id | Should -Be $Diagnosis.VerdictId
    }

    It 'carries the computer name' {
        $Diagnosis.ComputerName | Should -Not -BeNullOrEmpty
        $Diagnosis.ComputerName | Should -Be ([string]$Diagnosis.Report.context.host)
    }
}
