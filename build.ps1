<#
.SYNOPSIS
Builds, tests and packages NymiDiag: the native library and the PowerShell module.

.DESCRIPTION
One entry point for developers and CI. On Linux, ./build.sh <Task> installs
the missing tools first (PowerShell 7, Pester, reference assemblies) and then
runs this script; on Windows run it directly with Pester 5 installed.

Tasks:
  Build    cargo build --release, then copy the library into
           powershell/NymiDiag/bin/<rid>/ so that
           Import-Module ./powershell/NymiDiag works in place.
  Test     Build, then cargo fmt --check, cargo clippy, cargo test (includes
           the C program compiled against include/nymidiag.h, run under
           valgrind when installed, and the header/schema freshness tests),
           cargo doc, then the Pester tests in tests/powershell.
  Pester   Only the Pester tests, in this edition of PowerShell (run it
           from powershell.exe to test Windows PowerShell 5.1); expects a
           previous Build.
  Package  Build, then PackageModule, a zip of it under out/, the
           Intune and GPO scripts under out/hosts/ and the Win32 app
           source folder out/win32app/ (PackageWin32App).
  PackageModule
           Only the versioned module folder, out/NymiDiag/<version>/,
           from the bin/ already built (what the tests and
           benches/import_time.sh use): one NymiDiag.psm1 made of
           Private/*.ps1 and Public/*.ps1 with the version stamped in,
           the manifest's ReleaseNotes taken from the newest section of
           CHANGELOG.md.
  PackageWin32App
           PackageModule, then out/win32app/: Install-NymiDiag.ps1,
           Uninstall-NymiDiag.ps1, Test-NymiDiagInstalled.ps1 (the
           detection script, this version stamped in) and a copy of
           NymiDiag/<version>/, from the bin/ already built. The folder
           to give IntuneWinAppUtil.exe (-s Install-NymiDiag.ps1).
  Sign     Windows only, after Package: signs every .ps1, .psm1, .psd1,
           .ps1xml and .dll of out/NymiDiag/<version>/ (SHA-256,
           timestamped), writes and signs NymiDiag.cat over that folder,
           copies the signed module into out/win32app/ and the zip again,
           then signs the Win32 app scripts and out/hosts/. Fails unless
           every signature is Valid. Needs -CertificateThumbprint or
           -CertificatePath.
  Demo     Build, then run the diagnosis (Invoke-NymiDiagnosis -Demo) on a
           generated broken terminal (no Nymi install needed): a key store
           with only the 8 local NEA certificates, WGSS and nymi_api logs
           with the failure's signatures, and an NES URL on a closed
           loopback port.
  Bless    Splice powershell/HostShared/Bootstrap.ps1 into the Intune and
           GPO scripts, then regenerate the committed contract files
           (include/nymidiag.h and the JSON schemas) after an intended ABI
           or report change.
  Clean    Remove target/, out/ and the module's bin/ folder.

.PARAMETER Task
What to do: Build, Test, Pester, Package, PackageModule, PackageWin32App,
Sign, Demo, Bless or Clean.

.PARAMETER OutputPath
Folder of the packages (Package, PackageModule, PackageWin32App; Sign
signs what Package left there). Default: out/ in the repository.

.PARAMETER Target
A Rust target triple to cross-build for, for example x86_64-pc-windows-msvc,
i686-pc-windows-msvc or aarch64-pc-windows-msvc. Default: this machine. The
library lands in bin/<rid>/ for that target (win-x64, win-x86, win-arm64).

.PARAMETER CertificateThumbprint
Sign: thumbprint of a code signing certificate with its private key in
Cert:\CurrentUser\My or Cert:\LocalMachine\My.

.PARAMETER CertificatePath
Sign: a .pfx file holding the code signing certificate and its key.

.PARAMETER CertificatePassword
Sign: the password of -CertificatePath.

.PARAMETER TimestampServer
Sign: the RFC 3161 timestamp server, so that signatures stay valid after
the certificate expires. Default http://timestamp.digicert.com.

.EXAMPLE
./build.ps1 -Task Test

Builds and runs every test.

.EXAMPLE
./build.ps1 -Task Package -Target i686-pc-windows-msvc

Builds the 32-bit Windows library and packages the module with it.

.EXAMPLE
./build.ps1 -Task Sign -CertificateThumbprint 0123456789ABCDEF0123456789ABCDEF01234567

On Windows, after -Task Package: signs the packaged module, its catalog,
the Win32 app scripts and the host scripts.
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Pester', 'Package', 'PackageModule', 'PackageWin32App', 'Sign', 'Demo', 'Bless', 'Clean')]
    [string] $Task = 'Build',

    [ValidateSet('', 'x86_64-pc-windows-msvc', 'i686-pc-windows-msvc', 'aarch64-pc-windows-msvc',
        'x86_64-unknown-linux-gnu', 'aarch64-unknown-linux-gnu', 'x86_64-apple-darwin', 'aarch64-apple-darwin')]
    [string] $Target = '',

    [string] $OutputPath = '',

    [string] $CertificateThumbprint = '',

    [string] $CertificatePath = '',

    [securestring] $CertificatePassword,

    [string] $TimestampServer = 'http://timestamp.digicert.com'
)

Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'

$root = $PSScriptRoot
$moduleRoot = Join-Path $root 'powershell/NymiDiag'
. (Join-Path $moduleRoot 'Private/RuntimeId.ps1')
. (Join-Path $root 'powershell/HostShared/HostSplice.ps1')
. (Join-Path $root 'powershell/Install/PackageTools.ps1')
if (-not $OutputPath) { $OutputPath = Join-Path $root 'out' }
$OutputPath = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($OutputPath)

function Invoke-Step {
    # Runs a native command, echoing it, and stops the build when it fails.
    param([Parameter(Mandatory = $true)][string] $Name, [Parameter(Mandatory = $true)][scriptblock] $Command)
    Write-Host "==> $Name"
    & $Command
    if ($LASTEXITCODE -ne 0) { throw "build.ps1: step '$Name' failed with exit code $LASTEXITCODE." }
}

function Get-ToolVersion {
    # Reads tools/versions.env (KEY=value lines), shared with bootstrap.sh.
    $versions = @{}
    foreach ($line in Get-Content (Join-Path $root 'tools/versions.env')) {
        if ($line -match '^\s*([A-Z_]+)=(\S+)') { $versions[$Matches[1]] = $Matches[2] }
    }
    $versions
}

function Get-NuGetPackageRoot {
    if ($env:NUGET_PACKAGES) { return $env:NUGET_PACKAGES }
    Join-Path ([System.Environment]::GetFolderPath('UserProfile')) '.nuget/packages'
}

function Get-TargetRuntimeId {
    param([string] $Triple)
    if (-not $Triple) { return GetNymiRuntimeId }
    $map = @{
        'x86_64-pc-windows-msvc' = 'win-x64'; 'i686-pc-windows-msvc' = 'win-x86'; 'aarch64-pc-windows-msvc' = 'win-arm64'
        'x86_64-unknown-linux-gnu' = 'linux-x64'; 'aarch64-unknown-linux-gnu' = 'linux-arm64'
        'x86_64-apple-darwin' = 'osx-x64'; 'aarch64-apple-darwin' = 'osx-arm64'
    }
    $map[$Triple]
}

function Get-CrateVersion {
    $text = Get-Content -Raw (Join-Path $root 'Cargo.toml')
    if ($text -notmatch '(?m)^version\s*=\s*"([^"]+)"') { throw 'build.ps1: no version in Cargo.toml.' }
    $Matches[1]
}

function Invoke-ShimBuild {
    # Precompiles the P/Invoke shim into bin/NymiDiag.Native.dll as C# 5
    # against .NET Framework 4.7.2, the one assembly both Windows PowerShell
    # 5.1 and PowerShell 7 load; without it the module compiles the source at
    # import, which costs a second or more.
    $source = Join-Path $moduleRoot 'Private/NativeMethods.cs'
    $output = Join-Path $moduleRoot 'bin/NymiDiag.Native.dll'
    New-Item -ItemType Directory -Force -Path (Split-Path $output) | Out-Null
    $versions = Get-ToolVersion
    $packages = Get-NuGetPackageRoot
    $csc = Join-Path $packages "microsoft.net.compilers.toolset/$($versions.ROSLYN_TOOLSET_VERSION)/tasks/netcore/bincore/csc.dll"
    $refs = Join-Path $packages "microsoft.netframework.referenceassemblies.net472/$($versions.NETFX_REFERENCE_ASSEMBLIES_VERSION)/build/.NETFramework/v4.7.2"
    # System.Management.Automation 3.0.0.0 (HiddenAttribute): the reference
    # assembly of PowerShell Standard; Windows PowerShell 5.1 has that
    # version, and PowerShell 7 binds the reference to its own. Without the
    # package (the package job restores nothing), Windows PowerShell 5.1's
    # own copy in the GAC serves, also when this build runs in PowerShell 7.
    $automation = Join-Path $packages "powershellstandard.library/$($versions.POWERSHELL_STANDARD_VERSION)/lib/net452/System.Management.Automation.dll"
    if (-not (Test-Path $automation) -and (GetNymiPlatform) -eq 'Windows') {
        $automation = Join-Path ([System.Environment]::GetFolderPath('Windows')) 'Microsoft.NET/assembly/GAC_MSIL/System.Management.Automation/v4.0_3.0.0.0__31bf3856ad364e35/System.Management.Automation.dll'
    }
    $common = @('-nologo', '-langversion:5', '-target:library', '-optimize+', '-deterministic', "-out:$output", "-r:$automation", $source)
    if ((Test-Path $csc) -and (Test-Path $refs) -and (Test-Path $automation)) {
        Invoke-Step 'csc NativeMethods.cs (C# 5, net472)' {
            dotnet exec $csc -noconfig -nostdlib+ "-r:$refs/mscorlib.dll" "-r:$refs/System.dll" "-r:$refs/System.Core.dll" @common
        }
        return
    }
    if ((GetNymiPlatform) -eq 'Windows') {
        # The compiler Windows PowerShell 5.1's Add-Type uses: C# 5 by nature.
        $frameworkCsc = Join-Path ([System.Environment]::GetFolderPath('Windows')) 'Microsoft.NET/Framework64/v4.0.30319/csc.exe'
        if ((Test-Path $frameworkCsc) -and (Test-Path $automation)) {
            Invoke-Step 'csc NativeMethods.cs (.NET Framework compiler)' { & $frameworkCsc @($common | Where-Object { $_ -ne '-langversion:5' -and $_ -ne '-deterministic' }) }
            return
        }
    }
    Write-Warning "build.ps1: no C# compiler or reference assemblies for the shim (run tools/bootstrap.sh); the module will compile it at import."
}

function Invoke-Build {
    $cargoArgs = @('build', '--release', '--locked')
    if ($Target) { $cargoArgs += @('--target', $Target) }
    Invoke-Step "cargo $($cargoArgs -join ' ')" { cargo @cargoArgs }

    $rid = Get-TargetRuntimeId $Target
    $fileName = GetNymiLibraryName -RuntimeId $rid
    # Cargo's output folder: CARGO_TARGET_DIR when set, else target/.
    $targetDir = Join-Path $root 'target'
    if ($env:CARGO_TARGET_DIR) { $targetDir = $env:CARGO_TARGET_DIR }
    $releaseDir = Join-Path $targetDir 'release'
    if ($Target) { $releaseDir = Join-Path $targetDir "$Target/release" }
    $built = Join-Path $releaseDir $fileName
    if (-not (Test-Path $built)) { throw "build.ps1: cargo did not produce $built." }
    $bin = Join-Path $moduleRoot "bin/$rid"
    New-Item -ItemType Directory -Force -Path $bin | Out-Null
    Copy-Item -Force $built (Join-Path $bin $fileName)
    Write-Host "==> $fileName -> powershell/NymiDiag/bin/$rid/ ($((Get-Item $built).Length) bytes)"
    Invoke-ShimBuild
}

function Invoke-RustTests {
    Invoke-Step 'cargo fmt --check' { cargo fmt --all -- --check }
    Invoke-Step 'cargo clippy' { cargo clippy --locked --all-targets --all-features -- -D warnings }
    Invoke-Step 'cargo test' { cargo test --locked --all-features }
    $previous = $env:RUSTDOCFLAGS
    $env:RUSTDOCFLAGS = '-D warnings'
    try { Invoke-Step 'cargo doc' { cargo doc --locked --no-deps --all-features } }
    finally { $env:RUSTDOCFLAGS = $previous }
}

function Invoke-PesterTests {
    $versions = Get-ToolVersion
    $pester = Join-Path (Get-NuGetPackageRoot) "pester/$($versions.PESTER_VERSION)/tools/Pester.psd1"
    if (-not (Test-Path $pester)) {
        $installed = Get-Module -ListAvailable Pester | Where-Object { $_.Version.Major -ge 5 } | Sort-Object Version -Descending | Select-Object -First 1
        if (-not $installed) { throw "build.ps1: Pester 5 not found ($pester); run tools/bootstrap.sh or Install-Module Pester." }
        $pester = $installed.Path
    }
    # A child process, so that the library loaded by the tests is not held by
    # this build session.
    $pwsh = (Get-Process -Id $PID).Path
    # As a dotnet global tool the process is 'dotnet'; $PSHOME holds pwsh.
    foreach ($name in 'pwsh.exe', 'pwsh', 'powershell.exe') {
        if (Test-Path (Join-Path $PSHOME $name)) { $pwsh = Join-Path $PSHOME $name; break }
    }
    $script = @"
`$ErrorActionPreference = 'Stop'
Import-Module '$pester' -MinimumVersion 5.0
`$config = New-PesterConfiguration
`$config.Run.Path = '$(Join-Path $root 'tests/powershell')'
`$config.Run.PassThru = `$true
`$config.Output.Verbosity = 'Detailed'
`$result = Invoke-Pester -Configuration `$config
'Pester: {0} passed, {1} failed, {2} skipped' -f `$result.PassedCount, `$result.FailedCount, `$result.SkippedCount
if (`$result.FailedCount -gt 0 -or `$result.Result -ne 'Passed') { exit 1 }
"@
    Invoke-Step 'Pester' { & $pwsh -NoProfile -NonInteractive -Command $script }
}

function New-PackagedModuleScript {
    # The packaged NymiDiag.psm1: the source psm1 with its 'sources' region
    # replaced by the text of Private/*.ps1 and Public/*.ps1 (ordinal order,
    # as the source layout dot-sources them) and the module version stamped
    # in, so that importing it parses one file and reads no manifest again
    # (the ModuleBuilder pattern).
    param([Parameter(Mandatory = $true)][string] $Version)
    $source = [System.IO.File]::ReadAllText((Join-Path $moduleRoot 'NymiDiag.psm1'))
    $region = [regex]::Match($source, '(?ms)^# region sources\r?\n.*?^# endregion sources\r?\n')
    if (-not $region.Success) { throw 'build.ps1: NymiDiag.psm1 has no "# region sources" ... "# endregion sources" block.' }
    $text = New-Object System.Text.StringBuilder
    [void]$text.Append("# region sources`n")
    [void]$text.Append("# Generated by build.ps1 -Task Package from Private/*.ps1 and Public/*.ps1;`n# edit those files, not this one.`n")
    [void]$text.Append("`$script:NymiModuleVersion = '$Version'`n")
    foreach ($folder in 'Private', 'Public') {
        $files = [System.IO.Directory]::GetFiles((Join-Path $moduleRoot $folder), '*.ps1')
        [System.Array]::Sort($files, [System.StringComparer]::Ordinal)
        foreach ($file in $files) {
            $body = [System.IO.File]::ReadAllText($file).TrimEnd()
            [void]$text.Append("`n# ---- $folder/$([System.IO.Path]::GetFileName($file))`n").Append($body).Append("`n")
        }
    }
    [void]$text.Append("# endregion sources`n")
    $packaged = $source.Substring(0, $region.Index) + $text.ToString() + $source.Substring($region.Index + $region.Length)
    $errors = $null
    [void][System.Management.Automation.Language.Parser]::ParseInput($packaged, [ref]$null, [ref]$errors)
    if (@($errors).Count -gt 0) { throw "build.ps1: the packaged NymiDiag.psm1 does not parse: $($errors[0].Message) (line $($errors[0].Extent.StartLineNumber))." }
    $packaged
}

function Invoke-ModulePackage {
    # <OutputPath>/NymiDiag/<version>/: the manifest (its ReleaseNotes
    # from CHANGELOG.md), the one generated psm1, the format and help
    # files, LICENSE, bin/ as built (every library and the precompiled
    # shim) and the shim's source for a package without it. Returns the
    # folder.
    $version = Get-CrateVersion
    $manifestVersion = (Import-PowerShellDataFile (Join-Path $moduleRoot 'NymiDiag.psd1')).ModuleVersion
    if ($manifestVersion -ne $version) { throw "build.ps1: NymiDiag.psd1 says $manifestVersion, Cargo.toml $version." }
    $dest = Join-Path $OutputPath "NymiDiag/$version"
    if (Test-Path $dest) { Remove-Item -Recurse -Force $dest }
    New-Item -ItemType Directory -Force -Path (Join-Path $dest 'Private') | Out-Null
    $psm1 = New-PackagedModuleScript -Version $version
    # UTF-8 with a byte order mark only when needed: Windows PowerShell 5.1
    # reads a file without one in the ANSI code page.
    $encoding = New-Object System.Text.UTF8Encoding ([regex]::IsMatch($psm1, '[^\x00-\x7F]'))
    [System.IO.File]::WriteAllText((Join-Path $dest 'NymiDiag.psm1'), $psm1, $encoding)
    # The packaged manifest's ReleaseNotes: the newest CHANGELOG section
    # (the source manifest only points at the file).
    $notes = GetNymiChangelogSection -Path (Join-Path $root 'CHANGELOG.md')
    $manifest = SetNymiManifestReleaseNotes -ManifestText ([System.IO.File]::ReadAllText((Join-Path $moduleRoot 'NymiDiag.psd1'))) -Notes $notes
    $encoding = New-Object System.Text.UTF8Encoding ([regex]::IsMatch($manifest, '[^\x00-\x7F]'))
    [System.IO.File]::WriteAllText((Join-Path $dest 'NymiDiag.psd1'), $manifest, $encoding)
    Copy-Item -Force (Join-Path $moduleRoot '*.ps1xml') $dest
    # The licence travels with the module (gallery packages and the Win32
    # app carry it; the catalog covers it).
    Copy-Item -Force (Join-Path $root 'LICENSE') $dest
    Copy-Item -Force (Join-Path $moduleRoot 'Private/NativeMethods.cs') (Join-Path $dest 'Private')
    foreach ($item in 'en-US', 'bin') {
        $path = Join-Path $moduleRoot $item
        if (Test-Path $path) { Copy-Item -Recurse -Force $path $dest }
    }
    Write-Host "==> $dest (one psm1 of $($psm1.Length) characters)"
    $dest
}

function Invoke-Win32AppPackage {
    # <OutputPath>/win32app/: the three Win32 app scripts (packaged: the
    # shared helpers spliced in, the detection script's version stamped)
    # and a copy of the packaged module folder. Returns the folder.
    param([Parameter(Mandatory = $true)][string] $ModuleFolder)
    $version = Split-Path -Leaf $ModuleFolder
    $app = Join-Path $OutputPath 'win32app'
    if (Test-Path $app) { Remove-Item -Recurse -Force $app }
    New-Item -ItemType Directory -Force -Path (Join-Path $app 'NymiDiag') | Out-Null
    Copy-Item -Recurse -Force $ModuleFolder (Join-Path $app 'NymiDiag')
    $ascii = New-Object System.Text.ASCIIEncoding
    foreach ($name in 'Install-NymiDiag.ps1', 'Uninstall-NymiDiag.ps1', 'Test-NymiDiagInstalled.ps1') {
        $text = GetNymiWin32AppScript -Root $root -Name $name -Version $version
        [System.IO.File]::WriteAllText((Join-Path $app $name), $text, $ascii)
    }
    Write-Host "==> $app (Install-NymiDiag.ps1, Uninstall-NymiDiag.ps1, Test-NymiDiagInstalled.ps1, NymiDiag/$version)"
    $app
}

function Invoke-Sign {
    # Signs what Package wrote, in the order that keeps every signature
    # valid: the module's files, then its catalog over the signed files,
    # then the copies (win32app, zip) made from the signed folder, then the
    # scripts deployed alone.
    AssertNymiSigningHost -Platform (GetNymiPlatform)
    $version = Get-CrateVersion
    $module = Join-Path $OutputPath "NymiDiag/$version"
    $app = Join-Path $OutputPath 'win32app'
    $hosts = Join-Path $OutputPath 'hosts'
    foreach ($folder in $module, $app, $hosts) {
        if (-not (Test-Path -LiteralPath $folder)) { throw "build.ps1: no $folder; run -Task Package first." }
    }
    $certificate = GetNymiSigningCertificate -Thumbprint $CertificateThumbprint -PfxPath $CertificatePath -Password $CertificatePassword
    Write-Host "==> signing with $($certificate.Subject) ($($certificate.Thumbprint)), timestamps from $TimestampServer"
    InvokeNymiAuthenticodeSign -File (GetNymiSignableFile -Path $module) -Certificate $certificate -TimestampServer $TimestampServer
    $catalog = NewNymiSignedCatalog -ModuleFolder $module -Certificate $certificate -TimestampServer $TimestampServer
    Write-Host "==> $catalog"
    $appModule = Join-Path $app "NymiDiag/$version"
    if (Test-Path $appModule) { Remove-Item -Recurse -Force $appModule }
    Copy-Item -Recurse -Force $module (Join-Path $app 'NymiDiag')
    $zip = Join-Path $OutputPath "NymiDiag-$version.zip"
    if (Test-Path $zip) { Remove-Item -Force $zip }
    Compress-Archive -Path (Join-Path $OutputPath 'NymiDiag') -DestinationPath $zip
    $scripts = @(Get-ChildItem -LiteralPath $app -File -Filter '*.ps1' | ForEach-Object FullName) + @(GetNymiSignableFile -Path $hosts)
    InvokeNymiAuthenticodeSign -File $scripts -Certificate $certificate -TimestampServer $TimestampServer
    Write-Host "==> signed $module, $catalog, $app and $hosts; $zip rebuilt from the signed module"
}

function Invoke-Package {
    $dest = Invoke-ModulePackage
    $version = Split-Path -Leaf $dest
    $zip = Join-Path $OutputPath "NymiDiag-$version.zip"
    if (Test-Path $zip) { Remove-Item -Force $zip }
    Compress-Archive -Path (Join-Path $OutputPath 'NymiDiag') -DestinationPath $zip
    $rids = (Get-ChildItem (Join-Path $dest 'bin') -Directory | ForEach-Object Name) -join ', '
    Write-Host "==> $zip (libraries: $rids)"
    # The Intune and GPO scripts are deployed apart from the module (Intune
    # uploads one script file each), so they get their own folder.
    $hosts = Join-Path $OutputPath 'hosts'
    if (Test-Path $hosts) { Remove-Item -Recurse -Force $hosts }
    New-Item -ItemType Directory -Force -Path $hosts | Out-Null
    foreach ($item in 'Intune', 'Gpo') {
        Copy-Item -Recurse -Force (Join-Path $root "powershell/$item") $hosts
    }
    Write-Host "==> $hosts/Intune and $hosts/Gpo (edit the defaults at the top of each script)"
    $null = Invoke-Win32AppPackage -ModuleFolder $dest
}

function Invoke-Demo {
    # The main job on a terminal that shows the failure: 8 local
    # certificates, the WGSS and nymi_api signatures, NES on a closed
    # loopback port. Invoke-NymiDiagnosis -Demo builds that terminal in a
    # temporary folder with .NET only and removes it afterwards; only
    # loopback is contacted.
    Import-Module (Join-Path $moduleRoot 'NymiDiag.psd1') -Force
    Write-Host "`n== Invoke-NymiDiagnosis -Demo" -ForegroundColor Cyan
    $diagnosis = Invoke-NymiDiagnosis -Demo -TimeoutSec 5 -WarningAction SilentlyContinue
    $diagnosis | Format-List | Out-Host
    Write-Host '== The Intune summary line (the last line a detection script prints)' -ForegroundColor Cyan
    Write-Host $diagnosis.StatusLine
}

switch ($Task) {
    'Build' { Invoke-Build }
    'Test' {
        Invoke-Build
        Invoke-RustTests
        Invoke-PesterTests
        Write-Host '==> all tests passed'
    }
    'Pester' { Invoke-PesterTests }
    'Package' { Invoke-Build; Invoke-Package }
    'PackageModule' { $null = Invoke-ModulePackage }
    'PackageWin32App' { $null = Invoke-Win32AppPackage -ModuleFolder (Invoke-ModulePackage) }
    'Sign' { Invoke-Sign }
    'Demo' {
        Invoke-Build
        Invoke-Demo
    }
    'Bless' {
        foreach ($changed in @(UpdateNymiHostScript -Root $root)) { Write-Host "==> spliced the shared host block into $changed" }
        $env:NYMIDIAG_BLESS = '1'
        try { Invoke-Step 'regenerate contract files' { cargo test --locked --all-features --test contract_files } }
        finally { Remove-Item Env:NYMIDIAG_BLESS }
    }
    'Clean' {
        foreach ($path in 'target', 'out', 'powershell/NymiDiag/bin') {
            $full = Join-Path $root $path
            if (Test-Path $full) { Remove-Item -Recurse -Force $full }
        }
    }
}
