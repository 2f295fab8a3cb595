# Build-time helpers of the install package and of signing, dot-sourced by
# build.ps1 (-Task Package, PackageModule, PackageWin32App, Sign) and by the
# tests. Not shipped: the Win32 app folder carries only the three scripts
# beside this file and the packaged module.

function GetNymiChangelogSection {
    # The newest section of CHANGELOG.md: the lines after the first '## '
    # heading up to the next '## ' heading or the link references at the
    # end, trimmed, with LF line ends. What the packaged manifest's
    # ReleaseNotes carries.
    param([Parameter(Mandatory = $true)][string] $Path)
    $text = [System.IO.File]::ReadAllText($Path).Replace("`r`n", "`n")
    $found = [regex]::Match($text, '(?ms)^## [^\n]*\n(.*?)(?=^## |^\[[^\]]+\]:\s|\z)')
    if (-not $found.Success) { throw "$Path has no '## ' section." }
    $section = $found.Groups[1].Value.Trim()
    if (-not $section) { throw "The newest section of $Path is empty." }
    $section
}

function SetNymiManifestReleaseNotes {
    # $ManifestText with its one "ReleaseNotes = '...'" line replaced by
    # $Notes as a single-quoted string (every quote character doubled, the
    # typographic ones too, since PowerShell reads those as quotes as well).
    param([Parameter(Mandatory = $true)][string] $ManifestText, [Parameter(Mandatory = $true)][string] $Notes)
    $pattern = "(?m)^(\s*)ReleaseNotes\s*=\s*'(?:[^']|'')*'[ \t]*\r?$"
    $lines = [regex]::Matches($ManifestText, $pattern)
    if ($lines.Count -ne 1) { throw "The manifest must have exactly one single-quoted ReleaseNotes line (found $($lines.Count))." }
    $quoted = [regex]::Replace($Notes, "['\u2018\u2019\u201A\u201B]", { param($m) $m.Value + $m.Value })
    $line = $lines[0]
    $ManifestText.Substring(0, $line.Index) + $line.Groups[1].Value + "ReleaseNotes = '" + $quoted + "'" +
    $ManifestText.Substring($line.Index + $line.Length)
}

function GetNymiWin32AppScript {
    # The text of one of the Win32 app scripts (powershell/Install/<Name>)
    # as packaged: the version stamped into its "$NymiPackageVersion = ''"
    # line, and the text of InstallHelpers.ps1 and NymiDiag/Private/
    # RuntimeId.ps1 in place of the blocks that dot-source them (the
    # detection script is uploaded to Intune alone, so a packaged script
    # dot-sources nothing).
    param(
        [Parameter(Mandatory = $true)][string] $Root,
        [Parameter(Mandatory = $true)][string] $Name,
        [Parameter(Mandatory = $true)][string] $Version
    )
    $text = [System.IO.File]::ReadAllText([System.IO.Path]::Combine($Root, 'powershell', 'Install', $Name)).Replace("`r`n", "`n")
    $stamp = [regex]::Matches($text, "(?m)^\`$NymiPackageVersion = ''(?=\s*#|\s*$)")
    if ($stamp.Count -gt 1) { throw "$Name has more than one `$NymiPackageVersion line." }
    if ($stamp.Count -eq 1) {
        $text = $text.Substring(0, $stamp[0].Index) + "`$NymiPackageVersion = '$Version'" + $text.Substring($stamp[0].Index + $stamp[0].Length)
    }
    # Each "# region <name>" block that dot-sources a shared file gets
    # that file's text instead.
    $shared = [ordered]@{
        'install helpers' = [System.IO.Path]::Combine($Root, 'powershell', 'Install', 'InstallHelpers.ps1')
        'runtime id' = [System.IO.Path]::Combine($Root, 'powershell', 'NymiDiag', 'Private', 'RuntimeId.ps1')
    }
    foreach ($region in $shared.Keys) {
        $block = [regex]::Match($text, "(?ms)^# region $region\n.*?^# endregion $region\n")
        if (-not $block.Success) { continue }
        $body = [System.IO.File]::ReadAllText($shared[$region]).Replace("`r`n", "`n").TrimEnd() + "`n"
        if (-not $body.StartsWith("# region $region`n")) {
            $body = "# region $region`n# Copied from $([System.IO.Path]::GetFileName($shared[$region])) by build.ps1 -Task Package.`n" + $body + "# endregion $region`n"
        }
        $text = $text.Substring(0, $block.Index) + $body + $text.Substring($block.Index + $block.Length)
    }
    # Intune and powershell.exe read a file without a byte order mark in
    # the ANSI code page: the scripts stay ASCII.
    if ([regex]::IsMatch($text, '[^\x00-\x7F]')) { throw "$Name must be ASCII only." }
    $errors = $null
    [void][System.Management.Automation.Language.Parser]::ParseInput($text, [ref]$null, [ref]$errors)
    if (@($errors).Count -gt 0) { throw "The packaged $Name does not parse: $($errors[0].Message) (line $($errors[0].Extent.StartLineNumber))." }
    $text
}

function GetNymiSignableFile {
    # The files the Sign task gives an Authenticode signature, below each
    # of $Path, in ordinal order: scripts, modules, manifests, format files
    # and DLLs (the shim and the Windows libraries). Native libraries of
    # other systems, the shim's source and the help text cannot carry a
    # signature; the file catalog covers them. Catalogs are signed apart,
    # after they are written.
    param([Parameter(Mandatory = $true)][string[]] $Path)
    $extensions = '.ps1', '.psm1', '.psd1', '.ps1xml', '.dll'
    $files = New-Object System.Collections.Generic.List[string]
    foreach ($folder in $Path) {
        if (-not [System.IO.Directory]::Exists($folder)) { throw "No folder $folder to sign (run build.ps1 -Task Package first)." }
        foreach ($file in [System.IO.Directory]::GetFiles($folder, '*', [System.IO.SearchOption]::AllDirectories)) {
            if ($extensions -contains [System.IO.Path]::GetExtension($file).ToLowerInvariant()) { $files.Add($file) }
        }
    }
    $list = $files.ToArray()
    [System.Array]::Sort($list, [System.StringComparer]::Ordinal)
    $list
}

function AssertNymiSigningHost {
    # Authenticode signing and file catalogs exist only on Windows.
    param([Parameter(Mandatory = $true)][string] $Platform)
    if ($Platform -ne 'Windows') {
        throw "build.ps1: -Task Sign runs on Windows only (Set-AuthenticodeSignature and New-FileCatalog exist only there; this is $Platform). Run -Task Package, then -Task Sign on a Windows machine with the signing certificate."
    }
}

function GetNymiSigningCertificate {
    # The code signing certificate with its private key: by thumbprint from
    # the current user's or the machine's personal store, or from a .pfx.
    param([string] $Thumbprint, [string] $PfxPath, [securestring] $Password)
    $certificate = $null
    if ($Thumbprint) {
        $clean = ($Thumbprint -replace '[^0-9A-Fa-f]', '').ToUpperInvariant()
        foreach ($store in 'Cert:\CurrentUser\My', 'Cert:\LocalMachine\My') {
            $path = Join-Path $store $clean
            if (Test-Path -LiteralPath $path) { $certificate = Get-Item -LiteralPath $path; break }
        }
        if (-not $certificate) { throw "build.ps1: no certificate $clean in Cert:\CurrentUser\My or Cert:\LocalMachine\My." }
    }
    elseif ($PfxPath) {
        if (-not (Test-Path -LiteralPath $PfxPath -PathType Leaf)) { throw "build.ps1: no file $PfxPath." }
        if (-not $Password) { $Password = New-Object System.Security.SecureString }
        $full = (Resolve-Path -LiteralPath $PfxPath).ProviderPath
        $certificate = New-Object System.Security.Cryptography.X509Certificates.X509Certificate2 ($full, $Password)
    }
    else {
        throw 'build.ps1: -Task Sign needs -CertificateThumbprint or -CertificatePath (a .pfx, with -CertificatePassword).'
    }
    if (-not $certificate.HasPrivateKey) { throw "build.ps1: the certificate $($certificate.Thumbprint) has no private key here." }
    $codeSigning = @($certificate.Extensions | Where-Object { $_ -is [System.Security.Cryptography.X509Certificates.X509EnhancedKeyUsageExtension] } |
            ForEach-Object { $_.EnhancedKeyUsages } | Where-Object { $_.Value -eq '1.3.6.1.5.5.7.3.3' })
    if ($codeSigning.Count -eq 0) { throw "build.ps1: the certificate $($certificate.Thumbprint) ($($certificate.Subject)) is not for code signing." }
    $certificate
}

function InvokeNymiAuthenticodeSign {
    # Signs each file with SHA-256 and a timestamp (so the signatures stay
    # valid after the certificate expires); throws listing every file whose
    # signature is not Valid afterwards.
    param(
        [Parameter(Mandatory = $true)][string[]] $File,
        [Parameter(Mandatory = $true)] $Certificate,
        [Parameter(Mandatory = $true)][string] $TimestampServer
    )
    $bad = New-Object System.Collections.Generic.List[string]
    foreach ($path in $File) {
        $result = Set-AuthenticodeSignature -LiteralPath $path -Certificate $Certificate -HashAlgorithm SHA256 -TimestampServer $TimestampServer
        $status = (Get-AuthenticodeSignature -LiteralPath $path).Status
        if ($status -ne 'Valid') { $bad.Add("$path ($status; $($result.StatusMessage))") }
        else { Write-Host "==> signed $path" }
    }
    if ($bad.Count -gt 0) { throw "build.ps1: signatures not valid: $($bad -join '; ')" }
}

function NewNymiSignedCatalog {
    # NymiDiag.cat over the module version folder (catalog version 2:
    # SHA-256), then signed; Test-FileCatalog proves the folder matches it.
    param(
        [Parameter(Mandatory = $true)][string] $ModuleFolder,
        [Parameter(Mandatory = $true)] $Certificate,
        [Parameter(Mandatory = $true)][string] $TimestampServer
    )
    $catalog = Join-Path $ModuleFolder 'NymiDiag.cat'
    if (Test-Path -LiteralPath $catalog) { Remove-Item -LiteralPath $catalog -Force }
    $null = New-FileCatalog -Path $ModuleFolder -CatalogFilePath $catalog -CatalogVersion 2
    InvokeNymiAuthenticodeSign -File $catalog -Certificate $Certificate -TimestampServer $TimestampServer
    $check = Test-FileCatalog -Path $ModuleFolder -CatalogFilePath $catalog
    if ([string]$check -ne 'Valid') { throw "build.ps1: Test-FileCatalog says $check for $ModuleFolder." }
    $catalog
}
