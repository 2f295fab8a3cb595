# The packaged module (build.ps1 -Task PackageModule, also part of
# -Task Package): one NymiDiag.psm1 made of Private/ and Public/, the
# version stamped in, imported and used in a fresh process, so that the
# packaging step cannot break unnoticed.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    $out = Join-Path $TestDrive 'out'
    $build = & $PwshPath -NoProfile -NonInteractive -File (Join-Path $RepoRoot 'build.ps1') -Task PackageModule -OutputPath $out 2>&1
    $BuildExit = $LASTEXITCODE
    $BuildOutput = @($build) -join "`n"
    $Version = Get-CrateVersion
    $Packaged = Join-Path $out "NymiDiag/$Version"
    $PackagedManifest = Join-Path $Packaged 'NymiDiag.psd1'
}

Describe 'build.ps1 -Task PackageModule' {
    It 'succeeds and writes out/NymiDiag/<version>/' {
        $BuildExit | Should -Be 0 -Because $BuildOutput
        Test-Path -LiteralPath $PackagedManifest | Should -BeTrue
    }

    It 'packages one psm1 holding every function of Private/ and Public/, dot-sourcing nothing' {
        @(Get-ChildItem -LiteralPath $Packaged -Recurse -Filter '*.ps1').Count | Should -Be 0
        $text = [System.IO.File]::ReadAllText((Join-Path $Packaged 'NymiDiag.psm1'))
        $ast = [System.Management.Automation.Language.Parser]::ParseInput($text, [ref]$null, [ref]$null)
        $packagedFunctions = @($ast.FindAll({ param($n) $n -is [System.Management.Automation.Language.FunctionDefinitionAst] }, $false) | ForEach-Object Name | Sort-Object)
        $sourceFunctions = @(foreach ($file in Get-ChildItem (Join-Path $ModuleRoot 'Private'), (Join-Path $ModuleRoot 'Public') -Filter '*.ps1') {
                $fileAst = [System.Management.Automation.Language.Parser]::ParseFile($file.FullName, [ref]$null, [ref]$null)
                $fileAst.FindAll({ param($n) $n -is [System.Management.Automation.Language.FunctionDefinitionAst] }, $false) | ForEach-Object Name
            }) | Sort-Object
        $packagedFunctions | Should -Be $sourceFunctions
        $text | Should -Not -Match '(?m)^\s*\.\s'
        $text | Should -Match ("(?m)^\`$script:NymiModuleVersion = '{0}'$" -f [regex]::Escape($Version))
    }

    It 'reads no manifest at import and lists its exports in the manifest' {
        $text = [System.IO.File]::ReadAllText((Join-Path $Packaged 'NymiDiag.psm1'))
        $text | Should -Not -Match '(ReadAll\w+|Get-Content|Import-PowerShellDataFile|Test-ModuleManifest)[^\r\n]*psd1'
        $text | Should -Not -Match 'Import-PowerShellDataFile'
        $manifest = Import-PowerShellDataFile $PackagedManifest
        @($manifest.FunctionsToExport | Sort-Object) | Should -Be @(Get-ChildItem (Join-Path $ModuleRoot 'Public') -Filter '*.ps1' | ForEach-Object BaseName | Sort-Object)
    }

    It 'imports in a fresh process, exports the manifest''s functions and runs a command' {
        $command = "`$ErrorActionPreference = 'Stop'; Import-Module '$PackagedManifest'; " +
            "`$m = Get-Module NymiDiag; `$m.Path; (`$m.ExportedFunctions.Keys | Sort-Object) -join ','; " +
            "& `$m { `$script:NymiCaller }; (Get-NymiDiagEnvironment).AbiVersion; " +
            "(Get-NymiDiagnosticRule | Measure-Object).Count -gt 0"
        $output = @(& $PwshPath -NoProfile -NonInteractive -Command $command 2>&1)
        $manifest = Import-PowerShellDataFile $PackagedManifest
        $output[0] | Should -Be (Join-Path $Packaged 'NymiDiag.psm1') -Because ($output -join "`n")
        $output[1] | Should -Be ((@($manifest.FunctionsToExport) | Sort-Object) -join ',')
        $output[2] | Should -BeLike "NymiDiag $Version; PowerShell *"
        $output[3] | Should -Be '1'
        $output[4] | Should -Be 'True'
    }

    It 'carries the libraries, the precompiled shim, the format file and the help' {
        Test-Path -LiteralPath (Join-Path $Packaged 'bin/NymiDiag.Native.dll') | Should -BeTrue
        Test-Path -LiteralPath (Join-Path $Packaged 'Private/NativeMethods.cs') | Should -BeTrue
        Test-Path -LiteralPath (Join-Path $Packaged 'NymiDiag.Format.ps1xml') | Should -BeTrue
        Test-Path -LiteralPath (Join-Path $Packaged 'en-US/about_NymiDiag.help.txt') | Should -BeTrue
        Import-Module $ManifestPath -Force
        $rid = InModuleScope NymiDiag { GetNymiRuntimeId }
        @(Get-ChildItem -LiteralPath (Join-Path $Packaged "bin/$rid") -File).Count | Should -Be 1
    }
}

Describe 'the packaged manifest' {
    BeforeAll {
        . (Join-Path $RepoRoot 'powershell/Install/PackageTools.ps1')
        $Manifest = Import-PowerShellDataFile $PackagedManifest
    }

    It 'passes Test-ModuleManifest' {
        $tested = Test-ModuleManifest -Path $PackagedManifest -ErrorAction Stop
        $tested.Version | Should -Be ([version]$Version)
        $tested.ProjectUri | Should -Not -BeNullOrEmpty
        $tested.LicenseUri | Should -Not -BeNullOrEmpty
    }

    It 'carries the newest CHANGELOG section as ReleaseNotes' {
        # Read here without PackageTools.ps1: from the first '## ' heading
        # to the next one.
        $lines = [System.IO.File]::ReadAllLines((Join-Path $RepoRoot 'CHANGELOG.md'))
        $start = [array]::FindIndex($lines, [Predicate[string]] { param($l) $l.StartsWith('## ') })
        $end = [array]::FindIndex($lines, $start + 1, [Predicate[string]] { param($l) $l.StartsWith('## ') -or $l -match '^\[[^\]]+\]:\s' })
        if ($end -lt 0) { $end = $lines.Count }
        $section = ($lines[($start + 1)..($end - 1)] -join "`n").Trim()
        $section | Should -Not -BeNullOrEmpty
        $Manifest.PrivateData.PSData.ReleaseNotes | Should -BeExactly $section
        (Import-PowerShellDataFile $ManifestPath).PrivateData.PSData.ReleaseNotes | Should -Not -Be $section -Because 'the source manifest only points at the file'
    }

    It 'has the gallery tags, a project and a licence link matching LICENSE and Cargo.toml' {
        $data = $Manifest.PrivateData.PSData
        foreach ($tag in 'PSEdition_Desktop', 'PSEdition_Core', 'Windows', 'Linux') { $data.Tags | Should -Contain $tag }
        @($data.Tags | Where-Object { $_ -match '\s' }) | Should -BeNullOrEmpty -Because 'gallery tags have no spaces'
        $cargo = Get-Content -Raw (Join-Path $RepoRoot 'Cargo.toml')
        if ($cargo -match '(?m)^repository\s*=\s*"([^"]+)"') { $data.ProjectUri | Should -Be $Matches[1] }
        $cargo | Should -Match '(?m)^license\s*=\s*"MIT"'
        $data.LicenseUri | Should -Be ($data.ProjectUri.TrimEnd('/') + '/blob/main/LICENSE')
        $license = Get-Content -Raw (Join-Path $RepoRoot 'LICENSE')
        Get-Content -Raw (Join-Path $Packaged 'LICENSE') | Should -BeExactly $license -Because 'the package carries the licence'
        $license | Should -Match '^MIT License'
        $holder = $Manifest.Copyright -replace '^\(c\)\s*', '' -replace '\.\s*MIT licence\.$', ''
        $license | Should -Match ('(?m)^Copyright \(c\) ' + [regex]::Escape($holder) + '$')
    }

    It 'states the .NET Framework version the shim is compiled against' {
        $build = Get-Content -Raw (Join-Path $RepoRoot 'build.ps1')
        $found = [regex]::Match($build, 'build/\.NETFramework/v(\d+\.\d+\.\d+)')
        $found.Success | Should -BeTrue
        $Manifest.DotNetFrameworkVersion | Should -Be $found.Groups[1].Value
    }

    It 'puts any quote characters of the release notes safely into the manifest' {
        $notes = "it's " + [char]0x2019 + 'quoted' + [char]0x2018 + " and ''twice''"
        $text = SetNymiManifestReleaseNotes -ManifestText "@{`n    ReleaseNotes = 'x'`n}`n" -Notes $notes
        (Invoke-Expression $text).ReleaseNotes | Should -BeExactly $notes
    }
}

Describe 'build.ps1 -Task Sign' {
    BeforeAll {
        . (Join-Path $RepoRoot 'powershell/Install/PackageTools.ps1')
    }

    It 'would sign the scripts, manifest, format file and DLLs of the packaged module, nothing else' {
        $files = @(GetNymiSignableFile -Path $Packaged | ForEach-Object { $_.Substring($Packaged.Length + 1).Replace('\', '/') })
        $expected = @('NymiDiag.Format.ps1xml', 'NymiDiag.psd1', 'NymiDiag.psm1', 'bin/NymiDiag.Native.dll') +
            @(Get-ChildItem -LiteralPath (Join-Path $Packaged 'bin') -Recurse -File -Filter '*.dll' |
                    Where-Object { $_.Name -ne 'NymiDiag.Native.dll' } | ForEach-Object { 'bin/' + $_.Directory.Name + '/' + $_.Name })
        @($files | Sort-Object) | Should -Be @($expected | Sort-Object)
        $files | Should -Not -Contain 'Private/NativeMethods.cs'
        $files | Should -Not -Contain 'en-US/about_NymiDiag.help.txt'
        @($files | Where-Object { $_ -match '\.(so|dylib)$' }) | Should -BeNullOrEmpty
    }

    It 'lists the files of every folder given, in ordinal order' {
        $root = Join-Path $TestDrive 'sign-list'
        foreach ($name in 'b/Z.PS1', 'b/a.psm1', 'a/x.ps1xml', 'a/lib.DLL', 'a/libnymidiag.so', 'a/notes.txt', 'c/y.psd1', 'c/NymiDiag.cat') {
            $path = Join-Path $root $name
            New-Item -ItemType Directory -Force -Path (Split-Path $path) | Out-Null
            Set-Content -LiteralPath $path -Value ''
        }
        $files = @(GetNymiSignableFile -Path (Join-Path $root 'a'), (Join-Path $root 'b'), (Join-Path $root 'c') |
                ForEach-Object { $_.Substring($root.Length + 1).Replace('\', '/') })
        $files | Should -Be @('a/lib.DLL', 'a/x.ps1xml', 'b/Z.PS1', 'b/a.psm1', 'c/y.psd1')
        { GetNymiSignableFile -Path (Join-Path $root 'missing') } | Should -Throw '*run build.ps1 -Task Package first*'
    }

    It 'refuses to run elsewhere than on Windows, saying so' -Skip:([System.Environment]::OSVersion.Platform -eq [System.PlatformID]::Win32NT) {
        $output = @(& $PwshPath -NoProfile -NonInteractive -File (Join-Path $RepoRoot 'build.ps1') -Task Sign -OutputPath (Join-Path $TestDrive 'out') -CertificateThumbprint 00 2>&1)
        $LASTEXITCODE | Should -Not -Be 0
        ($output -join "`n") | Should -Match '-Task Sign runs on Windows only'
        { AssertNymiSigningHost -Platform 'Linux' } | Should -Throw '*runs on Windows only*'
        { AssertNymiSigningHost -Platform 'Windows' } | Should -Not -Throw
    }
}
