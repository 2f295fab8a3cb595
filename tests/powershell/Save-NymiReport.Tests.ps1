# Save-NymiReport: the rotated JSON report files of the module and of the
# Intune and GPO scripts. Everything is under TestDrive; no server is used.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    Import-Module $ManifestPath -Force

    function New-StubDiagnosis {
        # A diagnosis as Invoke-NymiDiagnosis returns it: the JSON text in Json.
        param([string] $Verdict = 'HEALTHY')
        [PSCustomObject]@{
            PSTypeName = 'NymiDiag.Diagnosis'; VerdictId = $Verdict; StatusLine = "STATUS=OK code=$Verdict"
            Json = ('{"capability":"diagnose","data":{"verdict":{"id":"' + $Verdict + '"},"n":1.50}}')
        }
    }

    function Set-Age {
        param([string] $Path, [int] $Days)
        (Get-Item -LiteralPath $Path).LastWriteTimeUtc = [datetime]::UtcNow.AddDays(-$Days)
    }
}

Describe 'Save-NymiReport' {
    It 'writes a diagnosis as the JSON the library returned and returns the file' {
        $folder = Join-Path $TestDrive 'plain'
        $file = New-StubDiagnosis | Save-NymiReport -Folder $folder
        $file | Should -BeOfType ([System.IO.FileInfo])
        $file.Name | Should -Match '^diagnosis-\d{8}-\d{6}\.json$'
        $file.DirectoryName | Should -Be $folder
        Get-Content -Raw -LiteralPath $file.FullName | Should -BeExactly '{"capability":"diagnose","data":{"verdict":{"id":"HEALTHY"},"n":1.50}}'
        @(Get-ChildItem -LiteralPath $folder -Filter '*.partial').Count | Should -Be 0
    }

    It 'embeds a diagnosis held in a hashtable unchanged and keeps the other keys in order' {
        $folder = Join-Path $TestDrive 'record'
        $record = [ordered]@{ kind = 'site.check'; status_line = 'STATUS=OK'; diagnosis = (New-StubDiagnosis 'INCONCLUSIVE'); warnings = @('w1') }
        $file = Save-NymiReport -InputObject $record -Folder $folder -Prefix 'site'
        $file.Name | Should -Match '^site-\d{8}-\d{6}\.json$'
        $text = Get-Content -Raw -LiteralPath $file.FullName
        $text | Should -Match '"n":1\.50'
        $parsed = $text | ConvertFrom-Json
        $parsed.kind | Should -Be 'site.check'
        $parsed.diagnosis.data.verdict.id | Should -Be 'INCONCLUSIVE'
        $parsed.warnings | Should -Be @('w1')
        @($parsed.PSObject.Properties.Name) | Should -Be @('kind', 'status_line', 'diagnosis', 'warnings')
        $record['diagnosis'].VerdictId | Should -Be 'INCONCLUSIVE' -Because 'the caller''s hashtable is not changed'
    }

    It 'writes a second report of the same second under another name' {
        $folder = Join-Path $TestDrive 'same-second'
        $names = @(1..3 | ForEach-Object { (Save-NymiReport -InputObject @{ n = $_ } -Folder $folder).Name })
        @($names | Select-Object -Unique).Count | Should -Be 3
        @(Get-ChildItem -LiteralPath $folder -Filter 'diagnosis-*.json').Count | Should -Be 3
    }

    It 'keeps the newest -Keep reports of its prefix and leaves other files alone' {
        $folder = Join-Path $TestDrive 'rotation'
        New-Item -ItemType Directory -Path $folder | Out-Null
        for ($i = 1; $i -le 5; $i++) {
            $old = Join-Path $folder ('startup-2020010{0}-000000.json' -f $i)
            Set-Content -LiteralPath $old -Value '{"old":true}'
            Set-Age $old (30 - $i)
        }
        Set-Content -LiteralPath (Join-Path $folder 'diagnosis-20200101-000000.json') -Value '{}'
        Set-Content -LiteralPath (Join-Path $folder 'notes.txt') -Value 'left alone'
        $file = Save-NymiReport -InputObject @{ new = $true } -Folder $folder -Prefix startup -Keep 3
        @(Get-ChildItem -LiteralPath $folder -Filter 'startup-*.json').Name | Sort-Object | Should -Be (@('startup-20200104-000000.json', 'startup-20200105-000000.json', $file.Name) | Sort-Object)
        Test-Path -LiteralPath (Join-Path $folder 'diagnosis-20200101-000000.json') | Should -BeTrue
        Test-Path -LiteralPath (Join-Path $folder 'notes.txt') | Should -BeTrue
    }

    It 'keeps the reports within -MaxTotalMB, the new one always' {
        $folder = Join-Path $TestDrive 'size'
        New-Item -ItemType Directory -Path $folder | Out-Null
        $small = Join-Path $folder 'diagnosis-20200102-000000.json'
        [System.IO.File]::WriteAllBytes($small, (New-Object byte[] (100KB)))
        Set-Age $small 1
        $big = Join-Path $folder 'diagnosis-20200101-000000.json'
        [System.IO.File]::WriteAllBytes($big, (New-Object byte[] (1MB)))
        Set-Age $big 2
        $file = Save-NymiReport -InputObject ('{"pad":"' + ('x' * 2MB) + '"}') -Folder $folder -MaxTotalMB 1
        Test-Path -LiteralPath $file.FullName | Should -BeTrue
        $file.Length | Should -BeGreaterThan 2MB
        Test-Path -LiteralPath $small | Should -BeFalse
        Test-Path -LiteralPath $big | Should -BeFalse
        $folder2 = Join-Path $TestDrive 'size2'
        New-Item -ItemType Directory -Path $folder2 | Out-Null
        $small2 = Join-Path $folder2 'diagnosis-20200102-000000.json'
        [System.IO.File]::WriteAllBytes($small2, (New-Object byte[] (100KB)))
        Set-Age $small2 1
        $big2 = Join-Path $folder2 'diagnosis-20200101-000000.json'
        [System.IO.File]::WriteAllBytes($big2, (New-Object byte[] (1MB)))
        Set-Age $big2 2
        $null = Save-NymiReport -InputObject @{ a = 1 } -Folder $folder2 -MaxTotalMB 1
        Test-Path -LiteralPath $small2 | Should -BeTrue
        Test-Path -LiteralPath $big2 | Should -BeFalse
    }

    It 'writes through a new temporary file moved into place, leaving none behind' {
        $folder = Join-Path $TestDrive 'atomic'
        $file = Save-NymiReport -InputObject @{ a = 1 } -Folder $folder
        @(Get-ChildItem -Force -LiteralPath $folder).Name | Should -Be @($file.Name)
        # A leftover .partial or temporary file of an interrupted run is not
        # a report: not counted, not rotated, not returned, not opened.
        Set-Content -LiteralPath (Join-Path $folder 'diagnosis-20200101-000000.json.partial') -Value '{"half'
        Set-Content -LiteralPath (Join-Path $folder '.nymidiag-0123.tmp') -Value '{"half'
        $second = Save-NymiReport -InputObject @{ a = 2 } -Folder $folder -Keep 1
        @(Get-ChildItem -LiteralPath $folder -Filter '*.json').Name | Should -Be @($second.Name)
        (Get-Content -Raw -LiteralPath $second.FullName | ConvertFrom-Json).a | Should -Be 2
        Get-Content -Raw -LiteralPath (Join-Path $folder '.nymidiag-0123.tmp') | Should -Match 'half'
        @(Get-ChildItem -Force -LiteralPath $folder -Filter '.nymidiag-*.tmp').Count | Should -Be 1
    }

    It 'takes a relative -Folder from the current location' {
        Push-Location -LiteralPath $TestDrive
        try { $file = Save-NymiReport -InputObject @{ a = 1 } -Folder 'relative/reports' }
        finally { Pop-Location }
        $file.DirectoryName | Should -Be (Join-Path $TestDrive 'relative/reports')
        Test-Path -LiteralPath $file.FullName | Should -BeTrue
    }

    It 'refuses a folder that is a link and writes nothing through it' {
        $target = Join-Path $TestDrive 'link-target'
        New-Item -ItemType Directory -Path $target | Out-Null
        Set-Content -LiteralPath (Join-Path $target 'diagnosis-20200101-000000.json') -Value '{}'
        $link = Join-Path $TestDrive 'link-folder'
        New-FolderLink -Path $link -Target $target
        { Save-NymiReport -InputObject @{ a = 1 } -Folder $link -Keep 1 } | Should -Throw '*is a link*'
        @(Get-ChildItem -LiteralPath $target).Name | Should -Be @('diagnosis-20200101-000000.json')
    }

    It 'rejects a prefix that is not one word' {
        { Save-NymiReport -InputObject @{ a = 1 } -Folder (Join-Path $TestDrive 'bad') -Prefix '../x' } | Should -Throw
        Test-Path -LiteralPath (Join-Path $TestDrive 'bad') | Should -BeFalse
    }
}
