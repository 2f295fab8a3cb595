# The Intune Remediations scripts (powershell/Intune), run the way Intune
# runs them: a fresh PowerShell process per run, no profile, stdout, stderr
# and the exit code read separately. Terminals are generated demo terminals
# (NewNymiDemoTerminal); the only server is the loopback mock NES this file
# starts. Stand-in modules (New-StubNymiDiagModule) pin down what the scripts
# do with every answer the module can give.
BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    $scripts = @(
        @{ Name = 'Detect-NymiNeaCertificates.ps1'; Path = (Join-Path $RepoRoot 'powershell/Intune/Detect-NymiNeaCertificates.ps1') }
        @{ Name = 'Remediate-NymiNeaCertificates.ps1'; Path = (Join-Path $RepoRoot 'powershell/Intune/Remediate-NymiNeaCertificates.ps1') }
    )
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    Import-Module $ManifestPath -Force
    $DetectScript = Join-Path $RepoRoot 'powershell/Intune/Detect-NymiNeaCertificates.ps1'
    $RemediateScript = Join-Path $RepoRoot 'powershell/Intune/Remediate-NymiNeaCertificates.ps1'
    $OnWindows = [System.Environment]::OSVersion.Platform -eq 'Win32NT'

    function New-DemoTerminal {
        # A generated terminal under TestDrive: 'not-retrieved' (8 local
        # certificates, logs naming a closed loopback port) or 'healthy'.
        param([string] $Scenario = 'not-retrieved', [string] $NesUri)
        $arguments = @{ Path = (Join-Path $TestDrive ('terminal-' + [guid]::NewGuid().ToString('N'))); Scenario = $Scenario }
        if ($NesUri) { $arguments['NesUri'] = $NesUri }
        InModuleScope NymiDiag -Parameters @{ Arguments = $arguments } { param($Arguments) NewNymiDemoTerminal @Arguments }
    }

    function Get-Report {
        # The report files of $Prefix in $Folder, newest first, parsed.
        param([string] $Folder, [string] $Prefix = 'diagnosis')
        @(Get-ChildItem -LiteralPath $Folder -Filter "$Prefix-*.json" |
                Sort-Object LastWriteTimeUtc -Descending |
                ForEach-Object { Get-Content -Raw -LiteralPath $_.FullName | ConvertFrom-Json })
    }

    function Test-IsAscii {
        param([string] $Text)
        -not [regex]::IsMatch($Text, '[^\x00-\x7F]')
    }
}

Describe 'host script <Name>' -ForEach $scripts {
    It 'is under 200 KB, the Intune upload limit' {
        (Get-Item -LiteralPath $Path).Length | Should -BeLessThan 200KB
    }

    It 'is ASCII only, without a byte order mark' {
        $bytes = [System.IO.File]::ReadAllBytes($Path)
        @($bytes | Where-Object { $_ -gt 0x7F }).Count | Should -Be 0
    }

    It 'parses without errors' {
        $errors = $null
        [void][System.Management.Automation.Language.Parser]::ParseFile($Path, [ref]$null, [ref]$errors)
        @($errors) | Should -BeNullOrEmpty
    }

    It 'has a default for every parameter that is not a configured setting (Intune passes none) and never writes to the host' {
        # A configured setting's default is the policy's, the file's or the
        # built-in one (Configuration.ps1), not the param block's.
        $configured = @(InModuleScope NymiDiag { GetNymiSettingSpec | ForEach-Object { $_['Name'] } })
        $ast = [System.Management.Automation.Language.Parser]::ParseFile($Path, [ref]$null, [ref]$null)
        foreach ($parameter in $ast.ParamBlock.Parameters) {
            $isSwitch = $parameter.StaticType -eq [System.Management.Automation.SwitchParameter]
            $name = $parameter.Name.VariablePath.UserPath
            if ($configured -contains $name) { $parameter.DefaultValue | Should -BeNullOrEmpty -Because "$name comes from the configuration"; continue }
            ($isSwitch -or $null -ne $parameter.DefaultValue) | Should -BeTrue -Because "$name needs a default"
            $parameter.Attributes.Extent.Text -join ' ' | Should -Not -Match 'Mandatory'
        }
        (Get-Content -Raw -LiteralPath $Path) | Should -Not -Match '\bWrite-Host\b'
    }

    It 'shares its module and report helpers with the other host scripts, unchanged' {
        $region = '(?s)# region shared host helpers.*# endregion shared host helpers'
        $mine = [regex]::Match((Get-Content -Raw -LiteralPath $Path), $region).Value
        $mine | Should -Not -BeNullOrEmpty
        foreach ($other in @(Get-ChildItem -LiteralPath (Join-Path $RepoRoot 'powershell/Intune'), (Join-Path $RepoRoot 'powershell/Gpo') -Filter '*.ps1')) {
            [regex]::Match((Get-Content -Raw -LiteralPath $other.FullName), $region).Value | Should -BeExactly $mine -Because "$($other.Name) must carry the same region"
        }
    }
}

Describe 'Detect-NymiNeaCertificates.ps1 on a terminal that never got its NES certificates' {
    BeforeAll {
        $terminal = New-DemoTerminal
        $reports = Join-Path $TestDrive 'reports-broken'
        New-Item -ItemType Directory -Path $reports | Out-Null
        # Older reports than KeepReports allows, and files rotation must
        # leave alone.
        $keep = 3
        for ($i = 1; $i -le 5; $i++) {
            $old = Join-Path $reports ('diagnosis-2020010{0}-000000.json' -f $i)
            Set-Content -LiteralPath $old -Value '{"old":true}'
            (Get-Item -LiteralPath $old).LastWriteTimeUtc = [datetime]::UtcNow.AddDays(-30 + $i)
        }
        Set-Content -LiteralPath (Join-Path $reports 'remediation-20200101-000000.json') -Value '{}'
        Set-Content -LiteralPath (Join-Path $reports 'notes.txt') -Value 'left alone'
        # No -NesUri: the URL comes from the logs, as with Intune's defaults.
        $arguments = @('-ModulePath', $ManifestPath, '-KspPath', $terminal.KspPath, '-LogPath', $terminal.LogPath,
            '-ReportFolder', $reports, '-KeepReports', [string]$keep, '-TimeoutSec', '5')
        $first = Invoke-ScriptProcess -Path $DetectScript -Arguments $arguments
        $run = Invoke-ScriptProcess -Path $DetectScript -Arguments $arguments
    }

    It 'exits 1 (the issue is present)' {
        $first.ExitCode | Should -Be 1
        $run.ExitCode | Should -Be 1
    }

    It 'prints exactly one line: the status line with the verdict, the count and the failing stage' {
        $run.Lines.Count | Should -Be 1
        $run.Lines[0] | Should -Match '^STATUS=ISSUE v=1 code=NEA_CERTS_NOT_RETRIEVED_TCP_BLOCKED ksp=8/20 nes=127\.0\.0\.1:\d+ stage=tcp'
        $run.Lines[0] | Should -Match ('nes=127\.0\.0\.1:{0} ' -f ([uri]$terminal.NesUri).Port)
    }

    It 'writes nothing to stderr' {
        $first.StdErr | Should -BeNullOrEmpty
        $run.StdErr | Should -BeNullOrEmpty
    }

    It 'prints ASCII only, at most 2,048 characters' {
        Test-IsAscii $run.StdOut | Should -BeTrue
        $run.Lines[0].Length | Should -BeLessOrEqual 2048
    }

    It 'writes a JSON report that parses, with the status line and the whole diagnosis' {
        $report = (Get-Report $reports)[0]
        $report.kind | Should -Be 'nymidiag.detection'
        $report.status_line | Should -BeExactly $run.Lines[0]
        $report.exit_code | Should -Be 1
        $report.error | Should -BeNullOrEmpty
        $report.diagnosis.capability | Should -Be 'diagnose'
        $report.diagnosis.data.verdict.id | Should -Be 'NEA_CERTS_NOT_RETRIEVED_TCP_BLOCKED'
        $report.diagnosis.data.status_line | Should -BeExactly $run.Lines[0]
    }

    It 'took the NES URL from the logs' {
        $report = (Get-Report $reports)[0]
        $report.settings.nes_uri | Should -Be ''
        # "NES URL: ..." in the WGSS trace is an NES line.
        $report.diagnosis.data.nes_url.source | Should -Be 'log_nes_context'
        $report.diagnosis.data.nes_url.url | Should -Be $terminal.NesUri
    }

    It 'keeps only the newest KeepReports reports and leaves other files alone' {
        $left = @(Get-ChildItem -LiteralPath $reports -Filter 'diagnosis-*.json')
        $left.Count | Should -Be $keep
        @($left | Where-Object { (Get-Content -Raw -LiteralPath $_.FullName) -match '"old"' }).Count | Should -Be ($keep - 2)
        Test-Path -LiteralPath (Join-Path $reports 'diagnosis-20200105-000000.json') | Should -BeTrue
        Test-Path -LiteralPath (Join-Path $reports 'diagnosis-20200101-000000.json') | Should -BeFalse
        Test-Path -LiteralPath (Join-Path $reports 'remediation-20200101-000000.json') | Should -BeTrue
        Test-Path -LiteralPath (Join-Path $reports 'notes.txt') | Should -BeTrue
        @(Get-ChildItem -LiteralPath $reports -Filter '*.partial').Count | Should -Be 0
    }

    It 'keeps the reports within MaxReportMB, the newest always' {
        $folder = Join-Path $TestDrive 'reports-size'
        New-Item -ItemType Directory -Path $folder | Out-Null
        $big = Join-Path $folder 'diagnosis-20200101-000000.json'
        [System.IO.File]::WriteAllBytes($big, (New-Object byte[] (1MB)))
        (Get-Item -LiteralPath $big).LastWriteTimeUtc = [datetime]::UtcNow.AddDays(-1)
        $sized = Invoke-ScriptProcess -Path $DetectScript -Arguments @('-ModulePath', $ManifestPath,
            '-KspPath', $terminal.KspPath, '-LogPath', $terminal.LogPath, '-ReportFolder', $folder, '-MaxReportMB', '1', '-TimeoutSec', '5')
        $sized.ExitCode | Should -Be 1
        Test-Path -LiteralPath $big | Should -BeFalse
        @(Get-ChildItem -LiteralPath $folder -Filter 'diagnosis-*.json').Count | Should -Be 1
    }
}

Describe 'Detect-NymiNeaCertificates.ps1 on a healthy terminal' -Skip:([System.Environment]::OSVersion.Platform -eq 'Win32NT') {
    # Off Windows the library's platform roots follow SSL_CERT_FILE, which
    # stands in for the machine store here; on Windows the mock CA would
    # have to be installed in the machine's root store, which a test must
    # not do.
    BeforeAll {
        $mock = Start-MockNes -Seconds 300
        $url = $mock.Manifest.scenarios.healthy.url
        $caFile = $mock.Manifest.ca_file
        $terminal = New-DemoTerminal -Scenario healthy -NesUri $url
        $reports = Join-Path $TestDrive 'reports-healthy'
        $environment = @{}
        $environment['SSL_CERT_FILE'] = $caFile
        $run = Invoke-ScriptProcess -Path $DetectScript -Environment $environment -Arguments @('-ModulePath', $ManifestPath,
            '-NesUri', $url, '-TrustedRootPath', $caFile, '-KspPath', $terminal.KspPath, '-LogPath', $terminal.LogPath,
            '-ReportFolder', $reports, '-TimeoutSec', '5')
    }

    AfterAll {
        Stop-MockNes -ProcessId ([int]$mock.Manifest.pid) -Folder $mock.Folder
        Stop-Process -Id $mock.Process.Id -Force -ErrorAction SilentlyContinue
    }

    It 'exits 0 with STATUS=OK code=HEALTHY and 20/20 certificates' {
        $run.ExitCode | Should -Be 0
        $run.Lines.Count | Should -Be 1
        $run.Lines[0] | Should -Match ('^STATUS=OK v=1 code=HEALTHY ksp=20/20 nes=localhost:{0} stage=none' -f ([uri]$url).Port)
        $run.StdErr | Should -BeNullOrEmpty
    }

    It 'records the settings it ran with' {
        $report = (Get-Report $reports)[0]
        $report.settings.trusted_root_path | Should -Be $caFile
        $report.settings.timeout_sec | Should -Be 5
        $report.diagnosis.data.verdict.id | Should -Be 'HEALTHY'
    }
}

Describe 'Detect-NymiNeaCertificates.ps1 when the check cannot run' {
    BeforeAll {
        $missing = Join-Path $TestDrive 'no-such-folder/NymiDiag.psd1'
        $reports = Join-Path $TestDrive 'reports-error'
    }

    It 'says MODULE_NOT_FOUND and exits 1 when the module is not where -ModulePath says' {
        $run = Invoke-ScriptProcess -Path $DetectScript -Arguments @('-ModulePath', $missing, '-ReportFolder', $reports, '-NesUri', 'https://nes.corp.example/nes')
        $run.ExitCode | Should -Be 1
        $run.StdErr | Should -BeNullOrEmpty
        $run.Lines.Count | Should -Be 1
        $run.Lines[0] | Should -Match '^STATUS=ERROR v=1 code=MODULE_NOT_FOUND ksp=\?/20 nes=nes\.corp\.example:443 stage=none detail=\S+$'
        Test-IsAscii $run.StdOut | Should -BeTrue
        # The report writer is in the module: without it, the line is all.
        Test-Path -LiteralPath $reports | Should -BeFalse
    }

    It 'records a diagnosis that failed, and prints the line without a report when the module is older than Save-NymiReport' {
        $stub = New-StubNymiDiagModule -Path (Join-Path $TestDrive 'failing/NymiDiag') -DiagnosisError 'the library answered IO_ERROR'
        $run = Invoke-ScriptProcess -Path $DetectScript -Arguments @('-ModulePath', $stub, '-ReportFolder', $reports, '-NesUri', 'https://nes.corp.example/nes')
        $run.Lines[0] | Should -Match '^STATUS=ERROR v=1 code=DIAGNOSIS_FAILED ksp=\?/20 nes=nes\.corp\.example:443 '
        $report = (Get-Report $reports)[0]
        $report.error.code | Should -Be 'DIAGNOSIS_FAILED'
        $report.status_line | Should -BeExactly $run.Lines[0]
        $report.PSObject.Properties['diagnosis'] | Should -Not -BeNullOrEmpty
        $report.diagnosis | Should -BeNullOrEmpty
        $old = Join-Path $TestDrive 'reports-old-module'
        $stub = New-StubNymiDiagModule -Path (Join-Path $TestDrive 'no-report/NymiDiag') -NoReport
        $run = Invoke-ScriptProcess -Path $DetectScript -Arguments @('-ModulePath', $stub, '-ReportFolder', $old)
        $run.StdErr | Should -BeNullOrEmpty
        $run.ExitCode | Should -Be 0
        $run.Lines | Should -Be @('STATUS=OK code=HEALTHY ksp=20/20 nes=nes.corp.example:443 stage=none finding=none confidence=high logs=none')
        Test-Path -LiteralPath $old | Should -BeFalse
    }

    It 'exits 0 with -FailOnError:$false, 1 with -FailOnError' {
        $run = Invoke-ScriptProcess -Path $DetectScript -Arguments @('-ModulePath', $missing, '-ReportFolder', $reports, '-FailOnError:$false')
        $run.ExitCode | Should -Be 0
        $run.Lines[0] | Should -Match '^STATUS=ERROR v=1 code=MODULE_NOT_FOUND '
        $run = Invoke-ScriptProcess -Path $DetectScript -Arguments @('-ModulePath', $missing, '-ReportFolder', $reports, '-FailOnError')
        $run.ExitCode | Should -Be 1
        $run.StdErr | Should -BeNullOrEmpty
        $run.Lines.Count | Should -Be 1
        $run.Lines[0] | Should -Match '^STATUS=ERROR v=1 code=MODULE_NOT_FOUND ksp=\?/20 nes=none stage=none detail='
    }

    It 'says MODULE_LOAD_FAILED, in ASCII, when the import fails' {
        $folder = Join-Path $TestDrive 'broken-module'
        New-Item -ItemType Directory -Path $folder | Out-Null
        Set-Content -LiteralPath (Join-Path $folder 'NymiDiag.psd1') -Value "@{ RootModule = 'NymiDiag.psm1'; ModuleVersion = '0.1.0' }"
        [System.IO.File]::WriteAllText((Join-Path $folder 'NymiDiag.psm1'), "throw 'native library not found: caf$([char]0xE9) bin/x.dll'")
        $run = Invoke-ScriptProcess -Path $DetectScript -Arguments @('-ModulePath', $folder, '-ReportFolder', $reports)
        $run.ExitCode | Should -Be 1
        $run.StdErr | Should -BeNullOrEmpty
        $run.Lines.Count | Should -Be 1
        $run.Lines[0] | Should -Match '^STATUS=ERROR v=1 code=MODULE_LOAD_FAILED ksp=\?/20 nes=none stage=none detail=native_library_not_found:_caf_'
        Test-IsAscii $run.StdOut | Should -BeTrue
    }

    It 'says DIAGNOSIS_FAILED when the diagnosis throws, with the reason cut to one word' {
        $stub = New-StubNymiDiagModule -Path (Join-Path $TestDrive 'throwing/NymiDiag') -DiagnosisError ('the library answered IO_ERROR ' + ('x' * 3000))
        $run = Invoke-ScriptProcess -Path $DetectScript -Arguments @('-ModulePath', $stub, '-ReportFolder', $reports, '-FailOnError')
        $run.ExitCode | Should -Be 1
        $run.StdErr | Should -BeNullOrEmpty
        $run.Lines.Count | Should -Be 1
        $run.Lines[0] | Should -Match '^STATUS=ERROR v=1 code=DIAGNOSIS_FAILED ksp=\?/20 nes=none stage=none detail=the_library_answered_IO_ERROR_x+$'
        $run.Lines[0].Length | Should -BeLessOrEqual 2048
    }

    It 'prints a diagnosis line longer than 2,048 characters cut to 2,048, and hides the module''s warnings' {
        $long = 'STATUS=ISSUE code=NEA_CERTS_NOT_RETRIEVED_CAUSE_UNKNOWN ksp=8/20 nes=none stage=untested finding=none confidence=low logs=' + ('L' * 3000)
        $stub = New-StubNymiDiagModule -Path (Join-Path $TestDrive 'long/NymiDiag') -StatusLine $long
        $run = Invoke-ScriptProcess -Path $DetectScript -Arguments @('-ModulePath', $stub, '-ReportFolder', $reports)
        $run.ExitCode | Should -Be 1
        $run.StdErr | Should -BeNullOrEmpty
        $run.Lines.Count | Should -Be 1
        $run.Lines[0] | Should -BeExactly $long.Substring(0, 2048)
    }

    It 'writes no report through a report folder that is a link' {
        $target = Join-Path $TestDrive 'link-target'
        New-Item -ItemType Directory -Path $target | Out-Null
        $link = Join-Path $TestDrive 'link-reports'
        New-FolderLink -Path $link -Target $target
        $stub = New-StubNymiDiagModule -Path (Join-Path $TestDrive 'link-stub/NymiDiag')
        $run = Invoke-ScriptProcess -Path $DetectScript -Arguments @('-ModulePath', $stub, '-ReportFolder', $link)
        $run.ExitCode | Should -Be 0
        $run.StdErr | Should -BeNullOrEmpty
        $run.Lines[0] | Should -Match '^STATUS=OK code=HEALTHY '
        @(Get-ChildItem -LiteralPath $target).Count | Should -Be 0
    }

    It 'finds the highest version in any Program Files view when -ModulePath is not given' {
        # A 32-bit host: its own ProgramFiles is the x86 folder with an older
        # copy; the newer install is in the 64-bit folder (ProgramW6432).
        $own = Join-Path $TestDrive 'pf-own'
        $wide = Join-Path $TestDrive 'Program Files'
        $x86 = Join-Path $TestDrive 'pf-x86'
        $null = New-StubNymiDiagModule -Path ([System.IO.Path]::Combine($own, 'WindowsPowerShell', 'Modules', 'NymiDiag', '0.9.0')) -Version '0.9.0' -StatusLine 'STATUS=OK code=HEALTHY ksp=20/20 nes=v0.9 stage=none'
        $null = New-StubNymiDiagModule -Path ([System.IO.Path]::Combine($wide, 'WindowsPowerShell', 'Modules', 'NymiDiag', '0.10.0')) -Version '0.10.0' -StatusLine 'STATUS=OK code=HEALTHY ksp=20/20 nes=v0.10 stage=none'
        $null = New-Item -ItemType Directory -Path ([System.IO.Path]::Combine($wide, 'WindowsPowerShell', 'Modules', 'NymiDiag', 'not-a-version'))
        $null = New-StubNymiDiagModule -Path ([System.IO.Path]::Combine($x86, 'PowerShell', 'Modules', 'NymiDiag')) -Version '0.8.0' -StatusLine 'STATUS=OK code=HEALTHY ksp=20/20 nes=v0.8 stage=none'
        $environment = @{ ProgramFiles = $own; ProgramW6432 = $wide; 'ProgramFiles(x86)' = $x86 }
        $run = Invoke-ScriptProcess -Path $DetectScript -Environment $environment -Arguments @('-ReportFolder', $reports)
        $run.StdErr | Should -BeNullOrEmpty
        $run.ExitCode | Should -Be 0
        $run.Lines | Should -Be @('STATUS=OK code=HEALTHY ksp=20/20 nes=v0.10 stage=none')
        $report = (Get-Report $reports)[0]
        $report.module.version | Should -Be '0.10.0'
        $report.module.manifest | Should -Be ([System.IO.Path]::Combine($wide, 'WindowsPowerShell', 'Modules', 'NymiDiag', '0.10.0', 'NymiDiag.psd1'))
    }

    It 'reads the version of a manifest without a version folder' {
        $x86 = Join-Path $TestDrive 'pf-x86-only'
        $null = New-StubNymiDiagModule -Path ([System.IO.Path]::Combine($x86, 'WindowsPowerShell', 'Modules', 'NymiDiag')) -Version '0.8.0' -StatusLine 'STATUS=OK code=HEALTHY ksp=20/20 nes=v0.8 stage=none'
        $environment = @{ ProgramFiles = (Join-Path $TestDrive 'empty'); ProgramW6432 = $null; 'ProgramFiles(x86)' = $x86 }
        $run = Invoke-ScriptProcess -Path $DetectScript -Environment $environment -Arguments @('-ReportFolder', $reports)
        $run.StdErr | Should -BeNullOrEmpty
        $run.Lines | Should -Be @('STATUS=OK code=HEALTHY ksp=20/20 nes=v0.8 stage=none')
        (Get-Report $reports)[0].module.version | Should -Be '0.8.0'
    }

    It 'says MODULE_NOT_FOUND when no Program Files view holds the module' {
        $environment = @{ ProgramFiles = (Join-Path $TestDrive 'empty'); 'ProgramFiles(x86)' = $null; ProgramW6432 = $null }
        $run = Invoke-ScriptProcess -Path $DetectScript -Environment $environment -Arguments @('-ReportFolder', $reports)
        $run.ExitCode | Should -Be 1
        $run.StdErr | Should -BeNullOrEmpty
        $run.Lines[0] | Should -Match '^STATUS=ERROR v=1 code=MODULE_NOT_FOUND ksp=\?/20 nes=none stage=none detail=no_NymiDiag_module_under_Program_Files'
    }
}

Describe 'Remediate-NymiNeaCertificates.ps1 with this module, NES unreachable' {
    BeforeAll {
        $terminal = New-DemoTerminal
        $reports = Join-Path $TestDrive 'reports-remediation'
        $common = @('-ModulePath', $ManifestPath, '-KspPath', $terminal.KspPath, '-LogPath', $terminal.LogPath,
            '-ReportFolder', $reports, '-TimeoutSec', '5', '-WaitSec', '5')
        $run = Invoke-ScriptProcess -Path $RemediateScript -Arguments (@('-NesUri', $terminal.NesUri) + $common)
        $report = (Get-Report $reports 'remediation')[0]
        # Without -NesUri, as Intune runs it: the URL comes from the logs.
        $fromLogs = Invoke-ScriptProcess -Path $RemediateScript -Arguments $common
        $fromLogsReport = (Get-Report $reports 'remediation')[0]
    }

    It 'exits 1 with one line on stdout and nothing on stderr' {
        foreach ($r in $run, $fromLogs) {
            $r.ExitCode | Should -Be 1
            $r.Lines.Count | Should -Be 1
            $r.StdErr | Should -BeNullOrEmpty
            Test-IsAscii $r.StdOut | Should -BeTrue
            $r.Lines[0].Length | Should -BeLessOrEqual 2048
        }
        $report.status_line | Should -BeExactly $run.Lines[0]
        $fromLogsReport.status_line | Should -BeExactly $fromLogs.Lines[0]
    }

    It 'restarts nothing and says why: repair=none reason=NES_unreachable, the issue stays' {
        $run.Lines[0] | Should -Match '^STATUS=ISSUE v=1 code=NEA_CERTS_NOT_RETRIEVED_TCP_BLOCKED ksp=8/20 nes=127\.0\.0\.1:\d+ stage=tcp .* repair=none reason=NES_unreachable$'
        $report.repair.action | Should -Be 'none'
        $report.repair.reason_code | Should -Be 'NES_unreachable'
        $report.repair.reason | Should -Match 'not reachable'
        $report.repair.fixed | Should -BeFalse
        $report.repair.nes_reachable | Should -BeFalse
        $report.repair.service_name | Should -BeNullOrEmpty
        $report.diagnosis.data.verdict.id | Should -Be 'NEA_CERTS_NOT_RETRIEVED_TCP_BLOCKED'
    }

    It 'takes the NES URL from the logs when -NesUri is empty, at most at medium confidence' {
        # The same verdict; an inferred URL weakens the live evidence.
        $fromLogs.Lines[0] | Should -Match ' confidence=medium '
        ($fromLogs.Lines[0] -replace ' confidence=medium ', ' confidence=high ') | Should -BeExactly $run.Lines[0]
        $fromLogsReport.repair.nes_uri | Should -Be $terminal.NesUri
        $fromLogsReport.status_line_before | Should -Match '^STATUS=ISSUE v=1 code=NEA_CERTS_NOT_RETRIEVED_TCP_BLOCKED '
        $report.status_line_before | Should -BeNullOrEmpty
    }
}

Describe 'Remediate-NymiNeaCertificates.ps1 on each repair outcome (stand-in module)' {
    BeforeAll {
        $reports = Join-Path $TestDrive 'reports-stub'
        $healthy = 'STATUS=OK code=HEALTHY ksp=20/20 nes=nes.corp.example:443 stage=none finding=none confidence=high logs=none'
        $blocked = 'STATUS=ISSUE code=NEA_CERTS_NOT_RETRIEVED_TCP_BLOCKED ksp=8/20 nes=nes.corp.example:443 stage=tcp finding=NES_TCP_TIMEOUT confidence=high logs=none'
    }

    It 'exits 0 after a restart that brought the certificates: repair=restarted before=8/20 after=20/20' {
        $folder = Join-Path $TestDrive 'restarted/NymiDiag'
        $stub = New-StubNymiDiagModule -Path $folder -StatusLine $healthy -Repair ([ordered]@{ Action = 'restarted'; Reason = $null; Before = '8/20'; After = '20/20'; Fixed = $true; NesReachable = $true })
        $run = Invoke-ScriptProcess -Path $RemediateScript -Arguments @('-ModulePath', $stub, '-ReportFolder', $reports, '-WaitSec', '7', '-TimeoutSec', '3', '-NesUri', 'https://nes.corp.example/nes', '-TrustedRootPath', 'ca.pem')
        $run.StdErr | Should -BeNullOrEmpty
        $run.ExitCode | Should -Be 0
        $run.Lines | Should -Be @($healthy + ' repair=restarted before=8/20 after=20/20')
        $report = (Get-Report $reports 'remediation')[0]
        $report.repair.action | Should -Be 'restarted'
        $report.repair.fixed | Should -BeTrue
        $report.diagnosis.stub | Should -BeTrue
    }

    It 'passes -Confirm:$false and only the parameters the repair has' {
        $call = Get-Content -Raw -LiteralPath (Join-Path $TestDrive 'restarted/NymiDiag/repair-call.json') | ConvertFrom-Json
        $call.Confirm | Should -Be 'False'
        $call.WaitSec | Should -Be '7'
        $call.TimeoutSec | Should -Be '3'
        $call.NesUri | Should -Be 'https://nes.corp.example/nes'
        $call.PSObject.Properties['TrustedRootPath'] | Should -BeNullOrEmpty
        $call.PSObject.Properties['ServiceDisplayName'] | Should -BeNullOrEmpty
    }

    It 'exits 1 when NES is unreachable: repair=none reason=...' {
        $stub = New-StubNymiDiagModule -Path (Join-Path $TestDrive 'none/NymiDiag') -StatusLine $blocked -Repair ([ordered]@{ Action = 'none'; Reason = 'NES unreachable'; Before = '8/20'; After = $null; Fixed = $false; NesReachable = $false })
        $run = Invoke-ScriptProcess -Path $RemediateScript -Arguments @('-ModulePath', $stub, '-ReportFolder', $reports)
        $run.StdErr | Should -BeNullOrEmpty
        $run.ExitCode | Should -Be 1
        $run.Lines | Should -Be @($blocked + ' repair=none before=8/20 reason=NES_unreachable')
    }

    It 'exits 1 and reports repair=failed when the repair throws, still checking again' {
        $stub = New-StubNymiDiagModule -Path (Join-Path $TestDrive 'throws/NymiDiag') -StatusLine $blocked -Repair 'throw'
        $run = Invoke-ScriptProcess -Path $RemediateScript -Arguments @('-ModulePath', $stub, '-ReportFolder', $reports)
        $run.StdErr | Should -BeNullOrEmpty
        $run.ExitCode | Should -Be 1
        $run.Lines.Count | Should -Be 1
        $run.Lines[0] | Should -BeExactly ($blocked + ' repair=failed reason=stub_repair_failed:_service_controller_unavailable')
        (Get-Report $reports 'remediation')[0].repair.action | Should -Be 'failed'
    }

    It 'keeps the repair part whole when the status line is long' {
        $long = 'STATUS=ISSUE code=NEA_CERTS_NOT_RETRIEVED_CAUSE_UNKNOWN ksp=8/20 nes=none stage=untested finding=none confidence=low logs=' + ('L' * 3000)
        $stub = New-StubNymiDiagModule -Path (Join-Path $TestDrive 'long-repair/NymiDiag') -StatusLine $long -Repair ([ordered]@{ Action = 'none'; Reason = 'NES unreachable'; Before = '8/20'; After = $null; Fixed = $false; NesReachable = $false })
        $run = Invoke-ScriptProcess -Path $RemediateScript -Arguments @('-ModulePath', $stub, '-ReportFolder', $reports)
        $run.Lines.Count | Should -Be 1
        $run.Lines[0].Length | Should -Be 2048
        $run.Lines[0] | Should -Match ' repair=none before=8/20 reason=NES_unreachable$'
    }

    It 'restarts nothing when no NES URL is known: repair=none reason=no_NES_URL' {
        $stub = New-StubNymiDiagModule -Path (Join-Path $TestDrive 'no-url/NymiDiag') -StatusLine $blocked -DiagnosisNesUri '' -Repair ([ordered]@{ Action = 'restarted'; Fixed = $true })
        $run = Invoke-ScriptProcess -Path $RemediateScript -Arguments @('-ModulePath', $stub, '-ReportFolder', $reports)
        $run.StdErr | Should -BeNullOrEmpty
        $run.ExitCode | Should -Be 1
        $run.Lines | Should -Be @($blocked + ' repair=none reason=no_NES_URL')
        Test-Path -LiteralPath (Join-Path $TestDrive 'no-url/NymiDiag/repair-call.json') | Should -BeFalse
    }

    It 'passes the source of the NES URL: <Case>' -ForEach @(
        @{ Case = 'inferred from the logs (NES context)'; Given = ''; Source = 'log_nes_context'; Expected = 'log_nes_context' }
        @{ Case = 'inferred from the logs (weakest)'; Given = ''; Source = 'log'; Expected = 'log' }
        @{ Case = 'inferred, no source reported'; Given = ''; Source = ''; Expected = 'log' }
        @{ Case = 'configured with -NesUri'; Given = 'https://nes.corp.example/nes'; Source = 'log'; Expected = 'request' }
    ) {
        $name = 'source-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        $stub = New-StubNymiDiagModule -Path (Join-Path $TestDrive "$name/NymiDiag") -StatusLine $blocked -DiagnosisNesUriSource $Source -Repair ([ordered]@{ Action = 'none'; Reason = 'NES unreachable'; Before = '8/20'; After = $null; Fixed = $false; NesReachable = $false })
        $arguments = @('-ModulePath', $stub, '-ReportFolder', $reports)
        if ($Given) { $arguments += @('-NesUri', $Given) }
        $run = Invoke-ScriptProcess -Path $RemediateScript -Arguments $arguments
        $run.StdErr | Should -BeNullOrEmpty
        $call = Get-Content -Raw -LiteralPath (Join-Path $TestDrive "$name/NymiDiag/repair-call.json") | ConvertFrom-Json
        $call.NesUri | Should -Be 'https://nes.corp.example/nes'
        $call.NesUriSource | Should -Be $Expected
    }

    It 'does not repair through an older module when the URL was inferred: reason=inferred_NES_URL' {
        $stub = New-StubNymiDiagModule -Path (Join-Path $TestDrive 'old-repair/NymiDiag') -StatusLine $blocked -RepairWithoutNesUriSource -Repair ([ordered]@{ Action = 'restarted'; Fixed = $true })
        $run = Invoke-ScriptProcess -Path $RemediateScript -Arguments @('-ModulePath', $stub, '-ReportFolder', $reports)
        $run.StdErr | Should -BeNullOrEmpty
        $run.ExitCode | Should -Be 1
        $run.Lines | Should -Be @($blocked + ' repair=none reason=inferred_NES_URL')
        Test-Path -LiteralPath (Join-Path $TestDrive 'old-repair/NymiDiag/repair-call.json') | Should -BeFalse
        # With a configured URL the older module still repairs.
        $run = Invoke-ScriptProcess -Path $RemediateScript -Arguments @('-ModulePath', $stub, '-ReportFolder', $reports, '-NesUri', 'https://nes.corp.example/nes')
        Test-Path -LiteralPath (Join-Path $TestDrive 'old-repair/NymiDiag/repair-call.json') | Should -BeTrue
    }

    It 'says still_incomplete when a restart did not bring the certificates' {
        $stub = New-StubNymiDiagModule -Path (Join-Path $TestDrive 'incomplete/NymiDiag') -StatusLine $blocked -Repair ([ordered]@{ Action = 'restarted'; Reason = 'Restarted, but after 120 s the key stores hold 8/20'; Before = '8/20'; After = '8/20'; Fixed = $false; NesReachable = $true })
        $run = Invoke-ScriptProcess -Path $RemediateScript -Arguments @('-ModulePath', $stub, '-ReportFolder', $reports)
        $run.StdErr | Should -BeNullOrEmpty
        $run.ExitCode | Should -Be 1
        $run.Lines | Should -Be @($blocked + ' repair=restarted before=8/20 after=8/20 reason=still_incomplete')
        $call = Get-Content -Raw -LiteralPath (Join-Path $TestDrive 'incomplete/NymiDiag/repair-call.json') | ConvertFrom-Json
        $call.NesUri | Should -Be 'https://nes.corp.example/nes'
    }

    It 'says REPAIR_UNAVAILABLE and exits 1 with a module without Repair-NymiNeaCertificate' {
        $stub = New-StubNymiDiagModule -Path (Join-Path $TestDrive 'old/NymiDiag') -Version '0.0.9'
        $run = Invoke-ScriptProcess -Path $RemediateScript -Arguments @('-ModulePath', $stub, '-ReportFolder', $reports)
        $run.StdErr | Should -BeNullOrEmpty
        $run.ExitCode | Should -Be 1
        $run.Lines | Should -Be @('STATUS=ERROR v=1 code=REPAIR_UNAVAILABLE ksp=?/20 nes=none stage=none detail=NymiDiag_0.0.9_has_no_Repair-NymiNeaCertificate:_install_a_newer_NymiDiag')
        (Get-Report $reports 'remediation')[0].error.code | Should -Be 'REPAIR_UNAVAILABLE'
    }

    It 'says MODULE_NOT_FOUND and exits 1 (a remediation that cannot run failed)' {
        $run = Invoke-ScriptProcess -Path $RemediateScript -Arguments @('-ModulePath', (Join-Path $TestDrive 'nothing-here'), '-ReportFolder', $reports)
        $run.StdErr | Should -BeNullOrEmpty
        $run.ExitCode | Should -Be 1
        $run.Lines.Count | Should -Be 1
        $run.Lines[0] | Should -Match '^STATUS=ERROR v=1 code=MODULE_NOT_FOUND ksp=\?/20 nes=none stage=none detail='
    }
}
