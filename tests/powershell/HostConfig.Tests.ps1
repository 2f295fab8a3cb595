# The Intune and GPO scripts as a fleet runs them, each in a fresh process:
# settings from the configuration file (NYMIDIAG_CONFIG) with parameters
# winning, a broken configuration as one CONFIG_INVALID line, the exit
# codes Intune counts, the last repair's outcome on the detection line
# after a remediation, and Constrained Language Mode. Only loopback is
# contacted (a closed port).
BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    $hostScripts = @(
        @{ Name = 'Detect-NymiNeaCertificates.ps1'; Path = (Join-Path $RepoRoot 'powershell/Intune/Detect-NymiNeaCertificates.ps1'); Extra = @(); Prefix = 'diagnosis'; ErrorExit = 1 }
        @{ Name = 'Remediate-NymiNeaCertificates.ps1'; Path = (Join-Path $RepoRoot 'powershell/Intune/Remediate-NymiNeaCertificates.ps1'); Extra = @('-WaitSec', '0'); Prefix = 'remediation'; ErrorExit = 1 }
        @{ Name = 'Invoke-NymiStartupCheck.ps1'; Path = (Join-Path $RepoRoot 'powershell/Gpo/Invoke-NymiStartupCheck.ps1'); Extra = @('-NetworkWaitSec', '0', '-EventSource', ''); Prefix = 'startup'; ErrorExit = 0 }
    )
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    Import-Module $ManifestPath -Force
    $DetectScript = Join-Path $RepoRoot 'powershell/Intune/Detect-NymiNeaCertificates.ps1'
    $RemediateScript = Join-Path $RepoRoot 'powershell/Intune/Remediate-NymiNeaCertificates.ps1'
    $Port = InModuleScope NymiDiag { GetNymiClosedLoopbackPort }
    $NoKsp = Join-Path $TestDrive 'no-ksp'
    $NoLogs = Join-Path $TestDrive 'no-logs'
    New-Item -ItemType Directory -Force -Path $NoLogs | Out-Null

    function New-ConfigFile {
        # A configuration file under TestDrive holding $Text.
        param([string] $Text)
        $path = Join-Path $TestDrive ('config-' + [guid]::NewGuid().ToString('N') + '.json')
        [System.IO.File]::WriteAllText($path, $Text)
        $path
    }

    function ConvertTo-JsonText {
        param([string] $Text)
        $Text.Replace('\', '\\')
    }

    function Get-Report {
        param([string] $Folder, [string] $Prefix)
        @(Get-ChildItem -LiteralPath $Folder -Filter "$Prefix-*.json" | Sort-Object Name -Descending | ForEach-Object { Get-Content -Raw -LiteralPath $_.FullName | ConvertFrom-Json })
    }

    function Invoke-Constrained {
        # The script run from a session switched to ConstrainedLanguage, as
        # an untrusted script runs under WDAC or AppLocker; $Arguments is
        # PowerShell source text appended to the call.
        param([string] $Path, [string] $Arguments = '')
        $wrapper = Join-Path $TestDrive ('clm-' + [guid]::NewGuid().ToString('N') + '.ps1')
        $text = "`$ExecutionContext.SessionState.LanguageMode = 'ConstrainedLanguage'`n& '" + $Path.Replace("'", "''") + "' $Arguments`nexit `$LASTEXITCODE`n"
        [System.IO.File]::WriteAllText($wrapper, $text)
        Invoke-ScriptProcess -Path $wrapper
    }
}

Describe '<Name> with a configuration file' -ForEach $hostScripts {
    BeforeAll {
        $reports = Join-Path $TestDrive ('reports-' + [guid]::NewGuid().ToString('N'))
        $config = New-ConfigFile ('{{ "NesUri": "https://127.0.0.1:{0}/nes", "Site": "Plant 2", "TimeoutSec": 2, "ExpectedNes": 4, "ReportFolder": "{1}" }}' -f $Port, (ConvertTo-JsonText $reports))
        $common = @('-ModulePath', $ManifestPath, '-KspPath', $NoKsp, '-LogPath', $NoLogs) + $Extra
    }

    It 'takes the NES URL, site, counts and report folder from it' {
        $run = Invoke-ScriptProcess -Path $Path -Arguments $common -Environment @{ NYMIDIAG_CONFIG = $config }
        $run.StdErr | Should -BeNullOrEmpty
        $run.Lines.Count | Should -Be 1
        $run.Lines[0] | Should -Match "^STATUS=\w+ v=1 code=\w+ ksp=\?/12 nes=127\.0\.0\.1:$Port stage=\w+ finding=\S+ confidence=\w+ expiry=\S+ site=Plant_2 logs="
        $report = (Get-Report $reports $Prefix)[0]
        $report.site | Should -Be 'Plant 2'
        $report.settings.nes_uri | Should -Be "https://127.0.0.1:$Port/nes"
        $report.settings.timeout_sec | Should -Be 2
        $report.configuration.NesUri.source | Should -Be 'file'
        $report.configuration.NesUri.origin | Should -Be $config
        $report.configuration.ExpectedLocal.source | Should -Be 'default'
        $report.status_line | Should -BeExactly $run.Lines[0]
    }

    It 'lets a parameter win over it' {
        $run = Invoke-ScriptProcess -Path $Path -Arguments ($common + @('-Site', 'Line B', '-ExpectedNes', '12')) -Environment @{ NYMIDIAG_CONFIG = $config }
        $run.Lines[0] | Should -Match ' ksp=\?/20 .* site=Line_B logs='
        $report = (Get-Report $reports $Prefix)[0]
        $report.configuration.Site.source | Should -Be 'parameter'
    }

    It 'prints one CONFIG_INVALID line naming the file and the key when it is broken: <_>' -ForEach @(
        '{ "TimeoutSec": "twenty" }'
        '{ "NesUrl": "https://nes.corp.example/nes" }'
        '{ "Site": 42 }'
        '{ not json'
        '[ { "Site": "x" } ]'
    ) {
        $broken = New-ConfigFile $_
        $run = Invoke-ScriptProcess -Path $Path -Arguments ($common + @('-ReportFolder', $reports)) -Environment @{ NYMIDIAG_CONFIG = $broken }
        $run.StdErr | Should -BeNullOrEmpty
        $run.Lines.Count | Should -Be 1
        $run.Lines[0] | Should -Match '^STATUS=ERROR v=1 code=CONFIG_INVALID ksp=\?/20 nes=none stage=none detail=\S+$'
        $run.Lines[0] | Should -BeLike ('*detail=' + $broken.Replace(' ', '_') + '*')
        $run.ExitCode | Should -Be $ErrorExit
        $report = (Get-Report $reports $Prefix)[0]
        $report.error.code | Should -Be 'CONFIG_INVALID'
        $report.error.detail | Should -BeLike "$broken*"
        $report.diagnosis | Should -BeNullOrEmpty
    }

    It 'prints exactly one CONSTRAINED_LANGUAGE line and nothing on stderr under Constrained Language Mode' {
        $run = Invoke-Constrained -Path $Path -Arguments ("-ModulePath '{0}' -ReportFolder '{1}'" -f $ManifestPath, $reports)
        $run.StdErr | Should -BeNullOrEmpty
        $run.Lines.Count | Should -Be 1
        $run.Lines[0] | Should -Match '^STATUS=ERROR v=1 code=CONSTRAINED_LANGUAGE ksp=\?/20 nes=none stage=none detail=\S+$'
        $run.Lines[0] | Should -BeLike '*ConstrainedLanguage*sign*WDAC*AppLocker*'
        $run.Lines[0].Length | Should -BeLessOrEqual 2048
        $run.ExitCode | Should -Be $ErrorExit
    }
}

Describe 'exit codes under Constrained Language Mode' {
    It '<Script> <Arguments> exits <Exit>' -ForEach @(
        @{ Script = 'Intune/Detect-NymiNeaCertificates.ps1'; Arguments = ''; Exit = 1 }
        @{ Script = 'Intune/Detect-NymiNeaCertificates.ps1'; Arguments = '-FailOnError:$false'; Exit = 0 }
        @{ Script = 'Intune/Detect-NymiNeaCertificates.ps1'; Arguments = '-FailOnError'; Exit = 1 }
        @{ Script = 'Intune/Remediate-NymiNeaCertificates.ps1'; Arguments = ''; Exit = 1 }
        @{ Script = 'Gpo/Invoke-NymiStartupCheck.ps1'; Arguments = ''; Exit = 0 }
        @{ Script = 'Gpo/Invoke-NymiStartupCheck.ps1'; Arguments = '-ExitWithStatus'; Exit = 2 }
    ) {
        $run = Invoke-Constrained -Path (Join-Path $RepoRoot "powershell/$Script") -Arguments $Arguments
        $run.StdErr | Should -BeNullOrEmpty
        @($run.Lines).Count | Should -Be 1
        $run.ExitCode | Should -Be $Exit
    }
}

Describe 'what Intune counts from the detection script' {
    BeforeAll {
        $lines = @{
            OK = 'STATUS=OK code=HEALTHY ksp=20/20 nes=nes.corp.example:443 stage=none finding=none confidence=high logs=none'
            ISSUE = 'STATUS=ISSUE code=NEA_CERTS_NOT_RETRIEVED_TCP_BLOCKED ksp=8/20 nes=nes.corp.example:443 stage=tcp finding=NES_TCP_TIMEOUT confidence=high logs=none'
            ERROR = 'STATUS=ERROR code=INCONCLUSIVE ksp=?/20 nes=nes.corp.example:443 stage=tcp finding=NES_TCP_REFUSED confidence=low logs=unread'
        }
        $stubs = @{}
        foreach ($status in $lines.Keys) { $stubs[$status] = New-StubNymiDiagModule -Path (Join-Path $TestDrive "exit-$status/NymiDiag") -StatusLine $lines[$status] }
        $failOff = New-ConfigFile '{ "FailOnError": false }'
        $failOn = New-ConfigFile '{ "FailOnError": true }'
    }

    It '<Status> with configuration <Config> and <Arguments> exits <Exit>' -ForEach @(
        @{ Status = 'OK'; Config = 'none'; Arguments = @(); Exit = 0 }
        @{ Status = 'ISSUE'; Config = 'none'; Arguments = @(); Exit = 1 }
        @{ Status = 'ERROR'; Config = 'none'; Arguments = @(); Exit = 1 }
        @{ Status = 'ERROR'; Config = 'off'; Arguments = @(); Exit = 0 }
        @{ Status = 'ERROR'; Config = 'on'; Arguments = @(); Exit = 1 }
        @{ Status = 'ERROR'; Config = 'off'; Arguments = @('-FailOnError'); Exit = 1 }
        @{ Status = 'ERROR'; Config = 'on'; Arguments = @('-FailOnError:$false'); Exit = 0 }
        @{ Status = 'ISSUE'; Config = 'off'; Arguments = @(); Exit = 1 }
        @{ Status = 'OK'; Config = 'on'; Arguments = @(); Exit = 0 }
    ) {
        $environment = @{ NYMIDIAG_CONFIG = $null }
        if ($Config -eq 'off') { $environment['NYMIDIAG_CONFIG'] = $failOff }
        if ($Config -eq 'on') { $environment['NYMIDIAG_CONFIG'] = $failOn }
        $reports = Join-Path $TestDrive ('exit-reports-' + [guid]::NewGuid().ToString('N'))
        $run = Invoke-ScriptProcess -Path $DetectScript -Arguments (@('-ModulePath', $stubs[$Status], '-ReportFolder', $reports) + $Arguments) -Environment $environment
        $run.StdErr | Should -BeNullOrEmpty
        $run.Lines | Should -Be @($lines[$Status])
        $run.ExitCode | Should -Be $Exit
    }
}

Describe 'the detection line after a remediation' {
    BeforeAll {
        $blocked = 'STATUS=ISSUE code=NEA_CERTS_NOT_RETRIEVED_TCP_BLOCKED ksp=8/20 nes=nes.corp.example:443 stage=tcp finding=NES_TCP_TIMEOUT confidence=high logs=none'
        $stub = New-StubNymiDiagModule -Path (Join-Path $TestDrive 'last-repair/NymiDiag') -StatusLine $blocked -Repair ([ordered]@{ Action = 'none'; Reason = 'NES unreachable'; Before = '8/20'; After = $null; Fixed = $false; NesReachable = $false })

        function New-ReportFolder {
            # A report folder holding files named as Save-NymiReport names
            # them, each a small report; $Repairs maps a remediation file
            # name to its repair record ($null: none).
            param([string[]] $Names, [hashtable] $Repairs = @{})
            $folder = Join-Path $TestDrive ('folder-' + [guid]::NewGuid().ToString('N'))
            New-Item -ItemType Directory -Path $folder | Out-Null
            foreach ($name in $Names) {
                $document = [ordered]@{ kind = 'x' }
                if ($Repairs.ContainsKey($name)) { $document['repair'] = $Repairs[$name] }
                elseif ($name -like 'remediation-*') { $document['repair'] = [ordered]@{ action = 'restarted'; before = '8/20'; after = '20/20'; reason_code = $null } }
                [System.IO.File]::WriteAllText((Join-Path $folder $name), (ConvertTo-Json $document -Depth 4))
            }
            $folder
        }
    }

    It 'carries the repair in the Intune sequence detection, remediation, detection, and not the day after' {
        $reports = Join-Path $TestDrive 'sequence'
        $arguments = @('-ModulePath', $stub, '-ReportFolder', $reports)
        $first = Invoke-ScriptProcess -Path $DetectScript -Arguments $arguments
        $first.Lines | Should -Be @($blocked)
        Start-Sleep -Milliseconds 1100
        $remediation = Invoke-ScriptProcess -Path $RemediateScript -Arguments ($arguments + @('-NesUri', 'https://nes.corp.example/nes', '-WaitSec', '0'))
        $remediation.Lines[0] | Should -BeExactly ($blocked + ' repair=none before=8/20 reason=NES_unreachable')
        Start-Sleep -Milliseconds 1100
        $after = Invoke-ScriptProcess -Path $DetectScript -Arguments $arguments
        $after.StdErr | Should -BeNullOrEmpty
        $after.Lines | Should -Be @($blocked + ' repair=none before=8/20 reason=NES_unreachable')
        $after.ExitCode | Should -Be 1
        $report = (Get-Report $reports 'diagnosis')[0]
        $report.last_repair.repair.action | Should -Be 'none'
        $report.last_repair.report | Should -BeLike '*remediation-*.json'
        Start-Sleep -Milliseconds 1100
        $nextDay = Invoke-ScriptProcess -Path $DetectScript -Arguments $arguments
        $nextDay.Lines | Should -Be @($blocked)
    }

    It '<Case>' -ForEach @(
        @{ Case = 'a remediation newer than the last detection is shown'; Names = @('diagnosis-20261201-080000.json', 'remediation-20261201-080100.json'); Want = ' repair=restarted before=8/20 after=20/20' }
        @{ Case = 'a remediation older than the last detection is not'; Names = @('remediation-20261201-080000.json', 'diagnosis-20261201-080100.json'); Want = '' }
        @{ Case = 'a remediation with no detection before it is shown'; Names = @('remediation-20261130-235959.json'); Want = ' repair=restarted before=8/20 after=20/20' }
        @{ Case = 'no remediation, nothing'; Names = @('diagnosis-20261201-080000.json', 'startup-20261201-090000.json'); Want = '' }
        @{ Case = 'the same second: the later counter wins'; Names = @('diagnosis-20261201-080000.json', 'remediation-20261201-080000-1.json', 'diagnosis-20261201-080000-2.json'); Want = '' }
        @{ Case = 'the same second, remediation counted last'; Names = @('diagnosis-20261201-080000.json', 'remediation-20261201-080000-1.json'); Want = ' repair=restarted before=8/20 after=20/20' }
        @{ Case = 'other files are ignored'; Names = @('diagnosis-20261201-080000.json', 'remediation-20261201-080100.json.partial', 'remediation-latest.json', 'xremediation-20261201-090000.json'); Want = '' }
        @{ Case = 'the newest of several remediations'; Names = @('remediation-20261201-070000.json', 'diagnosis-20261201-075000.json', 'remediation-20261201-080000.json'); Repairs = @{ 'remediation-20261201-080000.json' = [ordered]@{ action = 'failed'; before = '8/20'; after = $null; reason_code = 'service_not_found' } }; Want = ' repair=failed before=8/20 reason=service_not_found' }
        @{ Case = 'a remediation without a repair record (it could not run)'; Names = @('diagnosis-20261201-080000.json', 'remediation-20261201-080100.json'); Repairs = @{ 'remediation-20261201-080100.json' = $null }; Want = '' }
    ) {
        $repairs = @{}
        if ($_.ContainsKey('Repairs')) { $repairs = $_['Repairs'] }
        $folder = New-ReportFolder -Names $Names -Repairs $repairs
        $run = Invoke-ScriptProcess -Path $DetectScript -Arguments @('-ModulePath', $stub, '-ReportFolder', $folder)
        $run.StdErr | Should -BeNullOrEmpty
        $run.Lines | Should -Be @($blocked + $Want)
    }

    It 'is unchanged, with a warning in the report, when the remediation report is not JSON' {
        $folder = New-ReportFolder -Names @('diagnosis-20261201-080000.json')
        [System.IO.File]::WriteAllText((Join-Path $folder 'remediation-20261201-080100.json'), '{ "repair": ')
        $run = Invoke-ScriptProcess -Path $DetectScript -Arguments @('-ModulePath', $stub, '-ReportFolder', $folder)
        $run.StdErr | Should -BeNullOrEmpty
        $run.Lines | Should -Be @($blocked)
        $run.ExitCode | Should -Be 1
        $report = (Get-Report $folder 'diagnosis')[0]
        @($report.warnings) -join ' ' | Should -BeLike '*last remediation report could not be read*'
    }
}
