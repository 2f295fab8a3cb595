# Build-time helpers of the install package, dot-sourced by build.ps1
# (-Task Package, PackageModule, PackageWin32App) and by the
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
