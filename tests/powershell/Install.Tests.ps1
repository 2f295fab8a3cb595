# The Win32 app folder (build.ps1 -Task PackageWin32App, also part of
# -Task Package): Install-NymiDiag.ps1, Uninstall-NymiDiag.ps1 and the
# detection script Test-NymiDiagInstalled.ps1, each run as Intune runs
# them, in a child process, against temporary folders only.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    $out = Join-Path $TestDrive 'out'
    $build = & $PwshPath -NoProfile -NonInteractive -File (Join-Path $RepoRoot 'build.ps1') -Task PackageWin32App -OutputPath $out 2>&1
    $BuildExit = $LASTEXITCODE
    $BuildOutput = @($build) -join "`n"
    $Version = Get-CrateVersion
    $App = Join-Path $out 'win32app'
    $Install = Join-Path $App 'Install-NymiDiag.ps1'
    $Uninstall = Join-Path $App 'Uninstall-NymiDiag.ps1'
    $Detect = Join-Path $App 'Test-NymiDiagInstalled.ps1'
    $OnWindows = [System.Environment]::OSVersion.Platform -eq [System.PlatformID]::Win32NT
    # Exit codes are 32 bits on Windows; elsewhere a process exit code
    # keeps its low 8 bits, so 1603 reads 67 and 1618 reads 82 there.
    $Fatal = 1603
    if (-not $OnWindows) { $Fatal = 1603 -band 0xFF }
    Import-Module $ManifestPath -Force
    $Rid = InModuleScope NymiDiag { GetNymiRuntimeId }
    $LibraryName = InModuleScope NymiDiag -Parameters @{ Rid = $Rid } { param($Rid) GetNymiLibraryName -RuntimeId $Rid }

    function Invoke-AppScript {
        # Runs one of the scripts as Intune does (-File, no profile) and
        # returns its stdout lines, its stderr text and its exit code.
        param([Parameter(Mandatory = $true)][string] $Script, [string[]] $Arguments = @())
        $errPath = Join-Path $TestDrive ('stderr-' + [guid]::NewGuid().ToString('N') + '.txt')
        $lines = @(& $PwshPath -NoProfile -NonInteractive -File $Script @Arguments 2> $errPath)
        $exit = $LASTEXITCODE
        $err = ''
        if (Test-Path -LiteralPath $errPath) { $err = [string](Get-Content -Raw -LiteralPath $errPath) }
        [pscustomobject]@{ Out = $lines; Err = $err; Exit = $exit; Text = ($lines -join "`n") }
    }

    function New-Sandbox {
        # A temporary machine: an existing module root, and the places of
        # the configuration file and the log (not created). -With copies
        # module versions installed once in BeforeAll (each install is a
        # process start, which is slow).
        param([string[]] $With = @())
        $root = Join-Path $TestDrive ('box-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
        $modules = Join-Path $root 'Modules'
        New-Item -ItemType Directory -Path $modules -Force | Out-Null
        foreach ($release in $With) {
            New-Item -ItemType Directory -Path (Join-Path $modules 'NymiDiag') -Force | Out-Null
            Copy-Item -Recurse -LiteralPath $script:Installed[$release] -Destination (Join-Path $modules 'NymiDiag')
        }
        $data = Join-Path $root 'ProgramData/NymiDiag'
        [pscustomobject]@{
            Root = $root; Modules = $modules; Data = $data
            Config = Join-Path $data 'config.json'; Log = Join-Path $data 'install.log'
            Common = @('-ModuleRoot', $modules, '-LogPath', (Join-Path $data 'install.log'), '-ConfigPath', (Join-Path $data 'config.json'))
        }
    }

    function Get-RelativeFile {
        # Every file below $Path, relative, with / separators.
        param([string] $Path)
        $full = (Resolve-Path -LiteralPath $Path).ProviderPath
        @(Get-ChildItem -LiteralPath $full -Recurse -File -Force | ForEach-Object { $_.FullName.Substring($full.Length + 1).Replace('\', '/') } | Sort-Object)
    }

    function Get-FileDigest {
        # "relative path|SHA-256" of every file below $Path.
        param([string] $Path)
        foreach ($name in Get-RelativeFile $Path) {
            $name + '|' + (Get-FileHash -Algorithm SHA256 -LiteralPath (Join-Path $Path $name)).Hash
        }
    }

    function New-OlderPackage {
        # A copy of the Win32 app folder as an older release would have
        # made it: NymiDiag/<Older>/ saying ModuleVersion <Older>, and the
        # detection script stamped with it.
        param([string] $Older)
        $copy = Join-Path $TestDrive ('app-' + $Older)
        if (-not (Test-Path $copy)) {
            Copy-Item -Recurse $App $copy
            Rename-Item (Join-Path $copy "NymiDiag/$Version") $Older
            $manifest = Join-Path $copy "NymiDiag/$Older/NymiDiag.psd1"
            $text = [System.IO.File]::ReadAllText($manifest) -replace "(?m)^(\s*ModuleVersion\s*=\s*)'[^']+'", "`${1}'$Older'"
            [System.IO.File]::WriteAllText($manifest, $text)
            $detect = Join-Path $copy 'Test-NymiDiagInstalled.ps1'
            $text = [System.IO.File]::ReadAllText($detect).Replace("`$NymiPackageVersion = '$Version'", "`$NymiPackageVersion = '$Older'")
            [System.IO.File]::WriteAllText($detect, $text)
        }
        $copy
    }

    # This version and an older one, installed once here (in the file's
    # TestDrive, which lasts for every Describe) for New-Sandbox -With.
    $script:Installed = @{}
    if ($BuildExit -eq 0) {
        foreach ($release in $Version, '0.0.9') {
            $template = Join-Path $TestDrive "installed-$release"
            New-Item -ItemType Directory -Path $template -Force | Out-Null
            $installer = $Install
            if ($release -ne $Version) { $installer = Join-Path (New-OlderPackage -Older $release) 'Install-NymiDiag.ps1' }
            $run = Invoke-AppScript $installer @('-ModuleRoot', $template, '-LogPath', (Join-Path $TestDrive "installed-$release.log"))
            if ($run.Exit -ne 0) { throw "installing $release failed: $($run.Text) $($run.Err)" }
            $script:Installed[$release] = Join-Path $template "NymiDiag/$release"
        }
    }
}

Describe 'build.ps1 -Task PackageWin32App' {
    It 'writes out/win32app/ with the three scripts and the packaged module' {
        $BuildExit | Should -Be 0 -Because $BuildOutput
        foreach ($path in $Install, $Uninstall, $Detect) { Test-Path -LiteralPath $path | Should -BeTrue }
        $module = Join-Path $App "NymiDiag/$Version"
        foreach ($name in 'NymiDiag.psd1', 'NymiDiag.psm1', "bin/$Rid/$LibraryName", 'bin/NymiDiag.Native.dll') {
            Test-Path -LiteralPath (Join-Path $module $name) | Should -BeTrue -Because $name
        }
        @(Get-ChildItem -LiteralPath (Join-Path $App 'NymiDiag') -Directory).Count | Should -Be 1
        Get-RelativeFile $module | Should -Be (Get-RelativeFile (Join-Path $out "NymiDiag/$Version"))
    }

    It 'packages scripts that stand alone: ASCII, nothing dot-sourced, the detection script stamped' {
        foreach ($path in $Install, $Uninstall, $Detect) {
            $text = [System.IO.File]::ReadAllText($path)
            $text | Should -Not -Match '[^\x00-\x7F]'
            $text | Should -Not -Match '(?m)^\s*\.\s'
            $text | Should -Match '(?m)^function GetNymiInstallDefault '
        }
        [System.IO.File]::ReadAllText($Detect) | Should -Match ("(?m)^\`$NymiPackageVersion = '{0}'" -f [regex]::Escape($Version))
        [System.IO.File]::ReadAllText($Detect) | Should -Match '(?m)^function GetNymiRuntimeId '
    }
}

Describe 'Install-NymiDiag.ps1' {
    It 'installs the module, writes only the given settings with their JSON types, and logs each action' {
        $box = New-Sandbox
        $run = Invoke-AppScript $Install ($box.Common + @('-NesUri', 'https://nes.corp.example/nes', '-Site', ('Ward "3" \ ' + [char]0xE9 + 'ast'),
                '-ExpectedLocal', '8', '-TimeoutSec', '30', '-FailOnError:$false'))
        $run.Err | Should -BeNullOrEmpty
        $run.Exit | Should -Be 0 -Because $run.Text
        $run.Out.Count | Should -Be 1
        $run.Out[0] | Should -Match "^NymiDiag install: result=changed version=$([regex]::Escape($Version)) module=installed config=written event_source=\w+ exit=0$"
        Get-FileDigest (Join-Path $box.Modules "NymiDiag/$Version") | Should -Be (Get-FileDigest (Join-Path $App "NymiDiag/$Version"))

        $bytes = [System.IO.File]::ReadAllBytes($box.Config)
        $bytes[0] | Should -Not -Be 0xEF -Because 'the file is UTF-8 without a byte order mark'
        $text = [System.Text.Encoding]::UTF8.GetString($bytes)
        $config = $text | ConvertFrom-Json
        @($config.PSObject.Properties.Name) | Should -Be @('NesUri', 'ExpectedLocal', 'TimeoutSec', 'Site', 'FailOnError')
        $config.NesUri | Should -Be 'https://nes.corp.example/nes'
        $config.Site | Should -Be ('Ward "3" \ ' + [char]0xE9 + 'ast')
        $text | Should -Match '"Site": "Ward \\"3\\" \\\\ \\u00e9ast"'
        $text | Should -Not -Match '[^\x00-\x7F]' -Because 'characters outside ASCII are escaped'
        $text | Should -Match '"ExpectedLocal": 8,'
        $text | Should -Match '"TimeoutSec": 30,'
        $text | Should -Match '"FailOnError": false'
        $config.FailOnError | Should -BeOfType [bool]

        $log = @(Get-Content -LiteralPath $box.Log)
        $log | ForEach-Object { $_ | Should -Match '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ install: ' }
        ($log -join "`n") | Should -Match 'copied module'
        ($log -join "`n") | Should -Match 'wrote configuration file .* with NesUri, ExpectedLocal, TimeoutSec, Site, FailOnError'
        ($log -join "`n") | Should -Match 'done: changed'
    }

    It 'changes nothing on a second run with the same inputs and says so' {
        $box = New-Sandbox
        $arguments = $box.Common + @('-NesUri', 'nes01', '-FailOnError')
        (Invoke-AppScript $Install $arguments).Exit | Should -Be 0
        $before = Get-TreeSnapshot -Path $box.Modules
        $configBefore = Get-TreeSnapshot -Path $box.Data | Where-Object { $_ -notmatch 'install\.log' }
        $run = Invoke-AppScript $Install $arguments
        $run.Err | Should -BeNullOrEmpty
        $run.Exit | Should -Be 0
        $run.Out[0] | Should -Match 'result=unchanged .*module=unchanged config=unchanged'
        Get-TreeSnapshot -Path $box.Modules | Should -Be $before
        Get-TreeSnapshot -Path $box.Data | Where-Object { $_ -notmatch 'install\.log' } | Should -Be $configBefore
        [System.IO.File]::ReadAllText($box.Config) | Should -Match '"FailOnError": true'
        (Get-Content -Raw -LiteralPath $box.Log) | Should -Match 'already in .* with the same files'
    }

    It 'leaves an existing configuration file alone when no setting is given' {
        $box = New-Sandbox
        New-Item -ItemType Directory -Path $box.Data -Force | Out-Null
        Set-Content -LiteralPath $box.Config -Value '{ "Site": "kept" }' -NoNewline
        $before = Get-TreeSnapshot -Path $box.Data
        $run = Invoke-AppScript $Install $box.Common
        $run.Exit | Should -Be 0
        $run.Out[0] | Should -Match 'module=installed config=none'
        Get-Content -Raw -LiteralPath $box.Config | Should -Be '{ "Site": "kept" }'
        (Get-TreeSnapshot -Path $box.Data | Where-Object { $_ -match 'config\.json' }) | Should -Be ($before | Where-Object { $_ -match 'config\.json' })
    }

    It 'rewrites the configuration file with exactly the settings of a new command line' {
        $box = New-Sandbox
        (Invoke-AppScript $Install ($box.Common + @('-NesUri', 'nes01', '-Site', 'A'))).Exit | Should -Be 0
        $run = Invoke-AppScript $Install ($box.Common + @('-ExpectedNes', '12', '-ReportFolder', 'D:\Reports', '-TrustedRootPath', ''))
        $run.Out[0] | Should -Match 'module=unchanged config=written'
        $config = Get-Content -Raw -LiteralPath $box.Config | ConvertFrom-Json
        @($config.PSObject.Properties.Name) | Should -Be @('ExpectedNes', 'TrustedRootPath', 'ReportFolder')
        $config.ExpectedNes | Should -Be 12
        $config.TrustedRootPath | Should -Be ''
        $config.ReportFolder | Should -Be 'D:\Reports'
    }

    It 'replaces the same version with other content through a folder beside it' {
        $box = New-Sandbox
        (Invoke-AppScript $Install $box.Common).Exit | Should -Be 0
        $installed = Join-Path $box.Modules "NymiDiag/$Version"
        Set-Content -LiteralPath (Join-Path $installed 'NymiDiag.psm1') -Value '# damaged'
        New-Item -ItemType File -Path (Join-Path $installed 'stray.txt') | Out-Null
        $run = Invoke-AppScript $Install $box.Common
        $run.Err | Should -BeNullOrEmpty
        $run.Exit | Should -Be 0
        $run.Out[0] | Should -Match 'result=changed .*module=replaced'
        Get-FileDigest $installed | Should -Be (Get-FileDigest (Join-Path $App "NymiDiag/$Version"))
        @(Get-ChildItem -LiteralPath (Join-Path $box.Modules 'NymiDiag') -Force | ForEach-Object Name) | Should -Be @($Version)
        (Get-Content -Raw -LiteralPath $box.Log) | Should -Match 'replaced module'
    }

    It 'installs a newer version beside an older one' {
        $box = New-Sandbox -With '0.0.9'
        $run = Invoke-AppScript $Install $box.Common
        $run.Exit | Should -Be 0
        $run.Out[0] | Should -Match 'module=installed'
        @(Get-ChildItem -LiteralPath (Join-Path $box.Modules 'NymiDiag') -Directory | ForEach-Object Name | Sort-Object) | Should -Be @('0.0.9', $Version)
    }

    It 'writes nothing outside the module folder, the configuration file and the log' {
        $box = New-Sandbox
        $packageBefore = Get-TreeSnapshot -Path $App
        (Invoke-AppScript $Install ($box.Common + @('-Site', 'S'))).Exit | Should -Be 0
        $expected = @(@(Get-RelativeFile (Join-Path $App "NymiDiag/$Version") | ForEach-Object { "Modules/NymiDiag/$Version/$_" }) +
            'ProgramData/NymiDiag/config.json', 'ProgramData/NymiDiag/install.log' | Sort-Object)
        Get-RelativeFile $box.Root | Should -Be $expected
        Get-TreeSnapshot -Path $App | Should -Be $packageBefore
    }

    It 'fails with 1603, a summary line and a log line for <Case>, writing nothing else' -ForEach @(
        @{ Case = 'ExpectedLocal out of range'; Extra = @('-ExpectedLocal', '200'); Detail = 'ExpectedLocal' }
        @{ Case = 'a non-integer ExpectedNes'; Extra = @('-ExpectedNes', 'twelve'); Detail = 'ExpectedNes' }
        @{ Case = 'an ftp NesUri'; Extra = @('-NesUri', 'ftp://nes.corp.example/'); Detail = 'NesUri' }
        @{ Case = 'a Site of 65 characters'; Extra = @('-Site', ('x' * 65)); Detail = 'Site' }
        @{ Case = 'an unknown parameter'; Extra = @('-NesUrl', 'nes01'); Detail = 'unknown arguments: -NesUrl nes01' }
        @{ Case = 'a stray word'; Extra = @('nes01'); Detail = 'unknown arguments: nes01' }
        @{ Case = 'a module root that does not exist'; Extra = @('-ModuleRoot', 'missing'); Detail = 'does not exist' }
    ) {
        $box = New-Sandbox
        $arguments = $box.Common + $Extra
        if ($Extra[0] -eq '-ModuleRoot') { $arguments = @('-ModuleRoot', (Join-Path $box.Root 'missing')) + $box.Common[2..5] }
        $run = Invoke-AppScript $Install $arguments
        $run.Err | Should -BeNullOrEmpty
        $run.Exit | Should -Be $Fatal
        $run.Out.Count | Should -Be 1
        $run.Out[0] | Should -Match '^NymiDiag install: result=failed .*exit=1603 detail=".+"$'
        $run.Out[0] | Should -Match ([regex]::Escape($Detail))
        (Get-Content -Raw -LiteralPath $box.Log) | Should -Match 'install: failed \(exit 1603\): '
        Get-RelativeFile $box.Root | Should -Be @('ProgramData/NymiDiag/install.log')
    }

    It 'requires -ModuleRoot and -LogPath where %ProgramFiles% and %ProgramData% are not defined' -Skip:$OnWindows {
        $box = New-Sandbox
        $run = Invoke-AppScript $Install @('-LogPath', $box.Log)
        $run.Err | Should -BeNullOrEmpty
        $run.Exit | Should -Be $Fatal
        $run.Out[0] | Should -Match '-ModuleRoot is required here: its default lies under %ProgramFiles%'
        $run = Invoke-AppScript $Install @('-ModuleRoot', $box.Modules)
        $run.Exit | Should -Be $Fatal
        $run.Out[0] | Should -Match '-LogPath is required here: its default lies under %ProgramData%'
        Get-RelativeFile $box.Root | Should -Be @('ProgramData/NymiDiag/install.log')
    }

    It 'skips the event source with a logged reason when <Case>' -ForEach @(
        @{ Case = '-EventSource is empty'; Extra = @('-EventSource', ''); Reason = '-EventSource is empty'; Skip = $false }
        @{ Case = 'not on Windows'; Extra = @(); Reason = 'event logs exist only on Windows'; Skip = ([System.Environment]::OSVersion.Platform -eq [System.PlatformID]::Win32NT) }
    ) {
        if ($Skip) { Set-ItResult -Skipped -Because 'registering an event source on Windows needs an administrator; this case is for other systems' }
        $box = New-Sandbox
        $run = Invoke-AppScript $Install ($box.Common + $Extra)
        $run.Exit | Should -Be 0
        $run.Out[0] | Should -Match 'event_source=skipped'
        (Get-Content -Raw -LiteralPath $box.Log) | Should -Match ([regex]::Escape($Reason))
    }
}

Describe 'the installed module' {
    It 'imports by name from the module root in a fresh process and runs' {
        $box = New-Sandbox -With $Version
        $command = "`$ErrorActionPreference = 'Stop'; `$env:PSModulePath = '$($box.Modules)' + [System.IO.Path]::PathSeparator + `$env:PSModulePath; " +
            "Import-Module NymiDiag -RequiredVersion '$Version'; (Get-Module NymiDiag).ModuleBase; " +
            "(Get-NymiDiagnosticRule | Measure-Object).Count -gt 0"
        $output = @(& $PwshPath -NoProfile -NonInteractive -Command $command 2>&1)
        $output[0] | Should -Be (Join-Path $box.Modules "NymiDiag/$Version") -Because ($output -join "`n")
        $output[1] | Should -Be 'True'
    }
}

Describe 'the installed configuration' {
    It 'is what the installed module reads: every setting from the file, none broken' {
        $box = New-Sandbox
        $site = 'Ward "3" ' + [char]0xE9 + 'ast'
        $run = Invoke-AppScript $Install ($box.Common + @('-NesUri', 'https://nes.corp.example/nes', '-Site', $site, '-ExpectedLocal', '6',
                '-ExpectedNes', '4', '-TimeoutSec', '30', '-ReportFolder', (Join-Path $box.Root 'reports'), '-FailOnError:$false'))
        $run.Exit | Should -Be 0 -Because $run.Text
        $command = "`$ErrorActionPreference = 'Stop'; `$env:NYMIDIAG_CONFIG = '$($box.Config)'; " +
            "Import-Module '$(Join-Path $box.Modules "NymiDiag/$Version/NymiDiag.psd1")'; " +
            "Get-NymiDiagConfiguration | ForEach-Object { '{0}|{1}|{2}' -f `$_.Name, `$_.Source, `$_.Value }"
        $output = @(& $PwshPath -NoProfile -NonInteractive -Command $command 2>&1 | ForEach-Object { [string]$_ })
        $settings = @{}
        foreach ($line in $output) { $parts = $line.Split('|'); $settings[$parts[0]] = @{ Source = $parts[1]; Value = $parts[2] } }
        $settings.Count | Should -Be 8 -Because ($output -join "`n")
        foreach ($name in 'NesUri', 'Site', 'ExpectedLocal', 'ExpectedNes', 'TimeoutSec', 'ReportFolder', 'FailOnError') { $settings[$name].Source | Should -Be 'file' -Because $name }
        $settings['TrustedRootPath'].Source | Should -Be 'default'
        $settings['Site'].Value | Should -BeExactly $site
        $settings['ExpectedNes'].Value | Should -Be '4'
        $settings['FailOnError'].Value | Should -Be 'False'
    }
}

Describe 'Test-NymiDiagInstalled.ps1' {
    It 'prints one line and exits 0 when this version is installed' {
        $box = New-Sandbox -With $Version
        $run = Invoke-AppScript $Detect @('-ModuleRoot', $box.Modules)
        $run.Err | Should -BeNullOrEmpty
        $run.Exit | Should -Be 0
        $run.Out.Count | Should -Be 1
        $run.Out[0] | Should -Be ("NymiDiag $Version installed in $(Join-Path $box.Modules (Join-Path 'NymiDiag' $Version)) ($Rid)")
    }

    It 'prints nothing and exits 0 when <Case>' -ForEach @(
        @{ Case = 'nothing is installed'; Damage = '' }
        @{ Case = 'the native library for this runtime is missing'; Damage = 'library' }
        @{ Case = 'the psm1 is missing'; Damage = 'NymiDiag.psm1' }
        @{ Case = 'the manifest is missing'; Damage = 'NymiDiag.psd1' }
        @{ Case = 'the manifest names another version'; Damage = 'version' }
        @{ Case = 'only another version is installed'; Damage = 'older' }
    ) {
        $box = New-Sandbox
        if ($Damage -eq 'older') { $box = New-Sandbox -With '0.0.9' }
        elseif ($Damage) {
            $box = New-Sandbox -With $Version
            $installed = Join-Path $box.Modules "NymiDiag/$Version"
            switch ($Damage) {
                'library' { Remove-Item -LiteralPath (Join-Path $installed "bin/$Rid/$LibraryName") }
                'version' {
                    $manifest = Join-Path $installed 'NymiDiag.psd1'
                    $text = [System.IO.File]::ReadAllText($manifest) -replace "(?m)^(\s*ModuleVersion\s*=\s*)'[^']+'", "`${1}'9.9.9'"
                    [System.IO.File]::WriteAllText($manifest, $text)
                }
                default { Remove-Item -LiteralPath (Join-Path $installed $Damage) }
            }
        }
        $run = Invoke-AppScript $Detect @('-ModuleRoot', $box.Modules)
        $run.Err | Should -BeNullOrEmpty
        $run.Exit | Should -Be 0
        $run.Out.Count | Should -Be 0 -Because $run.Text
    }

    It 'detects the older package''s version with that package''s script' {
        $box = New-Sandbox -With '0.0.9'
        $older = New-OlderPackage -Older '0.0.9'
        (Invoke-AppScript (Join-Path $older 'Test-NymiDiagInstalled.ps1') @('-ModuleRoot', $box.Modules)).Out[0] | Should -Match '^NymiDiag 0\.0\.9 installed in '
    }
}

Describe 'Uninstall-NymiDiag.ps1' {
    It 'exits 0 and says so when nothing is installed' {
        $box = New-Sandbox
        $run = Invoke-AppScript $Uninstall $box.Common
        $run.Err | Should -BeNullOrEmpty
        $run.Exit | Should -Be 0
        $run.Out.Count | Should -Be 1
        $run.Out[0] | Should -Match '^NymiDiag uninstall: result=unchanged .*module=absent .*exit=0 detail="nothing installed"$'
        (Get-Content -Raw -LiteralPath $box.Log) | Should -Match 'uninstall: nothing to remove'
    }

    It 'removes this version only, keeps the others, the configuration and the reports' {
        $box = New-Sandbox -With '0.0.9', $Version
        New-Item -ItemType Directory -Path $box.Data -Force | Out-Null
        Set-Content -LiteralPath $box.Config -Value '{ "Site": "S" }'
        Set-Content -LiteralPath (Join-Path $box.Data 'diagnosis-20260101-000000.json') -Value '{}'
        $run = Invoke-AppScript $Uninstall $box.Common
        $run.Err | Should -BeNullOrEmpty
        $run.Exit | Should -Be 0
        $run.Out[0] | Should -Match "result=changed version=$([regex]::Escape($Version)) module=removed event_source=kept data=kept exit=0"
        @(Get-ChildItem -LiteralPath (Join-Path $box.Modules 'NymiDiag') -Force | ForEach-Object Name) | Should -Be @('0.0.9')
        Test-Path -LiteralPath $box.Config | Should -BeTrue
        Test-Path -LiteralPath (Join-Path $box.Data 'diagnosis-20260101-000000.json') | Should -BeTrue
        $again = Invoke-AppScript $Uninstall $box.Common
        $again.Exit | Should -Be 0
        $again.Out[0] | Should -Match 'result=unchanged .*module=absent'
    }

    It 'removes every version, the configuration and the reports with -AllVersions -RemoveData' {
        $box = New-Sandbox -With '0.0.9', $Version
        New-Item -ItemType Directory -Path $box.Data -Force | Out-Null
        Set-Content -LiteralPath $box.Config -Value '{ "Site": "S" }'
        foreach ($name in 'diagnosis-20260101-000000.json', 'remediation-20260101-000000.json', 'startup-20260101-000000.json', 'notes.txt') {
            Set-Content -LiteralPath (Join-Path $box.Data $name) -Value '{}'
        }
        New-Item -ItemType Directory -Path (Join-Path $box.Modules 'NymiDiag/not-a-version') | Out-Null
        $run = Invoke-AppScript $Uninstall ($box.Common + @('-AllVersions', '-RemoveData', '-ReportFolder', $box.Data))
        $run.Err | Should -BeNullOrEmpty
        $run.Exit | Should -Be 0
        $run.Out[0] | Should -Match 'result=changed module=removed event_source=kept data=removed exit=0'
        @(Get-ChildItem -LiteralPath (Join-Path $box.Modules 'NymiDiag') -Force | ForEach-Object Name) | Should -Be @('not-a-version')
        @(Get-ChildItem -LiteralPath $box.Data | ForEach-Object Name | Sort-Object) | Should -Be @('install.log', 'notes.txt')
        $log = Get-Content -Raw -LiteralPath $box.Log
        $log | Should -Match 'uninstall: removed module 0\.0\.9'
        $log | Should -Match 'uninstall: removed configuration file'
        $log | Should -Match 'uninstall: removed 3 reports'
    }

    It 'fails with 1603 and no stderr on an unknown parameter' {
        $box = New-Sandbox
        $run = Invoke-AppScript $Uninstall ($box.Common + @('-Everything'))
        $run.Err | Should -BeNullOrEmpty
        $run.Exit | Should -Be $Fatal
        $run.Out[0] | Should -Match '^NymiDiag uninstall: result=failed exit=1603 detail="unknown arguments: -Everything"$'
    }
}

Describe 'the default paths of the install scripts' {
    BeforeAll {
        . (Join-Path $RepoRoot 'powershell/Install/InstallHelpers.ps1')
        $saved = @{}
        foreach ($name in 'ProgramW6432', 'ProgramFiles', 'ProgramData', 'NYMIDIAG_CONFIG') { $saved[$name] = [System.Environment]::GetEnvironmentVariable($name) }
        function Set-TestEnvironment {
            param([hashtable] $Values)
            foreach ($name in 'ProgramW6432', 'ProgramFiles', 'ProgramData', 'NYMIDIAG_CONFIG') {
                [System.Environment]::SetEnvironmentVariable($name, $Values[$name])
            }
        }
    }

    AfterAll {
        foreach ($name in $saved.Keys) { [System.Environment]::SetEnvironmentVariable($name, $saved[$name]) }
    }

    It 'installs into the native Program Files also from a 32-bit process (ProgramW6432 first)' {
        Set-TestEnvironment @{ ProgramW6432 = 'N:\Program Files'; ProgramFiles = 'N:\Program Files (x86)' }
        GetNymiInstallDefault -Kind 'ModuleRoot' | Should -Be ([System.IO.Path]::Combine('N:\Program Files', 'WindowsPowerShell', 'Modules'))
        Set-TestEnvironment @{ ProgramFiles = 'N:\Program Files' }
        GetNymiInstallDefault -Kind 'ModuleRoot' | Should -Be ([System.IO.Path]::Combine('N:\Program Files', 'WindowsPowerShell', 'Modules'))
    }

    It 'puts the configuration file, the log and the reports under ProgramData, the file at NYMIDIAG_CONFIG when set' {
        Set-TestEnvironment @{ ProgramData = 'N:\ProgramData' }
        GetNymiInstallDefault -Kind 'Config' | Should -Be ([System.IO.Path]::Combine('N:\ProgramData', 'NymiDiag', 'config.json'))
        GetNymiInstallDefault -Kind 'Log' | Should -Be ([System.IO.Path]::Combine('N:\ProgramData', 'NymiDiag', 'install.log'))
        GetNymiInstallDefault -Kind 'Reports' | Should -Be ([System.IO.Path]::Combine('N:\ProgramData', 'NymiDiag'))
        Set-TestEnvironment @{ ProgramData = 'N:\ProgramData'; NYMIDIAG_CONFIG = 'N:\elsewhere.json' }
        GetNymiInstallDefault -Kind 'Config' | Should -Be 'N:\elsewhere.json'
    }

    It 'has no default where the folders are not defined, and says which parameter is needed' {
        Set-TestEnvironment @{}
        foreach ($kind in 'ModuleRoot', 'Config', 'Log', 'Reports') { GetNymiInstallDefault -Kind $kind | Should -Be '' }
        { ResolveNymiInstallPath -Kind 'ModuleRoot' -Parameter 'ModuleRoot' } | Should -Throw '-ModuleRoot is required here: its default lies under %ProgramFiles%*'
        { ResolveNymiInstallPath -Kind 'Log' -Parameter 'LogPath' } | Should -Throw '-LogPath is required here: its default lies under %ProgramData%*'
    }
}
