# Time of Invoke-NymiDiagnosis compared, in the same run, with the three
# commands it replaces run one after another (Get-NymiNeaCertificate,
# Search-NymiLog, Test-NymiNesConnection) on the same generated broken
# terminal, against two loopback NES: a closed port and a server that
# accepts TCP and never answers the TLS handshake (the probe waits for its
# deadline). Prints the median of -Runs runs of each.
# Usage: pwsh -NoProfile -File benches/compare_diagnosis.ps1 [-Runs 5] [-TimeoutSec 3]
param([int] $Runs = 5, [int] $TimeoutSec = 3)
Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'
$root = Split-Path -Parent $PSScriptRoot
Import-Module (Join-Path $root 'powershell/NymiDiag/NymiDiag.psd1') -Force

$folder = Join-Path ([System.IO.Path]::GetTempPath()) ('nymidiag-bench-' + [guid]::NewGuid().ToString('N'))
# The generator is private: call it inside the module.
$terminal = & (Get-Module NymiDiag) { param($Path) NewNymiDemoTerminal -Path $Path } $folder
# Listening but never accepting: the kernel completes TCP, nobody speaks TLS.
$stall = New-Object System.Net.Sockets.TcpListener ([System.Net.IPAddress]::Loopback, 0)
$stall.Start()
$targets = [ordered]@{
    'closed port' = $terminal.NesUri
    'stalled TLS' = 'https://127.0.0.1:{0}/nes' -f $stall.LocalEndpoint.Port
}

function Measure-Median([scriptblock] $Block) {
    # One run first, not counted: the first call of each command pays for
    # PowerShell compiling its script blocks.
    & $Block
    $times = @(for ($i = 0; $i -lt $Runs; $i++) { (Measure-Command $Block).TotalMilliseconds })
    $sorted = @($times | Sort-Object)
    [math]::Round($sorted[[int][math]::Floor($sorted.Count / 2)], 0)
}

try {
    Write-Output ("runs: {0}, probe deadline: {1} s, terminal: 8 certificates, {2} log files" -f $Runs, $TimeoutSec, @(Get-ChildItem $terminal.LogPath -File).Count)
    foreach ($name in $targets.Keys) {
        $uri = $targets[$name]
        $diagnosis = Measure-Median {
            Invoke-NymiDiagnosis -NesUri $uri -KspPath $terminal.KspPath -LogPath $terminal.LogPath -TimeoutSec $TimeoutSec -WarningAction SilentlyContinue | Out-Null
        }
        $separate = Measure-Median {
            Get-NymiNeaCertificate -Path $terminal.KspPath -Summary -WarningAction SilentlyContinue | Out-Null
            Search-NymiLog -Path $terminal.LogPath | Out-Null
            Test-NymiNesConnection -Uri $uri -TimeoutSec $TimeoutSec | Out-Null
        }
        Write-Output ("{0,-12} Invoke-NymiDiagnosis median {1,6} ms   three commands in sequence median {2,6} ms" -f $name, $diagnosis, $separate)
    }
}
finally {
    $stall.Stop()
    Remove-Item -LiteralPath $folder -Recurse -Force -ErrorAction SilentlyContinue
}
