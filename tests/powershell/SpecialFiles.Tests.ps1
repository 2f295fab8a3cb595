# FIFOs given as a log path or found among the logs and in a key store:
# opening one for reading would wait for a writer forever. Every command
# must skip them with the reason and end, and the Intune detection must
# still print its status line. Off Windows only: Windows has no FIFOs in
# the file system (named pipes live in their own namespace).
BeforeDiscovery {
    $NoFifo = [System.Environment]::OSVersion.Platform -eq 'Win32NT'
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    Import-Module $ManifestPath -Force
    $DetectScript = Join-Path $RepoRoot 'powershell/Intune/Detect-NymiNeaCertificates.ps1'

    function New-Fifo {
        param([string] $Path)
        & mkfifo $Path
        if ($LASTEXITCODE -ne 0) { throw "mkfifo $Path failed" }
        $Path
    }

    # Runs a command in a child job with a bound, so that a hang fails the
    # test instead of stopping the run.
    function Invoke-Bounded {
        param([scriptblock] $Script, [object[]] $Arguments, [int] $Seconds = 60)
        $job = Start-Job -ScriptBlock $Script -ArgumentList $Arguments
        try {
            if (-not (Wait-Job -Job $job -Timeout $Seconds)) { throw "did not end within $Seconds s" }
            Receive-Job -Job $job -ErrorAction Stop
        }
        finally {
            Remove-Job -Job $job -Force
        }
    }

    # A generated broken terminal (8 local certificates, logs naming a
    # closed loopback port).
    $terminal = InModuleScope NymiDiag -Parameters @{ Path = (Join-Path $TestDrive 'terminal') } {
        param($Path)
        NewNymiDemoTerminal -Path $Path -Scenario 'not-retrieved'
    }
    $fifoDir = Join-Path $TestDrive 'fifo-logs'
    New-Item -ItemType Directory -Path $fifoDir | Out-Null
    $fifoLog = New-Fifo (Join-Path $fifoDir 'nymi_api.log')
    # A FIFO among the real logs, and one among the key store's files.
    New-Fifo (Join-Path $terminal.LogPath 'WGSS_Nymi.old.log') | Out-Null
    New-Fifo (Join-Path $terminal.KspPath 'zz-fifo.cer') | Out-Null
}

Describe 'Special files' -Skip:$NoFifo {
    It 'Search-NymiLog skips a FIFO given as the path, with the reason' {
        $scan = @(Invoke-Bounded -Arguments $ManifestPath, $fifoLog -Script {
            param($Manifest, $Path)
            Import-Module $Manifest
            $r = Search-NymiLog -Path $Path -Raw | ConvertFrom-Json
            @($r.data.not_scanned | ForEach-Object { '{0}|{1}' -f $_.reason, $_.detail })
        })
        @($scan) | Should -HaveCount 1
        $scan[0] | Should -Match '^not_a_file\|.*FIFO'
    }

    It 'Invoke-NymiDiagnosis ends with a verdict when -LogPath is a FIFO' {
        $line = Invoke-Bounded -Arguments $ManifestPath, $terminal.KspPath, $fifoLog -Script {
            param($Manifest, $Ksp, $Path)
            Import-Module $Manifest
            (Invoke-NymiDiagnosis -KspPath $Ksp -LogPath $Path -TimeoutSec 3).StatusLine
        }
        $line | Should -Match '^STATUS=ISSUE v=1 code=NEA_CERTS_NOT_RETRIEVED_\w+ ksp=8/20 '
    }

    It 'does not count a FIFO in the key store, and reads the real logs beside a FIFO' {
        $d = Invoke-Bounded -Arguments $ManifestPath, $terminal.KspPath, $terminal.LogPath -Script {
            param($Manifest, $Ksp, $Logs)
            Import-Module $Manifest
            $r = Invoke-NymiDiagnosis -KspPath $Ksp -LogPath $Logs -TimeoutSec 3 -Raw | ConvertFrom-Json
            [PSCustomObject]@{
                Line = $r.data.status_line
                Skipped = [int]$r.data.inputs.cert_inventory.data.stores[0].counts.skipped_entries
                LogsRead = [int]$r.data.inputs.log_scan.data.coverage.files_read
            }
        }
        $d.Line | Should -Match ' ksp=8/20 '
        $d.Skipped | Should -Be 1
        $d.LogsRead | Should -BeGreaterThan 0
    }

    It 'the Intune detection prints its status line when -LogPath is a FIFO' {
        $run = Invoke-ScriptProcess -Path $DetectScript -TimeoutSec 120 -Arguments @(
            '-ModulePath', $ManifestPath, '-KspPath', $terminal.KspPath, '-LogPath', $fifoLog,
            '-ReportFolder', (Join-Path $TestDrive 'reports'), '-TimeoutSec', '3')
        $run.Lines | Should -HaveCount 1
        $run.Lines[0] | Should -Match '^STATUS=ISSUE v=1 code=NEA_CERTS_NOT_RETRIEVED_\w+ ksp=8/20 '
        $run.StdErr | Should -BeNullOrEmpty
    }
}
