# Writing where users can plant links, concurrent report writers, input
# that is not a report, literal and blank paths. Links are symbolic links
# (junctions for folders on Windows); everything is under TestDrive.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    Import-Module $ManifestPath -Force
    Add-Type -AssemblyName System.IO.Compression
    Add-Type -AssemblyName System.IO.Compression.FileSystem
    $IsWindowsHost = [System.Environment]::OSVersion.Platform -eq [System.PlatformID]::Win32NT

    function New-FileLink {
        param([string] $Path, [string] $Target)
        New-Item -ItemType SymbolicLink -Path $Path -Target $Target | Out-Null
    }

    function New-Secret {
        # A file outside the written folders that must never change.
        param([string] $Name)
        $folder = Join-Path $TestDrive 'outside'
        [void][System.IO.Directory]::CreateDirectory($folder)
        $path = Join-Path $folder $Name
        [System.IO.File]::WriteAllText($path, "secret $Name")
        $path
    }

    function Read-ZipEntry {
        param([string] $ZipPath)
        $result = @{}
        $zip = [System.IO.Compression.ZipFile]::OpenRead($ZipPath)
        try {
            foreach ($entry in $zip.Entries) {
                $reader = New-Object System.IO.StreamReader ($entry.Open())
                try { $result[$entry.FullName] = $reader.ReadToEnd() } finally { $reader.Dispose() }
            }
        }
        finally { $zip.Dispose() }
        $result
    }

    function Get-Leftover {
        # Temporary or partial files left in a folder.
        param([string] $Folder)
        @(Get-ChildItem -Force -LiteralPath $Folder | Where-Object { $_.Name -like '*.tmp' -or $_.Name -like '*.partial' })
    }

    $stamp = '2026-11-30 10:00:00,000'
}

Describe 'Save-NymiReport never writes through a link' {
    It 'refuses a folder whose <Where> is a link, and creates nothing there' -ForEach @(
        @{ Where = 'own path'; Below = '' }
        @{ Where = 'parent'; Below = 'sub' }
        @{ Where = 'grandparent'; Below = 'sub/deeper' }
    ) {
        $target = Join-Path $TestDrive ('target-' + [guid]::NewGuid().ToString('N'))
        New-Item -ItemType Directory -Path $target | Out-Null
        $link = Join-Path $TestDrive ('link-' + [guid]::NewGuid().ToString('N'))
        New-FolderLink -Path $link -Target $target
        $folder = $link
        if ($Below) { $folder = Join-Path $link $Below }
        { Save-NymiReport -InputObject @{ a = 1 } -Folder $folder } | Should -Throw '*link*'
        @(Get-ChildItem -Force -LiteralPath $target).Count | Should -Be 0
    }

    It 'never opens a link planted under the name of the report or of its old .partial file' {
        $folder = Join-Path $TestDrive 'planted'
        New-Item -ItemType Directory -Path $folder | Out-Null
        $secret = New-Secret 'planted.txt'
        $now = [datetime]::UtcNow
        # Every name the next seconds could take, also the dangling kind.
        for ($s = 0; $s -le 3; $s++) {
            $name = 'diagnosis-' + $now.AddSeconds($s).ToString('yyyyMMdd-HHmmss', [System.Globalization.CultureInfo]::InvariantCulture) + '.json'
            New-FileLink -Path (Join-Path $folder $name) -Target $secret
            New-FileLink -Path (Join-Path $folder "$name.partial") -Target $secret
            New-FileLink -Path (Join-Path $folder ($name -replace '\.json$', '-1.json')) -Target (Join-Path $TestDrive "outside/dangling-$s")
        }
        $file = Save-NymiReport -InputObject @{ a = 1 } -Folder $folder -Keep 100
        (Get-Item -LiteralPath $file.FullName).Attributes -band [System.IO.FileAttributes]::ReparsePoint | Should -Be 0
        (Get-Content -Raw -LiteralPath $file.FullName | ConvertFrom-Json).a | Should -Be 1
        [System.IO.File]::ReadAllText($secret) | Should -BeExactly 'secret planted.txt'
        @(Get-ChildItem -LiteralPath (Join-Path $TestDrive 'outside') -Filter 'dangling-*').Count | Should -Be 0
        Get-Leftover $folder | Where-Object { -not ($_.Attributes -band [System.IO.FileAttributes]::ReparsePoint) } | Should -BeNullOrEmpty
    }

    It 'rotates a planted link away without touching its target' {
        $folder = Join-Path $TestDrive 'rotate-link'
        New-Item -ItemType Directory -Path $folder | Out-Null
        $secret = New-Secret 'rotated.txt'
        New-FileLink -Path (Join-Path $folder 'diagnosis-20200101-000000.json') -Target $secret
        $null = Save-NymiReport -InputObject @{ a = 1 } -Folder $folder -Keep 1
        Test-Path -LiteralPath (Join-Path $folder 'diagnosis-20200101-000000.json') | Should -BeFalse
        [System.IO.File]::ReadAllText($secret) | Should -BeExactly 'secret rotated.txt'
    }

    It 'refuses a folder path that is a file' {
        $file = Join-Path $TestDrive 'a-file'
        Set-Content -LiteralPath $file -Value 'x'
        { Save-NymiReport -InputObject @{ a = 1 } -Folder $file } | Should -Throw '*not a folder*'
        Get-Content -Raw -LiteralPath $file | Should -Match '^x'
    }
}

Describe 'Save-NymiReport with concurrent writers' {
    BeforeAll {
        function Invoke-ConcurrentSave {
            # $Count Save-NymiReport calls at once in a runspace pool; each
            # returns its file or its error.
            param([string] $Folder, [int] $Count, [int] $Keep)
            $state = [System.Management.Automation.Runspaces.InitialSessionState]::CreateDefault()
            $state.ImportPSModule($ManifestPath)
            $pool = [runspacefactory]::CreateRunspacePool(1, 16, $state, $Host)
            $pool.Open()
            try {
                $jobs = @(for ($i = 1; $i -le $Count; $i++) {
                        $shell = [powershell]::Create()
                        $shell.RunspacePool = $pool
                        [void]$shell.AddScript({
                                param($Folder, $N, $Keep)
                                try { [PSCustomObject]@{ N = $N; Path = (Save-NymiReport -InputObject @{ n = $N; pad = ('x' * 2000) } -Folder $Folder -Keep $Keep).FullName; Error = $null } }
                                catch { [PSCustomObject]@{ N = $N; Path = $null; Error = $_.Exception.Message } }
                            }).AddArgument($Folder).AddArgument($i).AddArgument($Keep)
                        [PSCustomObject]@{ Shell = $shell; Handle = $shell.BeginInvoke() }
                    })
                @(foreach ($job in $jobs) {
                        $job.Shell.EndInvoke($job.Handle)
                        $job.Shell.Dispose()
                    })
            }
            finally { $pool.Dispose() }
        }
    }

    It 'writes all 160 reports, each whole under its own name, and leaves no temporary file' {
        $folder = Join-Path $TestDrive 'concurrent-all'
        $results = Invoke-ConcurrentSave -Folder $folder -Count 160 -Keep 1000
        $results.Count | Should -Be 160
        @($results | Where-Object { $_.Error }) | Should -BeNullOrEmpty
        @($results.Path | Select-Object -Unique).Count | Should -Be 160
        foreach ($result in $results) {
            (Get-Content -Raw -LiteralPath $result.Path | ConvertFrom-Json).n | Should -Be $result.N
        }
        @(Get-ChildItem -LiteralPath $folder -Filter 'diagnosis-*.json').Count | Should -Be 160
        Get-Leftover $folder | Should -BeNullOrEmpty
    }

    It 'keeps the rotation limit with 160 writers at once' {
        $folder = Join-Path $TestDrive 'concurrent-keep'
        $results = Invoke-ConcurrentSave -Folder $folder -Count 160 -Keep 5
        @($results | Where-Object { $_.Error }) | Should -BeNullOrEmpty
        @($results | Where-Object { $_.Path }).Count | Should -Be 160
        $left = @(Get-ChildItem -LiteralPath $folder -Filter 'diagnosis-*.json')
        $left.Count | Should -BeLessOrEqual 5
        $left.Count | Should -BeGreaterThan 0
        Get-Leftover $folder | Should -BeNullOrEmpty
        foreach ($file in $left) { { Get-Content -Raw -LiteralPath $file.FullName | ConvertFrom-Json } | Should -Not -Throw }
    }
}

Describe 'Save-NymiReport refuses input that is not a report' {
    It 'refuses <Case> at once with NymiDiag.NotAReport and writes nothing' -ForEach @(
        @{ Case = 'a FileInfo'; Make = { Get-Item -LiteralPath $ManifestPath } }
        @{ Case = 'a DirectoryInfo'; Make = { Get-Item -LiteralPath $TestDrive } }
        @{ Case = 'the root folder'; Make = { Get-Item -LiteralPath ([System.IO.Path]::GetPathRoot($TestDrive)) } }
        @{ Case = 'a process'; Make = { Get-Process -Id $PID } }
        @{ Case = 'plain text'; Make = { 'hello' } }
        @{ Case = 'a JSON array'; Make = { '[1, 2]' } }
        @{ Case = 'a JSON number'; Make = { '42' } }
        @{ Case = 'an empty string'; Make = { '' } }
        @{ Case = 'blank text'; Make = { '   ' } }
        @{ Case = 'broken JSON'; Make = { '{"a": ' } }
        @{ Case = 'a number'; Make = { 42 } }
        @{ Case = 'a date'; Make = { Get-Date } }
        @{ Case = 'a hashtable holding a FileInfo'; Make = { @{ kind = 'x'; file = (Get-Item -LiteralPath $ManifestPath) } } }
        @{ Case = 'a hashtable holding a DirectoryInfo deep down'; Make = { @{ a = @{ b = @(1, 2, @{ c = (Get-Item -LiteralPath $TestDrive) }) } } } }
        @{ Case = 'an object holding a process'; Make = { [PSCustomObject]@{ p = (Get-Process -Id $PID) } } }
        @{ Case = 'a scriptblock value'; Make = { @{ s = { 'x' } } } }
        @{ Case = 'a record nested 20 deep'; Make = { $r = @{ leaf = 1 }; for ($i = 0; $i -lt 20; $i++) { $r = @{ next = $r } }; $r } }
        @{ Case = 'a record of 200000 values'; Make = { @{ list = (1..200000) } } }
    ) {
        $value = & $Make
        $folder = Join-Path $TestDrive ('refused-' + [guid]::NewGuid().ToString('N'))
        $clock = [System.Diagnostics.Stopwatch]::StartNew()
        { Save-NymiReport -InputObject $value -Folder $folder } | Should -Throw -ErrorId 'NymiDiag.NotAReport,Save-NymiReport'
        { $value | Save-NymiReport -Folder $folder } | Should -Throw -ErrorId 'NymiDiag.NotAReport,Save-NymiReport'
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 60
        Test-Path -LiteralPath $folder | Should -BeFalse
    }

    It 'writes <Case>' -ForEach @(
        @{ Case = 'a diagnosis'; Make = { [PSCustomObject]@{ PSTypeName = 'NymiDiag.Diagnosis'; Json = '{"capability":"diagnose"}' } }; Check = { param($t) $t | Should -BeExactly '{"capability":"diagnose"}' } }
        @{ Case = 'JSON text'; Make = { ' {"a": 1} ' }; Check = { param($t) $t | Should -BeExactly '{"a": 1}' } }
        @{ Case = 'a hashtable'; Make = { @{ a = 1; b = 'x'; c = $true; d = $null } }; Check = { param($t) ($t | ConvertFrom-Json).b | Should -Be 'x' } }
        @{ Case = 'an ordered record with lists and times'; Make = { [ordered]@{ when = [datetime]'2026-01-01'; list = @(1, 'two', 3.5); inner = [ordered]@{ g = [guid]::Empty; v = [version]'1.2' } } }; Check = { param($t) ($t | ConvertFrom-Json).list.Count | Should -Be 3 } }
        @{ Case = 'a plain object'; Make = { [PSCustomObject]@{ kind = 'site'; n = 2 } }; Check = { param($t) ($t | ConvertFrom-Json).kind | Should -Be 'site' } }
        @{ Case = 'a record with a diagnosis'; Make = { @{ diagnosis = [PSCustomObject]@{ PSTypeName = 'NymiDiag.Diagnosis'; Json = '{"n":1.50}' } } }; Check = { param($t) $t | Should -Match '"n":1\.50' } }
    ) {
        $folder = Join-Path $TestDrive ('accepted-' + [guid]::NewGuid().ToString('N'))
        $file = Save-NymiReport -InputObject (& $Make) -Folder $folder
        & $Check (Get-Content -Raw -LiteralPath $file.FullName)
    }
}

Describe 'Literal and blank paths' {
    BeforeAll {
        $names = @('a[1]', '[x]', 'b]', 'c[', '[]', 'd[ab]e')
        if (-not $IsWindowsHost) { $names += @('s*t', 'q?r') }
        $base = Join-Path $TestDrive 'brackets'
        New-Item -ItemType Directory -Path $base | Out-Null
        # Decoys a wildcard reading of 'd[ab]e' or 's*t' would match.
        foreach ($decoy in 'dae', 'dbe', 'sxt', 'qxr') {
            [void][System.IO.Directory]::CreateDirectory((Join-Path $base $decoy))
            [System.IO.File]::WriteAllText((Join-Path $base "$decoy/decoy.log"), "$stamp decoy`r`n")
        }
        foreach ($name in $names) {
            $folder = [System.IO.Directory]::CreateDirectory((Join-Path $base $name)).FullName
            [System.IO.File]::WriteAllText((Join-Path $folder 'nymi_api.log'), "$stamp INFO - hello from $name`r`n")
        }
    }

    It 'Search-NymiLog -LiteralPath reads the folder <_> and nothing else' -ForEach @('a[1]', '[x]', 'b]', 'c[', '[]', 'd[ab]e') {
        $folder = Join-Path $base $_
        $scan = Search-NymiLog -LiteralPath $folder -Raw | ConvertFrom-Json
        @($scan.data.files).Count | Should -Be 1
        [string]@($scan.data.files)[0].path | Should -BeLike '*nymi_api.log'
        [System.IO.Path]::GetFileName([System.IO.Path]::GetDirectoryName([string]@($scan.data.files)[0].path)) | Should -BeExactly $_
    }

    It 'Search-NymiLog -LiteralPath reads a file whose folder has brackets, and the pipeline from Get-ChildItem' {
        $file = Join-Path $base 'a[1]/nymi_api.log'
        @((Search-NymiLog -LiteralPath $file -Raw | ConvertFrom-Json).data.files).Count | Should -Be 1
        $all = Get-ChildItem -LiteralPath $base -Directory | Where-Object { $_.Name -match '[\[\]]' } | Search-NymiLog -Raw | ConvertFrom-Json
        @($all.data.files).Count | Should -Be 6
    }

    It 'Search-NymiLog -Path still reads wildcards' {
        $scan = Search-NymiLog -Path (Join-Path $base 'd[ab]e/*.log') -Raw | ConvertFrom-Json
        @($scan.data.files | ForEach-Object { [System.IO.Path]::GetFileName([string]$_.path) }) | Sort-Object | Should -Be @('decoy.log', 'decoy.log')
    }

    It 'Invoke-NymiDiagnosis -LogPath and -KspPath take literal paths' {
        $ksp = [System.IO.Directory]::CreateDirectory((Join-Path $base 'k[s]p')).FullName
        $diagnosis = Invoke-NymiDiagnosis -LogPath (Join-Path $base 'd[ab]e') -KspPath $ksp -NesUri 'https://127.0.0.1:1/nes' -TimeoutSec 2 -Raw | ConvertFrom-Json
        $text = ConvertTo-Json $diagnosis -Depth 30
        $text | Should -Not -Match 'decoy\.log'
        $text | Should -Match 'k\[s\]p'
    }

    It 'Get-NymiNeaCertificate reads a store with brackets by -Path, -LiteralPath and the pipeline' {
        $ksp = [System.IO.Directory]::CreateDirectory((Join-Path $base 'store[1]/ksp')).FullName
        foreach ($inventory in @(
                (Get-NymiNeaCertificate -Path $ksp -Summary -WarningAction SilentlyContinue),
                (Get-NymiNeaCertificate -LiteralPath $ksp -Summary -WarningAction SilentlyContinue),
                (Get-Item -LiteralPath $ksp | Get-NymiNeaCertificate -Summary -WarningAction SilentlyContinue))) {
            @($inventory.Stores).Count | Should -Be 1
            [string]@($inventory.Stores)[0].Path | Should -BeLike '*store`[1`]*'
        }
    }

    It 'Save-NymiReport and Export-NymiSupportBundle write into folders named with brackets' {
        $reports = Join-Path $base 'reports[2026]'
        $file = Save-NymiReport -InputObject @{ a = 1 } -LiteralPath $reports
        $file.DirectoryName | Should -Be $reports
        $zip = Export-NymiSupportBundle -LiteralPath (Join-Path $base 'out[1]/case[7].zip') -DiagnosisJson '{}' -KspPath (Join-Path $base 'k[s]p') -LogPath (Join-Path $base 'a[1]') -WarningAction SilentlyContinue
        $zip.Name | Should -Be 'case[7].zip'
        (Read-ZipEntry $zip.FullName).Keys | Should -Contain 'logs/nymi_api.log'
    }

    It '<Command> refuses the blank path <Shown>' -ForEach @(
        foreach ($blank in @('', ' ', "`t", '   ')) {
            @{ Command = 'Search-NymiLog -Path'; Blank = $blank; Shown = "'$blank'"; Run = { param($p) Search-NymiLog -Path $p } }
            @{ Command = 'Search-NymiLog -LiteralPath'; Blank = $blank; Shown = "'$blank'"; Run = { param($p) Search-NymiLog -LiteralPath $p } }
            @{ Command = 'Get-NymiNeaCertificate'; Blank = $blank; Shown = "'$blank'"; Run = { param($p) Get-NymiNeaCertificate -Path $p } }
            @{ Command = 'Invoke-NymiDiagnosis -LogPath'; Blank = $blank; Shown = "'$blank'"; Run = { param($p) Invoke-NymiDiagnosis -LogPath $p } }
            @{ Command = 'Invoke-NymiDiagnosis -KspPath'; Blank = $blank; Shown = "'$blank'"; Run = { param($p) Invoke-NymiDiagnosis -KspPath $p } }
            @{ Command = 'Save-NymiReport'; Blank = $blank; Shown = "'$blank'"; Run = { param($p) Save-NymiReport -InputObject @{ a = 1 } -Folder $p } }
            @{ Command = 'Export-NymiSupportBundle'; Blank = $blank; Shown = "'$blank'"; Run = { param($p) Export-NymiSupportBundle -Path $p -DiagnosisJson '{}' } }
        }
    ) {
        Push-Location -LiteralPath (Join-Path $base 'a[1]')
        try { { & $Run $Blank } | Should -Throw -ErrorId 'ParameterArgumentValidationError*' }
        finally { Pop-Location }
        @(Get-ChildItem -Force -LiteralPath (Join-Path $base 'a[1]')).Name | Should -Be @('nymi_api.log')
    }
}

Describe 'Export-NymiSupportBundle and links' {
    BeforeAll {
        $root = Join-Path $TestDrive 'bundle-links'
        $logs = [System.IO.Directory]::CreateDirectory((Join-Path $root 'logs')).FullName
        $inside = [System.IO.Directory]::CreateDirectory((Join-Path $logs 'inner')).FullName
        [System.IO.File]::WriteAllText((Join-Path $logs 'nymi_api.log'), "$stamp INFO - plain log`r`n")
        [System.IO.File]::WriteAllText((Join-Path $inside 'real.log'), "$stamp INFO - inner log`r`n")
        $outsideFolder = [System.IO.Directory]::CreateDirectory((Join-Path $root 'root-only')).FullName
        [System.IO.File]::WriteAllText((Join-Path $outsideFolder 'shadow.log'), "$stamp ROOT-ONLY-CONTENT`r`n")
        # A file link out, a folder link out, a file link that stays inside.
        New-FileLink -Path (Join-Path $logs 'linked-out.log') -Target (Join-Path $outsideFolder 'shadow.log')
        New-FolderLink -Path (Join-Path $logs 'linked-folder') -Target $outsideFolder
        New-FileLink -Path (Join-Path $logs 'linked-in.log') -Target (Join-Path $inside 'real.log')
        $zip = Export-NymiSupportBundle -Path (Join-Path $root 'out/bundle.zip') -DiagnosisJson '{}' -KspPath (Join-Path $root 'none') -LogPath $logs -WarningAction SilentlyContinue -WarningVariable bundleWarnings
        $bundle = Read-ZipEntry $zip.FullName
    }

    It 'copies no log whose link leads outside the scanned folder' {
        foreach ($name in $bundle.Keys) { $bundle[$name] | Should -Not -Match 'ROOT-ONLY-CONTENT' -Because "$name must not hold the linked file" }
        $bundle.Keys | Should -Not -Contain 'logs/linked-out.log'
        $bundle.Keys | Should -Not -Contain 'logs/shadow.log'
    }

    It 'copies the plain logs and a link that stays inside the folder' {
        $bundle['logs/nymi_api.log'] | Should -Match 'plain log'
        $bundle['logs/linked-in.log'] | Should -Match 'inner log'
    }

    It 'does not even scan the log linked outside: log-scan.json says why' {
        $scan = ConvertFrom-Json $bundle['log-scan.json']
        $skipped = @($scan.data.not_scanned | Where-Object { $_.path -match 'linked-out\.log$' })
        $skipped.Count | Should -Be 1
        $skipped[0].reason | Should -Be 'link_outside'
        @($scan.data.files | Where-Object { $_.path -match 'linked-out\.log$' }).Count | Should -Be 0
    }

    It 'refuses a log under a linked folder that leads outside, copies one that stays inside' {
        InModuleScope NymiDiag -Parameters @{ Logs = $logs } {
            # The library checks, with every link resolved; the module
            # only says which scanned folder a log must stay in.
            function Read-Piece {
                [CmdletBinding()]
                param([string] $Path, [string] $Within)
                $request = @{ path = $Path; encoding = 'utf-8' }
                if ($Within) { $request['within'] = $Within }
                InvokeNymiExport -Export 'nymidiag_redact' -Request $request -Cmdlet $PSCmdlet
            }
            GetNymiLogCopyRoot -FilePath (Join-Path $Logs 'linked-out.log') -Roots @($Logs) | Should -Be $Logs
            GetNymiLogCopyRoot -FilePath (Join-Path $Logs 'linked-out.log') -Roots @() | Should -BeNullOrEmpty
            { Read-Piece -Path (Join-Path $Logs 'linked-folder/shadow.log') -Within $Logs } | Should -Throw '*outside the folder*'
            { Read-Piece -Path (Join-Path $Logs 'linked-out.log') -Within $Logs } | Should -Throw '*outside the folder*'
            (Read-Piece -Path (Join-Path $Logs 'linked-in.log') -Within $Logs).data.text | Should -Match 'inner log'
            (Read-Piece -Path (Join-Path $Logs 'inner/real.log') -Within $Logs).data.text | Should -Match 'inner log'
            # A file given itself: its folder is the one read.
            { Read-Piece -Path (Join-Path $Logs 'linked-out.log') } | Should -Throw '*outside*'
            (Read-Piece -Path (Join-Path $Logs 'nymi_api.log')).data.text | Should -Match 'plain log'
        }
    }

    It 'refuses an output folder under a link, writing nothing there' {
        $target = [System.IO.Directory]::CreateDirectory((Join-Path $root 'zip-target')).FullName
        New-FolderLink -Path (Join-Path $root 'zip-link') -Target $target
        { Export-NymiSupportBundle -Path (Join-Path $root 'zip-link/sub/b.zip') -DiagnosisJson '{}' -KspPath $target -LogPath $logs -WarningAction SilentlyContinue } |
            Should -Throw -ErrorId 'NymiDiag.BundleFolderRefused,Export-NymiSupportBundle'
        { Export-NymiSupportBundle -Path (Join-Path $root 'zip-link') -DiagnosisJson '{}' -KspPath $target -LogPath $logs -WarningAction SilentlyContinue } |
            Should -Throw -ErrorId 'NymiDiag.BundleFolderRefused,Export-NymiSupportBundle'
        @(Get-ChildItem -Force -LiteralPath $target).Count | Should -Be 0
    }

    It 'does not replace a link with -Force, nor write through it' {
        $secret = New-Secret 'zip-secret.txt'
        $path = Join-Path $root 'out/linked.zip'
        New-FileLink -Path $path -Target $secret
        { Export-NymiSupportBundle -Path $path -Force -DiagnosisJson '{}' -KspPath $logs -LogPath $logs -WarningAction SilentlyContinue } |
            Should -Throw -ErrorId 'NymiDiag.BundleExists,Export-NymiSupportBundle'
        [System.IO.File]::ReadAllText($secret) | Should -BeExactly 'secret zip-secret.txt'
        (Get-Item -LiteralPath $path -Force).Attributes -band [System.IO.FileAttributes]::ReparsePoint | Should -Not -Be 0
        Get-Leftover (Join-Path $root 'out') | Should -BeNullOrEmpty
    }

    It 'replaces a regular file with -Force, leaving no temporary file' {
        $path = Join-Path $root 'out/regular.zip'
        Set-Content -LiteralPath $path -Value 'old'
        $zip = Export-NymiSupportBundle -Path $path -Force -DiagnosisJson '{}' -KspPath $logs -LogPath $logs -WarningAction SilentlyContinue
        (Read-ZipEntry $zip.FullName).Keys | Should -Contain 'README.txt'
        Get-Leftover (Join-Path $root 'out') | Should -BeNullOrEmpty
    }
}

Describe 'Export-NymiSupportBundle redaction in pieces' {
    BeforeAll {
        $root = Join-Path $TestDrive 'pieces'
        $logs = [System.IO.Directory]::CreateDirectory((Join-Path $root 'logs')).FullName
        $keyLines = @(for ($i = 0; $i -lt 60; $i++) { $b = New-Object byte[] 48; (New-Object System.Random (500 + $i)).NextBytes($b); [Convert]::ToBase64String($b) })
        $filler = @(for ($i = 1; $i -le 80; $i++) { "$stamp INFO - filler $i with some padding text to fill pieces" })
        # Several blocks, one cut by the tail, one unterminated at the end.
        $text = "-----BEGIN RSA PRIVATE KEY-----`n" + ($keyLines[0..19] -join "`n") + "`n-----END RSA PRIVATE KEY-----`n" +
            ($filler -join "`n") + "`n$stamp WARN - quoting -----BEGIN EC PRIVATE KEY-----`n" + ($keyLines[20..39] -join "`n") + "`n-----END EC PRIVATE KEY-----`n" +
            ($filler -join "`n") + "`n-----BEGIN ENCRYPTED PRIVATE KEY-----`n" + ($keyLines[40..59] -join "`n") + "`n"
        [System.IO.File]::WriteAllText((Join-Path $logs 'keys.log'), $text)
        $tailText = ($keyLines[0..9] -join "`n") + "`n-----END PRIVATE KEY-----`n" + ($filler -join "`n") + "`n"
        [System.IO.File]::WriteAllText((Join-Path $logs 'tail.log'), ("$stamp head`n-----BEGIN PRIVATE KEY-----`n" + ('A' * 4000) + "`n" + $tailText))
    }

    It 'removes every key block with pieces of <Piece> bytes' -ForEach @(
        @{ Piece = 100 }
        @{ Piece = 333 }
        @{ Piece = 1500 }
        @{ Piece = 524288 }
    ) {
        InModuleScope NymiDiag -Parameters @{ Piece = $Piece } { $script:NymiRedactPieceBytes = $Piece }
        try {
            $path = Join-Path $root "pieces-$Piece.zip"
            $zip = Export-NymiSupportBundle -Path $path -DiagnosisJson '{}' -KspPath $logs -LogPath $logs -MaxLogBytes ([System.Text.Encoding]::UTF8.GetByteCount($tailText) + 20) -WarningAction SilentlyContinue
        }
        finally {
            InModuleScope NymiDiag { $script:NymiRedactPieceBytes = 524288 }
        }
        $bundle = Read-ZipEntry $zip.FullName
        foreach ($name in 'logs/keys.log', 'logs/tail.log') {
            $copy = $bundle[$name]
            foreach ($line in $keyLines) { $copy.Contains($line.Substring(0, 24)) | Should -BeFalse -Because "$name must hold no key line" }
            $copy | Should -Not -Match 'PRIVATE KEY-----'
        }
        $bundle['logs/tail.log'] | Should -Match 'filler 80 '
    }

    It 'keeps log-scan.json whole when a log line quotes a private key header' {
        $folder = [System.IO.Directory]::CreateDirectory((Join-Path $root 'quoted')).FullName
        [System.IO.File]::WriteAllText((Join-Path $folder 'nymi_api.log'), "$stamp ERROR - could not load -----BEGIN RSA PRIVATE KEY----- from store`r`n$stamp ERROR - NEA certificate request failed`r`n")
        $zip = Export-NymiSupportBundle -Path (Join-Path $root 'quoted.zip') -DiagnosisJson '{}' -KspPath $folder -LogPath $folder -WarningAction SilentlyContinue
        $bundle = Read-ZipEntry $zip.FullName
        $scan = ConvertFrom-Json $bundle['log-scan.json']
        $scan.capability | Should -Be 'log_scan'
        @($scan.data.files).Count | Should -Be 1
    }
}

Describe 'Credentials only for a configured NES URL' {
    It 'Test-NymiNesConnection -NoWindowsIdentity skips the windows_auth stage and says why' {
        $connection = Test-NymiNesConnection -Uri 'https://127.0.0.1:1/nes' -TimeoutSec 2 -NoWindowsIdentity
        $stage = @($connection.Stages | Where-Object { $_.Name -eq 'windows_auth' })[0]
        $stage.Status | Should -Be 'skipped'
        $stage.Detail | Should -Match 'configured NES URL'
    }

    It 'Repair-NymiNeaCertificate with NesUriSource <Source> checks NES <How>' -ForEach @(
        @{ Source = 'log'; NoIdentity = $true; How = 'without the Windows identity' }
        @{ Source = 'log_nes_context'; NoIdentity = $true; How = 'without the Windows identity' }
        @{ Source = 'none'; NoIdentity = $true; How = 'without the Windows identity' }
        @{ Source = 'request'; NoIdentity = $false; How = 'with the Windows identity' }
        @{ Source = ''; NoIdentity = $false; How = 'with the Windows identity (given directly)' }
    ) {
        Mock -ModuleName NymiDiag Test-NymiNesConnection {
            [PSCustomObject]@{ Verdict = 'failed'; FindingId = 'NES_TCP_TIMEOUT'; FailedStage = 'tcp'; Summary = 'stub'; Findings = @() }
        }
        $diagnosis = [PSCustomObject]@{ PSTypeName = 'NymiDiag.Diagnosis'; NesUri = 'https://nes.corp.example/nes'; NesUriSource = $Source; KspPath = @() }
        $result = $diagnosis | Repair-NymiNeaCertificate -Confirm:$false -WarningAction SilentlyContinue
        $result.Action | Should -Be 'none'
        if ($NoIdentity) {
            Should -Invoke -ModuleName NymiDiag Test-NymiNesConnection -Times 1 -Exactly -ParameterFilter { $NoWindowsIdentity -eq $true }
        }
        else {
            Should -Invoke -ModuleName NymiDiag Test-NymiNesConnection -Times 1 -Exactly -ParameterFilter { -not $NoWindowsIdentity }
        }
    }
}
