# Export-NymiSupportBundle on a generated demo terminal seeded with secrets:
# a fake private key in the key store and in the log folder, a password and
# a bearer token in nymi_api.log, and logs larger than the cap.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    Import-Module $ManifestPath -Force
    Add-Type -AssemblyName System.IO.Compression
    Add-Type -AssemblyName System.IO.Compression.FileSystem

    function Read-ZipEntry {
        # Entry name -> @{ Text; Length } of every entry of a zip.
        param([string] $ZipPath)
        $result = @{}
        $zip = [System.IO.Compression.ZipFile]::OpenRead($ZipPath)
        try {
            foreach ($entry in $zip.Entries) {
                $reader = New-Object System.IO.StreamReader ($entry.Open(), (New-Object System.Text.UTF8Encoding $false))
                try { $result[$entry.FullName] = [PSCustomObject]@{ Text = $reader.ReadToEnd(); Length = $entry.Length } }
                finally { $reader.Dispose() }
            }
        }
        finally { $zip.Dispose() }
        $result
    }

    $cap = 65536
    $case = Join-Path $TestDrive 'case'
    $terminal = InModuleScope NymiDiag -Parameters @{ Target = (Join-Path $case 'terminal') } { NewNymiDemoTerminal -Path $Target }

    # A fake key (random bytes, not a key) in PEM armour, in both folders.
    $random = New-Object byte[] 96
    (New-Object System.Random 4711).NextBytes($random)
    $keyBody = [Convert]::ToBase64String($random)
    $pem = "-----BEGIN PRIVATE KEY-----`r`n$($keyBody.Substring(0, 64))`r`n$($keyBody.Substring(64))`r`n-----END PRIVATE KEY-----`r`n"
    [System.IO.File]::WriteAllText((Join-Path $terminal.KspPath 'nea.key'), $pem)
    [System.IO.File]::WriteAllText((Join-Path $terminal.LogPath 'service-key.pem'), "service key follows`r`n$pem")

    # Secrets in nymi_api.log.
    $stamp = [datetime]::Now.AddMinutes(-1).ToString('yyyy-MM-dd HH:mm:ss,fff', [System.Globalization.CultureInfo]::InvariantCulture)
    [System.IO.File]::AppendAllText((Join-Path $terminal.LogPath 'nymi_api.log'),
        "$stamp INFO - retrying init password=hunter2 Authorization: Bearer abcdefgh12345678`r`n")

    # Logs over the cap: UTF-8 and UTF-16 with BOM.
    $lines = New-Object System.Collections.Generic.List[string]
    $lines.Add('FIRST-LINE-MARKER')
    for ($i = 1; $i -le 4000; $i++) { $lines.Add(('line {0:D5} of a long trace with some padding text' -f $i)) }
    $lines.Add('LAST-LINE-MARKER')
    $bigText = ($lines -join "`r`n") + "`r`n"
    [System.IO.File]::WriteAllText((Join-Path $terminal.LogPath 'big.log'), $bigText, (New-Object System.Text.UTF8Encoding $false))
    [System.IO.File]::WriteAllText((Join-Path $terminal.LogPath 'wide.log'), $bigText, (New-Object System.Text.UnicodeEncoding ($false, $true)))

    # A key block that the cap cuts through: the copy starts inside it.
    $keyLines = @(for ($i = 0; $i -lt 40; $i++) { $b = New-Object byte[] 48; (New-Object System.Random (100 + $i)).NextBytes($b); [Convert]::ToBase64String($b) })
    $filler = @(for ($i = 1; $i -le 1060; $i++) { 'filler {0:D5} after the key block, padding to fill the tail' -f $i }) -join "`r`n"
    $cutText = "before the key`r`n-----BEGIN RSA PRIVATE KEY-----`r`n" + ($keyLines -join "`r`n") + "`r`n-----END RSA PRIVATE KEY-----`r`n" + $filler + "`r`n"
    [System.IO.File]::WriteAllText((Join-Path $terminal.LogPath 'cut.log'), $cutText)

    $diagnosis = '{"verdict":{"id":"NEA_CERTS_NOT_RETRIEVED_TCP_BLOCKED"},"note":"-----BEGIN EC PRIVATE KEY-----\nQUJDREVGR0g=\n-----END EC PRIVATE KEY-----"}'
    $before = Get-TreeSnapshot $case

    $out = Join-Path $TestDrive 'out'
    $zip = Export-NymiSupportBundle -Path (Join-Path $out 'bundle.zip') -KspPath $terminal.KspPath -LogPath $terminal.LogPath `
        -DiagnosisJson $diagnosis -MaxLogBytes $cap -InformationVariable information -WarningVariable warnings -WarningAction SilentlyContinue
    $entries = Read-ZipEntry $zip.FullName
}

Describe 'Export-NymiSupportBundle' {
    It 'returns the zip as a FileInfo and names it last on the information stream' {
        $zip | Should -BeOfType [System.IO.FileInfo]
        $zip.FullName | Should -Be (Join-Path $out 'bundle.zip')
        @($information)[-1].MessageData | Should -BeLike "*$($zip.FullName)"
    }

    It 'holds the expected entries and no certificate or key file' {
        $names = @($entries.Keys | Sort-Object)
        foreach ($name in 'diagnosis.json', 'cert-inventory.json', 'log-scan.json', 'environment.json', 'README.txt',
            'logs/WGSS_Nymi.log', 'logs/nymi_api.log', 'logs/big.log', 'logs/wide.log', 'logs/service-key.pem') {
            $names | Should -Contain $name
        }
        @($names | Where-Object { $_ -match '\.(cer|crt|key|pfx|p12|p7b)$' }) | Should -BeNullOrEmpty
        @($names | Where-Object { $_ -notmatch '^(logs/[^/]+|[a-z-]+\.(json|txt))$' }) | Should -BeNullOrEmpty
    }

    It 'stores the given diagnosis and valid JSON documents' {
        foreach ($name in 'diagnosis.json', 'cert-inventory.json', 'log-scan.json', 'environment.json') {
            { ConvertFrom-Json -InputObject $entries[$name].Text } | Should -Not -Throw -Because "$name is JSON"
        }
        (ConvertFrom-Json $entries['diagnosis.json'].Text).verdict.id | Should -Be 'NEA_CERTS_NOT_RETRIEVED_TCP_BLOCKED'
        $inventory = ConvertFrom-Json $entries['cert-inventory.json'].Text
        $inventory.capability | Should -Be 'cert_inventory'
        @($inventory.data.stores)[0].counts.certificates | Should -Be 8
        (ConvertFrom-Json $entries['log-scan.json'].Text).capability | Should -Be 'log_scan'
        $environment = ConvertFrom-Json $entries['environment.json'].Text
        $environment.environment.ComputerName | Should -Not -BeNullOrEmpty
        $environment.describe.capability | Should -Be 'describe'
    }

    It 'contains no private key and no seeded secret in any entry but the given diagnosis' {
        foreach ($name in $entries.Keys) {
            $text = $entries[$name].Text
            # -DiagnosisJson is stored exactly as given (the library's report).
            if ($name -eq 'diagnosis.json') { $text | Should -BeExactly $diagnosis; continue }
            $text.Contains('PRIVATE KEY') | Should -BeFalse -Because "$name must not hold a private key"
            $text.Contains($keyBody.Substring(0, 40)) | Should -BeFalse -Because "$name must not hold the key's body"
            $text.Contains('QUJDREVGR0g=') | Should -BeFalse -Because "$name must not hold the key's body"
            $text.Contains('hunter2') | Should -BeFalse -Because "$name must not hold the password"
            $text.Contains('abcdefgh12345678') | Should -BeFalse -Because "$name must not hold the token"
        }
        $entries['logs/service-key.pem'].Text | Should -Match '^service key follows\r\n(<redacted private key>|\[private key removed by NymiDiag\])'
        $entries['logs/nymi_api.log'].Text | Should -Match 'retrying init'
        $entries['logs/nymi_api.log'].Text | Should -Match '<redacted>'
    }

    It 'removes a key block whose BEGIN line the cap cut away' {
        [System.Text.Encoding]::UTF8.GetByteCount($cutText.Substring($cutText.IndexOf('-----END'))) | Should -BeLessThan $cap -Because 'the cut falls inside the block'
        [System.Text.Encoding]::UTF8.GetByteCount($cutText.Substring($cutText.IndexOf('-----BEGIN'))) | Should -BeGreaterThan $cap
        $copy = $entries['logs/cut.log'].Text
        $copy | Should -Match '^<redacted private key>\r?\nfiller 00001 '
        foreach ($line in $keyLines) { $copy.Contains($line.Substring(0, 32)) | Should -BeFalse }
    }

    It 'copies small logs whole' {
        $original = [System.IO.File]::ReadAllText((Join-Path $terminal.LogPath 'WGSS_Nymi.log'))
        $entries['logs/WGSS_Nymi.log'].Text | Should -BeExactly $original
    }

    It 'keeps only the last -MaxLogBytes of a long <Name>, from a whole line' -ForEach @(
        @{ Name = 'big.log' }
        @{ Name = 'wide.log' }
    ) {
        $copy = $entries["logs/$Name"]
        $copy.Length | Should -BeLessOrEqual $cap
        $copy.Length | Should -BeGreaterThan ($cap / 4)
        $copy.Text | Should -Not -Match 'FIRST-LINE-MARKER'
        $copy.Text | Should -Match "LAST-LINE-MARKER\r\n$"
        $copy.Text | Should -Match '^line \d{5} of a long trace with some padding text\r\n'
    }

    It 'describes the contents, the cuts and the redactions in README.txt' {
        $readme = $entries['README.txt'].Text
        $readme | Should -Match 'diagnosis\.json'
        $readme | Should -Match 'logs/big\.log\s+<-\s+.*big\.log'
        $readme | Should -Match 'last part only'
        $readme | Should -Match 'logs/nymi_api\.log\s+<-\s+\S*nymi_api\.log\r\n\s+\d+ of \d+ bytes kept \(whole file\), [1-9]\d* redaction'
        $readme | Should -Match '-DiagnosisJson <given>'
        $readme.Contains('hunter2') | Should -BeFalse
    }

    It 'changes nothing in the inspected folders' {
        Compare-Object $before (Get-TreeSnapshot $case) | Should -BeNullOrEmpty
    }

    It 'works with relative paths and a folder as -Path' {
        Push-Location $TestDrive
        try {
            New-Item -ItemType Directory -Path 'relative' | Out-Null
            $relative = Export-NymiSupportBundle -Path 'relative' -KspPath 'case/terminal/NSL/demo/ksp' -LogPath 'case/terminal/logs' `
                -DiagnosisJson '{}' -MaxLogBytes $cap -WarningAction SilentlyContinue
        }
        finally { Pop-Location }
        $relative.DirectoryName | Should -Be (Join-Path $TestDrive 'relative')
        $relative.Name | Should -Match ('^NymiDiag-.+-\d{8}-\d{6}\.zip$')
        $relativeEntries = Read-ZipEntry $relative.FullName
        $relativeEntries.Keys | Should -Contain 'logs/nymi_api.log'
        (ConvertFrom-Json $relativeEntries['cert-inventory.json'].Text).data.stores[0].counts.certificates | Should -Be 8
        Compare-Object $before (Get-TreeSnapshot $case) | Should -BeNullOrEmpty
    }

    It 'writes the zip path as the last verbose line' {
        $path = Join-Path $out 'verbose.zip'
        $records = @(Export-NymiSupportBundle -Path $path -KspPath $terminal.KspPath -LogPath $terminal.LogPath -DiagnosisJson '{}' -MaxLogBytes 0 -Verbose 4>&1 |
                Where-Object { $_ -is [System.Management.Automation.VerboseRecord] })
        $records[-1].Message | Should -BeLike "*$path"
        # -MaxLogBytes 0: no log copies.
        @((Read-ZipEntry $path).Keys | Where-Object { $_ -like 'logs/*' }) | Should -BeNullOrEmpty
        # The unredacted log text never goes to the verbose stream.
        @($records | Where-Object { $_.Message -match 'hunter2' }) | Should -BeNullOrEmpty
    }

    It 'refuses to overwrite a zip unless -Force is given' {
        $path = Join-Path $out 'twice.zip'
        Set-Content -LiteralPath $path -Value 'not a zip'
        { Export-NymiSupportBundle -Path $path -KspPath $terminal.KspPath -LogPath $terminal.LogPath -DiagnosisJson '{}' -WarningAction SilentlyContinue } |
            Should -Throw -ErrorId 'NymiDiag.BundleExists,Export-NymiSupportBundle'
        $again = Export-NymiSupportBundle -Path $path -Force -KspPath $terminal.KspPath -LogPath $terminal.LogPath -DiagnosisJson '{}' -WarningAction SilentlyContinue
        (Read-ZipEntry $again.FullName).Keys | Should -Contain 'README.txt'
    }

    It 'runs the diagnosis itself without -DiagnosisJson' {
        $path = Join-Path $out 'diagnosed.zip'
        $bundle = Export-NymiSupportBundle -Path $path -KspPath $terminal.KspPath -LogPath $terminal.LogPath -NesUri $terminal.NesUri -TimeoutSec 5 -MaxLogBytes 0
        $document = ConvertFrom-Json (Read-ZipEntry $bundle.FullName)['diagnosis.json'].Text
        $document.capability | Should -Be 'diagnose'
        $document.data.verdict.id | Should -BeLike 'NEA_CERTS_NOT_RETRIEVED_*'
        $document.data.nes_url.url | Should -Be $terminal.NesUri
        # The 8 certificates and the key file the test put beside them: the
        # store is counted in files, as the Nymi article counts it.
        $document.data.ksp.certificates | Should -Be 9
        Compare-Object $before (Get-TreeSnapshot $case) | Should -BeNullOrEmpty
    }

    It 'still writes the bundle when a part fails, with an error document, a warning and a note' {
        Mock -ModuleName NymiDiag Invoke-NymiDiagnosis { throw 'simulated failure' }
        $path = Join-Path $out 'failed-part.zip'
        $bundle = Export-NymiSupportBundle -Path $path -KspPath $terminal.KspPath -LogPath $terminal.LogPath -MaxLogBytes 0 `
            -WarningVariable partWarnings -WarningAction SilentlyContinue
        $failedEntries = Read-ZipEntry $bundle.FullName
        (ConvertFrom-Json $failedEntries['diagnosis.json'].Text).error.message | Should -Be 'simulated failure'
        (ConvertFrom-Json $failedEntries['cert-inventory.json'].Text).capability | Should -Be 'cert_inventory'
        @($partWarnings) -join ' ' | Should -Match 'diagnosis\.json could not be collected: simulated failure'
        $failedEntries['README.txt'].Text | Should -Match 'diagnosis\.json failed: simulated failure'
    }

    It 'adds .zip to a file name without it' {
        $bundle = Export-NymiSupportBundle -Path (Join-Path $out 'named') -KspPath $terminal.KspPath -LogPath $terminal.LogPath -DiagnosisJson '{}' -MaxLogBytes 0 -WarningAction SilentlyContinue
        $bundle.Name | Should -Be 'named.zip'
    }
}

Describe 'Export-NymiSupportBundle reuses the diagnosis''s part reports' {
    BeforeAll {
        $diagnosed = Invoke-NymiDiagnosis -Raw -KspPath $terminal.KspPath -LogPath $terminal.LogPath -NesUri $terminal.NesUri -TimeoutSec 5
        function Export-Reused([string] $Name, [string] $Diagnosis) {
            Export-NymiSupportBundle -Path (Join-Path $out $Name) -KspPath $terminal.KspPath -LogPath $terminal.LogPath `
                -DiagnosisJson $Diagnosis -MaxLogBytes $cap -WarningAction SilentlyContinue
        }
    }

    It 'stores the inventory and the scan of a given diagnosis byte for byte, running neither again' {
        Mock -ModuleName NymiDiag Get-NymiNeaCertificate { throw 'the inventory ran again' }
        Mock -ModuleName NymiDiag Search-NymiLog { throw 'the scan ran again' }
        Mock -ModuleName NymiDiag InvokeNymiExport { throw "$Export ran again" } -ParameterFilter { $Export -in 'nymidiag_cert_inventory', 'nymidiag_log_scan', 'nymidiag_diagnose' }
        $bundle = Read-ZipEntry (Export-Reused 'reused.zip' $diagnosed).FullName
        $bundle['diagnosis.json'].Text | Should -BeExactly $diagnosed
        foreach ($pair in @(@('cert-inventory.json', 'cert_inventory'), @('log-scan.json', 'log_scan'))) {
            $part = $bundle[$pair[0]].Text
            (ConvertFrom-Json $part).capability | Should -Be $pair[1]
            # Byte for byte: the part's text is a piece of the diagnosis's.
            $diagnosed.Contains('"' + $pair[1] + '":' + $part) | Should -BeTrue -Because "$($pair[0]) is the diagnosis's part as written"
        }
        Should -Invoke -ModuleName NymiDiag Get-NymiNeaCertificate -Times 0 -Exactly
        Should -Invoke -ModuleName NymiDiag Search-NymiLog -Times 0 -Exactly
        Should -Invoke -ModuleName NymiDiag InvokeNymiExport -Times 0 -Exactly -ParameterFilter { $Export -in 'nymidiag_cert_inventory', 'nymidiag_log_scan', 'nymidiag_diagnose' }
        # The logs copied are those the diagnosis's scan read.
        $read = @((ConvertFrom-Json $bundle['log-scan.json'].Text).data.files | ForEach-Object { 'logs/' + [System.IO.Path]::GetFileName($_.path) })
        $read | Should -Not -BeNullOrEmpty
        foreach ($name in $read) { $bundle.Keys | Should -Contain $name }
        $bundle['logs/nymi_api.log'].Text | Should -Match '<redacted>'
        $bundle['logs/nymi_api.log'].Text.Contains('hunter2') | Should -BeFalse
    }

    It 'takes the parts from a run record that holds the diagnosis (a saved Intune report)' {
        Mock -ModuleName NymiDiag Get-NymiNeaCertificate { throw 'the inventory ran again' }
        $record = '{"kind":"detect","status_line":"STATUS=ISSUE","diagnosis":' + $diagnosed + '}'
        $bundle = Read-ZipEntry (Export-Reused 'record.zip' $record).FullName
        $diagnosed.Contains($bundle['cert-inventory.json'].Text) | Should -BeTrue
        Should -Invoke -ModuleName NymiDiag Get-NymiNeaCertificate -Times 0 -Exactly
    }

    It 'runs a part the given diagnosis lacks, and no diagnosis' {
        Mock -ModuleName NymiDiag InvokeNymiExport -ParameterFilter { $Export -eq 'nymidiag_diagnose' } { throw 'the diagnosis ran' }
        $bundle = Read-ZipEntry (Export-Reused 'lacking.zip' '{"capability":"diagnose","data":{"inputs":{"cert_inventory":null}}}').FullName
        (ConvertFrom-Json $bundle['cert-inventory.json'].Text).capability | Should -Be 'cert_inventory'
        (ConvertFrom-Json $bundle['log-scan.json'].Text).capability | Should -Be 'log_scan'
        Should -Invoke -ModuleName NymiDiag InvokeNymiExport -Times 0 -Exactly -ParameterFilter { $Export -eq 'nymidiag_diagnose' }
    }
}

Describe 'Export-NymiSupportBundle -DiagnosisJson' {
    BeforeAll {
        $saved = Join-Path $TestDrive 'saved'
        New-Item -ItemType Directory -Path $saved | Out-Null
        $report = '{"capability":"diagnose","data":{"verdict":{"id":"NEA_CERTS_NOT_RETRIEVED_DNS"}}}'
        function Export-Bundle([string] $Name, [string] $Diagnosis) {
            Export-NymiSupportBundle -Path (Join-Path $out $Name) -KspPath $terminal.KspPath -LogPath $terminal.LogPath `
                -DiagnosisJson $Diagnosis -MaxLogBytes 0 -WarningAction SilentlyContinue
        }
    }

    It 'reads a file given by path (<Case>) and stores its JSON, not the path' -ForEach @(
        @{ Case = 'UTF-8 without BOM'; File = 'plain.json'; Encoding = (New-Object System.Text.UTF8Encoding $false) }
        @{ Case = 'UTF-8 with BOM'; File = 'bom.json'; Encoding = (New-Object System.Text.UTF8Encoding $true) }
        @{ Case = 'UTF-16 LE with BOM'; File = 'wide.json'; Encoding = (New-Object System.Text.UnicodeEncoding ($false, $true)) }
        @{ Case = 'a name with spaces'; File = 'saved report.json'; Encoding = (New-Object System.Text.UTF8Encoding $false) }
    ) {
        $file = Join-Path $saved $File
        [System.IO.File]::WriteAllText($file, $report, $Encoding)
        $bundle = Export-Bundle ("from-file-$([guid]::NewGuid().ToString('N')).zip") $file
        $stored = (Read-ZipEntry $bundle.FullName)['diagnosis.json'].Text
        $stored | Should -Not -Match ([regex]::Escape($file))
        (ConvertFrom-Json $stored).data.verdict.id | Should -Be 'NEA_CERTS_NOT_RETRIEVED_DNS'
    }

    It 'reads a relative path from the current location' {
        [System.IO.File]::WriteAllText((Join-Path $saved 'relative.json'), $report)
        Push-Location $saved
        try { $bundle = Export-Bundle 'from-relative.zip' 'relative.json' }
        finally { Pop-Location }
        (ConvertFrom-Json (Read-ZipEntry $bundle.FullName)['diagnosis.json'].Text).capability | Should -Be 'diagnose'
    }

    It 'stores JSON text as given (<Case>)' -ForEach @(
        @{ Case = 'compact'; Text = '{"capability":"diagnose"}' }
        @{ Case = 'leading white space'; Text = "  `r`n{`n  `"capability`": `"diagnose`"`n}" }
        @{ Case = 'empty object'; Text = '{}' }
    ) {
        $bundle = Export-Bundle ("from-text-$([guid]::NewGuid().ToString('N')).zip") $Text
        (Read-ZipEntry $bundle.FullName)['diagnosis.json'].Text | Should -BeExactly $Text
    }

    It 'refuses <Case> with a clear error and writes no zip' -ForEach @(
        @{ Case = 'a path that does not exist'; Value = 'no-such-report.json'; Message = 'neither JSON text nor the path of an existing file' }
        @{ Case = 'a folder'; Value = '<folder>'; Message = 'neither JSON text nor the path of an existing file' }
        @{ Case = 'plain text'; Value = 'the diagnosis said DNS'; Message = 'neither JSON text nor the path' }
        @{ Case = 'broken JSON text'; Value = '{"capability": '; Message = 'is not a JSON object' }
        @{ Case = 'a JSON array'; Value = '<array file>'; Message = 'is not a JSON object' }
        @{ Case = 'a file that is not JSON'; Value = '<text file>'; Message = 'is not a JSON object' }
        @{ Case = 'an empty file'; Value = '<empty file>'; Message = 'is not a JSON object' }
    ) {
        $arrayFile = Join-Path $saved 'array.json'
        $textFile = Join-Path $saved 'notes.txt'
        $emptyFile = Join-Path $saved 'empty.json'
        [System.IO.File]::WriteAllText($arrayFile, '[{"capability":"diagnose"}]')
        [System.IO.File]::WriteAllText($textFile, "STATUS=ISSUE code=NEA_CERTS_NOT_RETRIEVED_DNS`r`n")
        [System.IO.File]::WriteAllText($emptyFile, '')
        $given = switch ($Value) {
            '<folder>' { $saved }
            '<array file>' { $arrayFile }
            '<text file>' { $textFile }
            '<empty file>' { $emptyFile }
            default { $Value }
        }
        $zipPath = Join-Path $out ("refused-$([guid]::NewGuid().ToString('N')).zip")
        $record = $null
        try { Export-NymiSupportBundle -Path $zipPath -KspPath $terminal.KspPath -LogPath $terminal.LogPath -DiagnosisJson $given -MaxLogBytes 0 }
        catch { $record = $_ }
        $record | Should -Not -BeNullOrEmpty
        $record.FullyQualifiedErrorId | Should -Be 'NymiDiag.DiagnosisJsonInvalid,Export-NymiSupportBundle'
        $record.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $record.Exception.Message | Should -Match ([regex]::Escape($Message))
        Test-Path -LiteralPath $zipPath | Should -BeFalse
    }
}
