# Splices the shared host block (Bootstrap.ps1 beside this file) into the
# Intune and GPO scripts, between its own first and last lines ('# region
# shared host helpers', '# endregion shared host helpers'). Dot-sourced by
# build.ps1 (-Task Bless writes the scripts) and by the tests (which fail
# when a script's copy is stale).

function GetNymiHostScriptPath {
    # The host scripts that carry the block, in a stable order.
    param([Parameter(Mandatory = $true)][string] $Root)
    $paths = New-Object System.Collections.Generic.List[string]
    foreach ($folder in 'Intune', 'Gpo') {
        $files = [System.IO.Directory]::GetFiles([System.IO.Path]::Combine($Root, 'powershell', $folder), '*.ps1')
        [System.Array]::Sort($files, [System.StringComparer]::Ordinal)
        foreach ($file in $files) { $paths.Add($file) }
    }
    $paths.ToArray()
}

function GetNymiHostBlock {
    # The block as it must appear in every host script: Bootstrap.ps1 with
    # LF line ends, its configuration region holding the module's
    # Private/Configuration.ps1 (the scripts read the configuration before
    # they import the module, and the same way).
    param([Parameter(Mandatory = $true)][string] $Root)
    $text = [System.IO.File]::ReadAllText([System.IO.Path]::Combine($Root, 'powershell', 'HostShared', 'Bootstrap.ps1'))
    $text = $text.Replace("`r`n", "`n").TrimEnd() + "`n"
    if (-not $text.StartsWith("# region shared host helpers`n") -or -not $text.EndsWith("`n# endregion shared host helpers`n")) {
        throw 'Bootstrap.ps1 must begin with "# region shared host helpers" and end with "# endregion shared host helpers".'
    }
    $marker = "`n# region configuration`n# endregion configuration`n"
    if (-not $text.Contains($marker)) { throw 'Bootstrap.ps1 must hold an empty "# region configuration" ... "# endregion configuration" pair.' }
    $configuration = [System.IO.File]::ReadAllText([System.IO.Path]::Combine($Root, 'powershell', 'NymiDiag', 'Private', 'Configuration.ps1'))
    $configuration = $configuration.Replace("`r`n", "`n").TrimEnd() + "`n"
    $text = $text.Replace($marker, "`n# region configuration`n" + $configuration + "# endregion configuration`n")
    # Intune reads the scripts through the OEM code page.
    if ([regex]::IsMatch($text, '[^\x00-\x7F]')) { throw 'Bootstrap.ps1 and Configuration.ps1 must be ASCII only.' }
    $text
}

function GetNymiSplicedHostScript {
    # $Text with its block replaced by $Block; throws when $Text has no
    # block to replace.
    param([Parameter(Mandatory = $true)][string] $Text, [Parameter(Mandatory = $true)][string] $Block, [string] $Name = 'the script')
    $found = [regex]::Match($Text, '(?ms)^# region shared host helpers\r?\n.*?^# endregion shared host helpers[^\n]*\n')
    if (-not $found.Success) { throw "$Name has no '# region shared host helpers' ... '# endregion shared host helpers' block." }
    $Text.Substring(0, $found.Index) + $Block + $Text.Substring($found.Index + $found.Length)
}

function UpdateNymiHostScript {
    # Writes the block into every host script that differs; returns the
    # paths it changed. The scripts stay ASCII without a byte order mark.
    param([Parameter(Mandatory = $true)][string] $Root)
    $block = GetNymiHostBlock -Root $Root
    $ascii = New-Object System.Text.ASCIIEncoding
    foreach ($path in GetNymiHostScriptPath -Root $Root) {
        $text = [System.IO.File]::ReadAllText($path)
        $spliced = GetNymiSplicedHostScript -Text $text -Block $block -Name ([System.IO.Path]::GetFileName($path))
        if ($spliced -cne $text) {
            [System.IO.File]::WriteAllText($path, $spliced, $ascii)
            $path
        }
    }
}
