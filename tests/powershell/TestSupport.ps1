# Shared paths for the Pester tests; dot-sourced in BeforeAll/BeforeDiscovery.
$script:RepoRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
$script:ModuleRoot = Join-Path $script:RepoRoot 'powershell/NymiDiag'
$script:ManifestPath = Join-Path $script:ModuleRoot 'NymiDiag.psd1'
$script:IncludeRoot = Join-Path $script:RepoRoot 'include'
# The executable of this edition, for tests that need a fresh process
# (powershell.exe under 5.1; pwsh under 7, also when installed as a dotnet
# tool, where the current process is 'dotnet').
$script:PwshPath = (Get-Process -Id $PID).Path
if ($PSVersionTable.PSEdition -eq 'Desktop') {
    $script:PwshPath = Join-Path $PSHOME 'powershell.exe'
}
else {
    foreach ($name in 'pwsh.exe', 'pwsh') {
        if (Test-Path (Join-Path $PSHOME $name)) { $script:PwshPath = Join-Path $PSHOME $name; break }
    }
}

function Get-CrateVersion {
    $text = Get-Content -Raw (Join-Path $script:RepoRoot 'Cargo.toml')
    if ($text -match '(?m)^version\s*=\s*"([^"]+)"') { return $Matches[1] }
    throw 'no version in Cargo.toml'
}

function Get-PowerShellSourceFile {
    # Every script the module, the build and the tests consist of.
    $paths = @(
        (Join-Path $script:RepoRoot 'powershell'),
        (Join-Path $script:RepoRoot 'tests/powershell')
    )
    @(Get-ChildItem -Path $paths -Recurse -File -Include '*.ps1', '*.psm1', '*.psd1' |
            Where-Object { $_.FullName -notmatch '[\\/]bin[\\/]' }) +
    @(Get-Item (Join-Path $script:RepoRoot 'build.ps1'))
}

function New-NeaFixtureSet {
    # Writes the generated NEA key stores (tests/fixture_stores.rs) into a
    # new temporary folder and returns its manifest; the caller removes
    # $manifest.root when done. Needs cargo: the certificates are made fresh
    # for each run, nothing secret is committed.
    $root = Join-Path ([System.IO.Path]::GetTempPath()) ('nymidiag-nea-' + [guid]::NewGuid().ToString('N'))
    $env:NYMIDIAG_FIXTURE_DIR = $root
    try {
        Push-Location $script:RepoRoot
        $output = & cargo test --quiet --locked --all-features --test fixture_stores -- --ignored 2>&1
        if ($LASTEXITCODE -ne 0) { throw "fixture generation failed: $($output | Out-String)" }
    }
    finally {
        Pop-Location
        Remove-Item Env:NYMIDIAG_FIXTURE_DIR
    }
    Get-Content -Raw (Join-Path $root 'manifest.json') | ConvertFrom-Json
}

function Get-TreeSnapshot {
    # Size, write time and hash of every file below $Path, to prove that a
    # command changed nothing. Links are left out (the bad-input fixture has
    # a link loop) and empty files are not opened: a FIFO also reports
    # length 0, and opening one would block.
    param([string] $Path)
    $root = New-Object System.IO.DirectoryInfo $Path
    foreach ($file in @($root.EnumerateFiles('*', [System.IO.SearchOption]::AllDirectories) | Sort-Object FullName)) {
        if ($file.Attributes -band [System.IO.FileAttributes]::ReparsePoint) { continue }
        $hash = ''
        if ($file.Length -gt 0) {
            $sha = [System.Security.Cryptography.SHA256]::Create()
            $stream = [System.IO.File]::Open($file.FullName, 'Open', 'Read', 'ReadWrite')
            try { $hash = [System.BitConverter]::ToString($sha.ComputeHash($stream)) }
            finally { $stream.Dispose(); $sha.Dispose() }
        }
        '{0}|{1}|{2}|{3}' -f $file.FullName, $file.Length, $file.LastWriteTimeUtc.Ticks, $hash
    }
}

function Start-MockNes {
    # Starts the loopback mock NES (tests/mock_nes.rs) in the background and
    # returns its manifest plus the process; Stop-MockNes ends it. It serves
    # on 127.0.0.1 only and stops by itself after $Seconds.
    param([int] $Seconds = 300, [int] $SlowMs = 8000)
    $dir = Join-Path ([System.IO.Path]::GetTempPath()) ('nymidiag-mock-' + [guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory -Path $dir | Out-Null
    $out = Join-Path $dir 'mock-nes.json'
    $info = New-Object System.Diagnostics.ProcessStartInfo
    $info.FileName = 'cargo'
    $info.Arguments = 'test --quiet --locked --all-features --test mock_nes -- --ignored --exact serve_mock_nes'
    $info.WorkingDirectory = $script:RepoRoot
    $info.UseShellExecute = $false
    $info.RedirectStandardOutput = $true
    $info.RedirectStandardError = $true
    $info.EnvironmentVariables['NYMIDIAG_MOCK_NES_OUT'] = $out
    $info.EnvironmentVariables['NYMIDIAG_MOCK_NES_SECONDS'] = [string]$Seconds
    $info.EnvironmentVariables['NYMIDIAG_MOCK_NES_SLOW_MS'] = [string]$SlowMs
    $process = [System.Diagnostics.Process]::Start($info)
    # Building the test binary may take a while on a cold target folder.
    $limit = [datetime]::UtcNow.AddMinutes(5)
    while (-not (Test-Path $out)) {
        if ($process.HasExited) { throw "the mock NES exited early: $($process.StandardError.ReadToEnd())" }
        if ([datetime]::UtcNow -gt $limit) { $process.Kill(); throw 'the mock NES did not start within 5 minutes' }
        Start-Sleep -Milliseconds 200
    }
    # Keep draining its output. The test harness prints a line when a test
    # runs for over 60 s; once the caller drops $process, the garbage
    # collector closes unread pipes, and that write would end the server.
    $process.BeginOutputReadLine()
    $process.BeginErrorReadLine()
    [PSCustomObject]@{ Manifest = (Get-Content -Raw $out | ConvertFrom-Json); Process = $process; Folder = $dir }
}

function Stop-MockNes {
    param([int] $ProcessId, [string] $Folder)
    # cargo runs the test binary as a child: end the server (its pid is in
    # the manifest) and cargo.
    Stop-Process -Id $ProcessId -Force -ErrorAction SilentlyContinue
    if ($Folder) { Remove-Item -Recurse -Force -LiteralPath $Folder -ErrorAction SilentlyContinue }
}
