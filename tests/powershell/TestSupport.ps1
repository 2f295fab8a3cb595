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
