# Configuration mistakes end in the library's verdict, never in a
# PowerShell throw: a bad NES URL, a CA file that cannot be read, a rule
# pack that does not exist. Invoke-NymiDiagnosis and the three host scripts
# must print STATUS=ERROR code=CONFIG_<...>, the library's verdict.
BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    $badUris = @('ftp://nes.corp.example/nes', 'https://', 'not a url', 'https://nes corp/nes', 'file:///etc/passwd')
    $cases = @(
        foreach ($uri in $badUris) { @{ Kind = 'NesUri'; Value = $uri; Code = 'CONFIG_NES_URL_INVALID' } }
        @{ Kind = 'TrustedRootPath'; Value = 'missing-ca.pem'; Code = 'CONFIG_CA_FILE_UNREADABLE' }
        @{ Kind = 'TrustedRootPath'; Value = 'no/such/folder/ca.pem'; Code = 'CONFIG_CA_FILE_UNREADABLE' }
        @{ Kind = 'TrustedRootPath'; Value = '<folder>'; Code = 'CONFIG_CA_FILE_UNREADABLE' }
        @{ Kind = 'RulePath'; Value = 'missing-rules.toml'; Code = 'CONFIG_RULE_PACK_INVALID' }
        @{ Kind = 'RulePath'; Value = 'no/such/folder/site.toml'; Code = 'CONFIG_RULE_PACK_INVALID' }
    )
    $scripts = @(
        @{ Name = 'Detect-NymiNeaCertificates.ps1'; Folder = 'Intune'; Extra = @() }
        @{ Name = 'Remediate-NymiNeaCertificates.ps1'; Folder = 'Intune'; Extra = @('-WaitSec', '0') }
        @{ Name = 'Invoke-NymiStartupCheck.ps1'; Folder = 'Gpo'; Extra = @('-NetworkWaitSec', '0', '-EventSource', '') }
    )
    $scriptCases = @(
        foreach ($script in $scripts) {
            @{ Name = $script.Name; Folder = $script.Folder; Extra = $script.Extra; Kind = 'NesUri'; Value = 'ftp://nes.corp.example/nes'; Code = 'CONFIG_NES_URL_INVALID' }
            @{ Name = $script.Name; Folder = $script.Folder; Extra = $script.Extra; Kind = 'TrustedRootPath'; Value = 'missing-ca.pem'; Code = 'CONFIG_CA_FILE_UNREADABLE' }
            @{ Name = $script.Name; Folder = $script.Folder; Extra = $script.Extra; Kind = 'RulePath'; Value = 'missing-rules.toml'; Code = 'CONFIG_RULE_PACK_INVALID' }
        }
    )
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    Import-Module $ManifestPath -Force
    $terminal = InModuleScope NymiDiag -Parameters @{ Target = (Join-Path $TestDrive 'terminal') } { param($Target) NewNymiDemoTerminal -Path $Target }

    function Resolve-CaseValue {
        # Relative paths under TestDrive; '<folder>' is a folder, not a file.
        param([string] $Kind, [string] $Value)
        if ($Kind -eq 'NesUri') { return $Value }
        if ($Value -eq '<folder>') { return $TestDrive }
        Join-Path $TestDrive $Value
    }
}

Describe 'Invoke-NymiDiagnosis with a bad <Kind> (<Value>)' -ForEach $cases {
    It 'returns STATUS=ERROR code=<Code> instead of throwing' {
        $arguments = @{ KspPath = $terminal.KspPath; LogPath = $terminal.LogPath; TimeoutSec = 2; WarningAction = 'SilentlyContinue' }
        $arguments[$Kind] = Resolve-CaseValue -Kind $Kind -Value $Value
        if ($Kind -ne 'NesUri') { $arguments['NesUri'] = $terminal.NesUri }
        $d = Invoke-NymiDiagnosis @arguments
        $d.Status | Should -Be 'ERROR'
        $d.VerdictId | Should -Be $Code
        $d.StatusLine | Should -BeLike "STATUS=ERROR v=1 code=$Code *"
    }
}

Describe 'host script <Name> with a bad <Kind>' -ForEach $scriptCases {
    It 'prints one line, STATUS=ERROR code=<Code>, and nothing on stderr' {
        $reports = Join-Path $TestDrive ('reports-' + [guid]::NewGuid().ToString('N'))
        $arguments = @('-ModulePath', $ManifestPath, '-KspPath', $terminal.KspPath, '-LogPath', $terminal.LogPath,
            '-ReportFolder', $reports, '-TimeoutSec', '2') + $Extra
        if ($Kind -ne 'NesUri') { $arguments += @('-NesUri', $terminal.NesUri) }
        $arguments += @("-$Kind", (Resolve-CaseValue -Kind $Kind -Value $Value))
        $run = Invoke-ScriptProcess -Path (Join-Path $RepoRoot "powershell/$Folder/$Name") -Arguments $arguments
        $run.StdErr | Should -BeNullOrEmpty
        $run.Lines.Count | Should -Be 1
        $run.Lines[0] | Should -BeLike "STATUS=ERROR v=1 code=$Code *"
    }
}
