# The shared block of the Intune and GPO scripts is written once
# (powershell/HostShared/Bootstrap.ps1) and spliced into each by
# build.ps1 -Task Bless; its STATUS=ERROR line follows the library's
# status line. Only loopback is contacted: a closed port.
BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    . (Join-Path $RepoRoot 'powershell/HostShared/HostSplice.ps1')
    $hostScripts = @(GetNymiHostScriptPath -Root $RepoRoot | ForEach-Object { @{ Name = [System.IO.Path]::GetFileName($_); Path = $_ } })
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    . (Join-Path $RepoRoot 'powershell/HostShared/HostSplice.ps1')
    Import-Module $ManifestPath -Force
    $Block = GetNymiHostBlock -Root $RepoRoot

    function Get-ErrorLine {
        # NewNymiErrorLine of the block, in a scope of its own (the block
        # sets the host scripts' preferences).
        param([string] $Code, [string] $NesUri, [string] $Detail)
        $bootstrap = Join-Path $RepoRoot 'powershell/HostShared/Bootstrap.ps1'
        & { param($Path, $Code, $NesUri, $Detail) . $Path; NewNymiErrorLine -Code $Code -NesUri $NesUri -Detail $Detail } $bootstrap $Code $NesUri $Detail
    }

    function ConvertFrom-StatusLine {
        # The line's key=value words, in order.
        param([string] $Line)
        foreach ($word in $Line.Split(' ')) {
            $at = $word.IndexOf('=')
            [PSCustomObject]@{ Key = $word.Substring(0, $at); Value = $word.Substring($at + 1) }
        }
    }
}

Describe 'the shared block in <Name>' -ForEach $hostScripts {
    It 'is the current Bootstrap.ps1 (run build.ps1 -Task Bless after editing it)' {
        $text = [System.IO.File]::ReadAllText($Path)
        GetNymiSplicedHostScript -Text $text -Block $Block -Name $Name | Should -BeExactly $text
    }

    It 'is there once' {
        [regex]::Matches([System.IO.File]::ReadAllText($Path), '(?m)^# region shared host helpers').Count | Should -Be 1
    }
}

Describe 'splicing the shared block' {
    It 'replaces a stale copy and only it' {
        $stale = "param()`n# region shared host helpers`nfunction Old {}`n# endregion shared host helpers`nexit 0`n"
        $spliced = GetNymiSplicedHostScript -Text $stale -Block $Block
        $spliced | Should -BeExactly ("param()`n" + $Block + "exit 0`n")
        $spliced | Should -Not -BeExactly $stale
    }

    It 'refuses a script without the markers' {
        { GetNymiSplicedHostScript -Text "param()`nexit 0`n" -Block $Block -Name 'x.ps1' } | Should -Throw '*x.ps1 has no*'
    }

    It 'writes nothing when every script is current' {
        @(UpdateNymiHostScript -Root $RepoRoot) | Should -BeNullOrEmpty
    }
}

Describe 'the STATUS=ERROR line' {
    BeforeAll {
        # A diagnosis that counted no store (the folder does not exist), of
        # a closed loopback port: the library's own line for it.
        $port = InModuleScope NymiDiag { GetNymiClosedLoopbackPort }
        $empty = Join-Path $TestDrive 'no-logs'
        New-Item -ItemType Directory -Path $empty | Out-Null
        $cases = @(
            @{ Uri = "https://127.0.0.1:$port/nes" }
            @{ Uri = "https://[::1]:$port/nes" }
        )
        foreach ($case in $cases) {
            $diagnosis = Invoke-NymiDiagnosis -NesUri $case.Uri -KspPath (Join-Path $TestDrive 'no-such-ksp') -LogPath $empty -TimeoutSec 2 -WarningAction SilentlyContinue
            $case['Library'] = [string]$diagnosis.StatusLine
            $case['Error'] = Get-ErrorLine -Code 'MODULE_NOT_FOUND' -NesUri $case.Uri -Detail 'no NymiDiag module at C:\x y'
        }
    }

    It 'has the library''s first words, in its order, then detail=' {
        foreach ($case in $cases) {
            $library = @(ConvertFrom-StatusLine $case.Library)
            $mine = @(ConvertFrom-StatusLine $case.Error)
            @($library | Select-Object -First 6 | ForEach-Object Key) | Should -Be @('STATUS', 'v', 'code', 'ksp', 'nes', 'stage')
            @($mine | ForEach-Object Key) | Should -Be @('STATUS', 'v', 'code', 'ksp', 'nes', 'stage', 'detail')
            $mine[0].Value | Should -Be 'ERROR'
            $mine[1].Value | Should -BeExactly $library[1].Value
            $mine[2].Value | Should -Be 'MODULE_NOT_FOUND'
            $mine[6].Value | Should -BeExactly 'no_NymiDiag_module_at_C:\x_y'
        }
    }

    It 'says ksp= and nes= as the library does for an uncounted store and the same URL' {
        foreach ($case in $cases) {
            $library = @(ConvertFrom-StatusLine $case.Library)
            $mine = @(ConvertFrom-StatusLine $case.Error)
            $library[3].Value | Should -Match '^\?/\d+$' -Because $case.Library
            $mine[3].Value | Should -BeExactly $library[3].Value
            $mine[4].Value | Should -BeExactly $library[4].Value
        }
    }

    It 'is printable ASCII without tabs, at most 2,048 characters, with nes=none without a URL' {
        $line = Get-ErrorLine -Code 'DIAGNOSIS_FAILED' -NesUri '' -Detail ("caf$([char]0xE9)`t" + ('x' * 5000))
        $line | Should -Match '^STATUS=ERROR v=1 code=DIAGNOSIS_FAILED ksp=\?/\d+ nes=none stage=none detail=caf_x+$'
        $line.Length | Should -BeLessOrEqual 2048
        [regex]::IsMatch($line, '[^\x20-\x7E]') | Should -BeFalse
    }

    It 'is written in one function of the block and nowhere else' {
        $sources = @(GetNymiHostScriptPath -Root $RepoRoot) + @(Get-ChildItem (Join-Path $ModuleRoot '*.ps1') -Recurse | ForEach-Object FullName)
        foreach ($path in $sources) {
            $text = [System.IO.File]::ReadAllText($path)
            [regex]::Matches($text, 'STATUS=ERROR v=1 code=\{0\}').Count | Should -BeLessOrEqual 1 -Because $path
            $text | Should -Not -Match 'STATUS=ERROR (v=\d+ )?code=[A-Z_]+ ksp=' -Because "$path must build ERROR lines with NewNymiErrorLine"
        }
        [regex]::Matches($Block, 'ksp=\?/').Count | Should -Be 1
    }
}
