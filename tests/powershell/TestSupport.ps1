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
    # on 127.0.0.1 only and stops by itself after $Seconds, a safety net
    # for an aborted run: the files start it at discovery, which Pester
    # runs for every file before the first test, so it must outlive the
    # whole run (each file's AfterAll stops its own).
    param([int] $Seconds = 5400, [int] $SlowMs = 8000)
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

function Invoke-ScriptProcess {
    # Runs a script the way Intune and Group Policy do, in a fresh process
    # of this edition (-NoProfile -NonInteractive -ExecutionPolicy Bypass
    # -File), with stdin closed so that a prompt fails instead of waiting.
    # Returns stdout, stderr, the exit code and the run time, separately.
    # $Environment adds variables to the child's; a $null value removes one.
    param(
        [Parameter(Mandatory = $true)][string] $Path,
        [string[]] $Arguments = @(),
        [hashtable] $Environment = @{},
        [int] $TimeoutSec = 300
    )
    $quote = {
        param([string] $Text)
        if ($Text -and $Text -notmatch '[\s"]') { return $Text }
        # CommandLineToArgvW rules, which .NET also follows off Windows.
        '"' + (($Text -replace '(\\*)"', '$1$1\"') -replace '(\\+)$', '$1$1') + '"'
    }
    $all = @('-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-File', $Path) + $Arguments
    $info = New-Object System.Diagnostics.ProcessStartInfo
    $info.FileName = $script:PwshPath
    $info.Arguments = (@($all | ForEach-Object { & $quote $_ }) -join ' ')
    $info.UseShellExecute = $false
    $info.RedirectStandardInput = $true
    $info.RedirectStandardOutput = $true
    $info.RedirectStandardError = $true
    # The tests talk only to loopback servers: no proxy from this machine.
    foreach ($name in @($info.EnvironmentVariables.Keys)) {
        if ($name -match '^(https?|all)_proxy$') { $info.EnvironmentVariables.Remove($name) }
    }
    foreach ($name in @($Environment.Keys)) {
        if ($null -eq $Environment[$name]) { $info.EnvironmentVariables.Remove($name) }
        else { $info.EnvironmentVariables[$name] = [string]$Environment[$name] }
    }
    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    $process = [System.Diagnostics.Process]::Start($info)
    try {
        $process.StandardInput.Close()
        $stdout = $process.StandardOutput.ReadToEndAsync()
        $stderr = $process.StandardError.ReadToEndAsync()
        if (-not $process.WaitForExit($TimeoutSec * 1000)) {
            $process.Kill()
            throw "$Path did not end within $TimeoutSec s"
        }
        $process.WaitForExit()
        $clock.Stop()
        $out = $stdout.Result
        [PSCustomObject]@{
            StdOut = $out
            StdErr = $stderr.Result
            ExitCode = $process.ExitCode
            Seconds = $clock.Elapsed.TotalSeconds
            Lines = @($out -split '\r?\n' | Where-Object { $_ -ne '' })
        }
    }
    finally {
        $process.Dispose()
    }
}

function New-FolderLink {
    # A folder link to $Target: a junction on Windows (no privilege needed,
    # unlike a symbolic link), a symbolic link elsewhere. Both are reparse
    # points, which is what the report writer refuses.
    param([string] $Path, [string] $Target)
    $type = 'SymbolicLink'
    if ([System.Environment]::OSVersion.Platform -eq [System.PlatformID]::Win32NT) { $type = 'Junction' }
    New-Item -ItemType $type -Path $Path -Target $Target | Out-Null
}

function New-StubNymiDiagModule {
    # A stand-in NymiDiag module (manifest and psm1) under $Path for the
    # host script tests: Invoke-NymiDiagnosis returns $StatusLine (or
    # throws $DiagnosisError) with NesUri $DiagnosisNesUri (its source
    # $DiagnosisNesUriSource); with $Repair, Repair-NymiNeaCertificate
    # returns it (or throws when it is the string 'throw') and records the
    # parameters it was called with in $Path/repair-call.json (an older
    # module's, without -NesUriSource, with -RepairWithoutNesUriSource). Save-NymiReport
    # is the module's own unless -NoReport (a module older than it).
    param(
        [Parameter(Mandatory = $true)][string] $Path,
        [string] $Version = '0.1.0',
        [string] $StatusLine = 'STATUS=OK code=HEALTHY ksp=20/20 nes=nes.corp.example:443 stage=none finding=none confidence=high logs=none',
        [string] $DiagnosisError,
        [string] $DiagnosisNesUri = 'https://nes.corp.example/nes',
        [string] $DiagnosisNesUriSource = 'log_nes_context',
        [object] $Repair,
        [switch] $RepairWithoutNesUriSource,
        [switch] $NoReport
    )
    $literal = { param([string] $Text) "'" + $Text.Replace("'", "''") + "'" }
    New-Item -ItemType Directory -Force -Path $Path | Out-Null
    # The scripts call the module's own Invoke-NymiUnattendedCheck, which
    # calls the stand-ins below.
    $functions = @('Invoke-NymiDiagnosis', 'Invoke-NymiUnattendedCheck')
    $code = New-Object System.Text.StringBuilder
    foreach ($file in 'Private/Configuration.ps1', 'Private/ConfiguredSettings.ps1', 'Private/UnattendedCheck.ps1', 'Public/Invoke-NymiUnattendedCheck.ps1') {
        [void]$code.AppendLine('. ' + (& $literal (Join-Path $RepoRoot ('powershell/NymiDiag/' + $file))))
    }
    [void]$code.AppendLine('function Invoke-NymiDiagnosis {')
    [void]$code.AppendLine('    [CmdletBinding()] param([string] $NesUri, [string[]] $KspPath, [string[]] $LogPath, [int] $TimeoutSec, [string] $TrustedRootPath, [int] $ExpectedLocal, [int] $ExpectedNes, [string] $Site)')
    if ($DiagnosisError) {
        [void]$code.AppendLine('    throw ' + (& $literal $DiagnosisError))
    }
    else {
        $status = ($StatusLine -split ' ')[0] -replace '^STATUS=', ''
        [void]$code.AppendLine('    Write-Warning ''stub diagnosis''')
        [void]$code.AppendLine('    [PSCustomObject]@{ PSTypeName = ''NymiDiag.Diagnosis''; Status = ' + (& $literal $status) + '; StatusLine = ' + (& $literal $StatusLine) + '; NesUri = ' + (& $literal $DiagnosisNesUri) + '; NesUriSource = ' + (& $literal $DiagnosisNesUriSource) + '; Title = ''stub''; Summary = ''stub summary''; NextSteps = @(); Json = ''{"stub":true}'' }')
    }
    [void]$code.AppendLine('}')
    if ($null -ne $Repair) {
        $functions += 'Repair-NymiNeaCertificate'
        [void]$code.AppendLine('function Repair-NymiNeaCertificate {')
        $sourceParameter = ' [string] $NesUriSource,'
        if ($RepairWithoutNesUriSource) { $sourceParameter = '' }
        [void]$code.AppendLine('    [CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = ''High'')] param([string] $NesUri,' + $sourceParameter + ' [string[]] $KspPath, [string] $ServiceDisplayName, [int] $WaitSec, [int] $TimeoutSec)')
        [void]$code.AppendLine('    $call = @{}; foreach ($k in $PSBoundParameters.Keys) { $call[$k] = [string]$PSBoundParameters[$k] }')
        [void]$code.AppendLine('    Set-Content -LiteralPath (Join-Path $PSScriptRoot ''repair-call.json'') -Value (ConvertTo-Json $call)')
        [void]$code.AppendLine('    if (-not $PSCmdlet.ShouldProcess(''EAM Security Service'', ''Restart'')) { return }')
        if ($Repair -is [string] -and $Repair -eq 'throw') {
            [void]$code.AppendLine('    throw ''stub repair failed: service controller unavailable''')
        }
        else {
            $pairs = @(foreach ($key in $Repair.Keys) {
                    $value = $Repair[$key]
                    if ($value -is [bool]) { '{0} = ${1}' -f $key, $value.ToString().ToLowerInvariant() }
                    elseif ($null -eq $value) { '{0} = $null' -f $key }
                    else { '{0} = {1}' -f $key, (& $literal ([string]$value)) }
                })
            [void]$code.AppendLine('    Write-Warning ''stub repair''')
            [void]$code.AppendLine('    [PSCustomObject]@{ PSTypeName = ''NymiDiag.RepairResult''; ' + ($pairs -join '; ') + ' }')
        }
        [void]$code.AppendLine('}')
    }
    if (-not $NoReport) {
        # The real report writer, so that the scripts' reports can be read.
        $functions += 'Save-NymiReport'
        foreach ($file in 'Private/SafeWrite.ps1', 'Private/SupportBundle.ps1', 'Private/RunReport.ps1', 'Public/Save-NymiReport.ps1') {
            [void]$code.AppendLine('. ' + (& $literal (Join-Path $RepoRoot ('powershell/NymiDiag/' + $file))))
        }
    }
    [void]$code.AppendLine('Export-ModuleMember -Function ' + (($functions | ForEach-Object { & $literal $_ }) -join ', '))
    [System.IO.File]::WriteAllText((Join-Path $Path 'NymiDiag.psm1'), $code.ToString())
    $manifest = "@{ RootModule = 'NymiDiag.psm1'; ModuleVersion = '$Version'; GUID = '6d1f5b6e-3a0c-4c53-9d55-0e4f1f3c2a10'; FunctionsToExport = @(" + (($functions | ForEach-Object { & $literal $_ }) -join ', ') + ') }'
    [System.IO.File]::WriteAllText((Join-Path $Path 'NymiDiag.psd1'), $manifest)
    Join-Path $Path 'NymiDiag.psd1'
}
