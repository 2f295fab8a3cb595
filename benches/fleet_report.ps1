# Time of Get-NymiFleetReport against Import-Csv of the same export, in
# the same run, and of a folder of JSON reports.
#
# Generates (in a temporary folder, removed at the end):
# - an Intune export report CSV (DeviceRunStatesByProactiveRemediation's
#   columns) of -Devices rows, the status lines varied over the verdicts,
#   NES, sites, expiries, versions 0 and 1, and a few cut lines;
# - a folder of -Devices JSON reports in 100 subfolders: the diagnosis of
#   Invoke-NymiDiagnosis -Demo (a real report, tens of kilobytes), with
#   host, time and status line varied per file.
# Prints the median of -Runs runs of Import-Csv and of
# Get-NymiFleetReport -Path on the CSV, their ratio (the target is at most
# 3.0), and the median of the folder read.
# Usage: pwsh -NoProfile -File benches/fleet_report.ps1 [-Devices 10000] [-Runs 5] [-SkipFolder]
param([int] $Devices = 10000, [int] $Runs = 5, [switch] $SkipFolder)
Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'
$root = Split-Path -Parent $PSScriptRoot
Import-Module (Join-Path $root 'powershell/NymiDiag/NymiDiag.psd1') -Force

function Measure-Median([scriptblock] $Block) {
    # One run first, not counted: the first call pays for PowerShell
    # compiling its script blocks and the files entering the page cache.
    & $Block
    $times = @(for ($i = 0; $i -lt $Runs; $i++) { (Measure-Command $Block).TotalMilliseconds })
    $sorted = @($times | Sort-Object)
    $sorted[[int][math]::Floor($sorted.Count / 2)]
}

$verdicts = @(
    @('OK', 'HEALTHY', 'none', 'none'),
    @('ISSUE', 'NEA_CERTS_NOT_RETRIEVED_DNS', 'dns', 'NES_DNS_FAILED'),
    @('ISSUE', 'NEA_CERTS_NOT_RETRIEVED_TCP_BLOCKED', 'tcp', 'NES_TCP_TIMEOUT'),
    @('ISSUE', 'NEA_CERTS_NOT_RETRIEVED_TLS_UNTRUSTED', 'tls', 'NES_TLS_UNTRUSTED'),
    @('ISSUE', 'CERTS_OK_NES_UNREACHABLE', 'tcp', 'NES_TCP_REFUSED'),
    @('ERROR', 'INCONCLUSIVE', 'none', 'none')
)

function New-BenchLine([int] $i) {
    # Most terminals healthy; a stable mix of causes, NES, sites and expiries.
    $v = $verdicts[0]
    if ($i % 10 -ge 6) { $v = $verdicts[1 + ($i % 5)] }
    $ksp = if ($v[1] -eq 'HEALTHY' -or $v[1] -eq 'CERTS_OK_NES_UNREACHABLE') { '20/20' } else { '8/20' }
    $expiry = ([datetime]'2026-05-20').AddDays($i % 28).ToString('yyyy-MM-dd')
    $nes = 'nes0{0}.corp.example:443' -f (1 + $i % 3)
    $logs = if ($v[0] -eq 'ISSUE') { 'LOG_NEA_CERTS_NOT_RETRIEVED,LOG_NES_TOKEN_REQUEST_FAILED' } else { 'none' }
    if ($i % 97 -eq 0) {
        # A line Intune cut at 2,048 characters: its start is gone.
        return 'ksp={0} nes={1} stage={2} finding={3} confidence=high logs={4}' -f $ksp, $nes, $v[2], $v[3], $logs
    }
    if ($i % 3 -eq 0) {
        # Version 0, as today's terminals print.
        return 'STATUS={0} code={1} ksp={2} nes={3} stage={4} finding={5} confidence=high logs={6}' -f $v[0], $v[1], $ksp, $nes, $v[2], $v[3], $logs
    }
    'STATUS={0} v=1 code={1} ksp={2} nes={3} stage={4} finding={5} confidence=high expiry={6} site=plant{7} logs={8}' -f $v[0], $v[1], $ksp, $nes, $v[2], $v[3], $expiry, ($i % 7), $logs
}

$folder = Join-Path ([System.IO.Path]::GetTempPath()) ('nymidiag-fleet-bench-' + [guid]::NewGuid().ToString('N'))
$null = New-Item -ItemType Directory -Path $folder
try {
    # The export CSV, written as Intune writes it: UTF-8 with BOM, every
    # field quoted, CRLF.
    $csv = Join-Path $folder 'DeviceRunStatesByProactiveRemediation.csv'
    $builder = New-Object System.Text.StringBuilder
    $null = $builder.Append('"DeviceId","DeviceName","DetectionStatus","PreRemediationDetectionScriptOutput","PostRemediationDetectionScriptOutput","RemediationStatus","ModifiedTime","OSVersion"' + "`r`n")
    $start = ([datetime]'2026-05-29T00:00:00Z').ToUniversalTime()
    for ($i = 0; $i -lt $Devices; $i++) {
        $line = New-BenchLine $i
        $status = if ($line.StartsWith('STATUS=OK')) { 'Without issues' } else { 'With issues' }
        $seen = $start.AddMinutes(-7 * $i).ToString('yyyy-MM-ddTHH:mm:ss.fffZ', [System.Globalization.CultureInfo]::InvariantCulture)
        $null = $builder.AppendFormat('"{0}","TERM-{1:D5}","{2}","{3}","","Not run","{4}","10.0.22631.3447"' + "`r`n", [guid]::NewGuid(), $i, $status, $line, $seen)
    }
    [System.IO.File]::WriteAllText($csv, $builder.ToString(), (New-Object System.Text.UTF8Encoding ($true)))
    $csvBytes = (Get-Item -LiteralPath $csv).Length

    $import = Measure-Median { $null = Import-Csv -LiteralPath $csv }
    $fleet = Measure-Median { $null = Get-NymiFleetReport -Path $csv }
    $report = Get-NymiFleetReport -Path $csv
    Write-Output ('CSV: {0} rows, {1:N1} MB; {2} devices, {3} unparsed, {4} groups by verdict' -f $Devices, ($csvBytes / 1MB), $report.Total, $report.Unparsed.Count, $report.ByVerdict.Count)
    Write-Output ('Import-Csv median {0,8:N0} ms' -f $import)
    Write-Output ('Get-NymiFleetReport -Path <csv> median {0,8:N0} ms' -f $fleet)
    Write-Output ('ratio Get-NymiFleetReport / Import-Csv: {0:N2} (target <= 3.0)' -f ($fleet / $import))

    if (-not $SkipFolder) {
        $template = (Invoke-NymiDiagnosis -Demo -WarningAction SilentlyContinue).Json
        $reports = Join-Path $folder 'reports'
        $hostPattern = New-Object System.Text.RegularExpressions.Regex ('"host"\s*:\s*"[^"]*"')
        $timePattern = New-Object System.Text.RegularExpressions.Regex ('"started_utc"\s*:\s*"[^"]*"')
        $linePattern = New-Object System.Text.RegularExpressions.Regex ('"status_line"\s*:\s*"[^"]*"')
        $utf8 = New-Object System.Text.UTF8Encoding ($false)
        for ($d = 0; $d -lt 100; $d++) { $null = New-Item -ItemType Directory -Path (Join-Path $reports ('site{0:D2}' -f $d)) }
        for ($i = 0; $i -lt $Devices; $i++) {
            $text = $hostPattern.Replace($template, ('"host": "TERM-{0:D5}"' -f $i), 1)
            $seen = $start.AddMinutes(-7 * $i).ToString('yyyy-MM-ddTHH:mm:ss.fffZ', [System.Globalization.CultureInfo]::InvariantCulture)
            $text = $timePattern.Replace($text, ('"started_utc": "{0}"' -f $seen), 1)
            $text = $linePattern.Replace($text, ('"status_line": "{0}"' -f (New-BenchLine $i)), 1)
            $path = Join-Path $reports ('site{0:D2}/NymiDiag-{1:D5}.json' -f ($i % 100), $i)
            [System.IO.File]::WriteAllText($path, $text, $utf8)
        }
        $reportBytes = $utf8.GetByteCount($template)
        $folderTime = Measure-Median { $null = Get-NymiFleetReport -Path $reports }
        $fromFolder = Get-NymiFleetReport -Path $reports
        Write-Output ('folder: {0} JSON reports of about {1:N0} KB ({2:N0} MB), {3} devices, {4} unparsed' -f $Devices, ($reportBytes / 1KB), ($reportBytes * $Devices / 1MB), $fromFolder.Total, $fromFolder.Unparsed.Count)
        Write-Output ('Get-NymiFleetReport -Path <folder> median {0,8:N0} ms' -f $folderTime)
    }
}
finally {
    Remove-Item -LiteralPath $folder -Recurse -Force -ErrorAction SilentlyContinue
}
