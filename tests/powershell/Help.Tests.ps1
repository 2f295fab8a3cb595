# Every exported command carries complete comment-based help.
BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    Import-Module $ManifestPath -Force
    $commands = @(Get-Command -Module NymiDiag -CommandType Function, Cmdlet | ForEach-Object { @{ Name = $_.Name } })
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    Import-Module $ManifestPath -Force
    $common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
}

Describe 'help for <Name>' -ForEach $commands {
    BeforeAll {
        $help = Get-Help $Name -Full
        $command = Get-Command $Name
    }

    It 'has a synopsis' {
        $help.Synopsis | Should -Not -BeNullOrEmpty
        # Without comment-based help, Get-Help fills the synopsis with the syntax.
        $help.Synopsis | Should -Not -Match "^\s*$([regex]::Escape($Name))\s"
    }

    It 'has a description' {
        ($help.Description | Out-String).Trim() | Should -Not -BeNullOrEmpty
    }

    It 'has at least one example with an explanation' {
        @($help.Examples.Example).Count | Should -BeGreaterThan 0
        foreach ($example in @($help.Examples.Example)) {
            $example.Code | Should -Not -BeNullOrEmpty
            ($example.Remarks | Out-String).Trim() | Should -Not -BeNullOrEmpty
        }
    }

    It 'documents every parameter' {
        $parameters = @($command.Parameters.Keys | Where-Object { $common -notcontains $_ })
        foreach ($parameter in $parameters) {
            $entry = @($help.Parameters.Parameter | Where-Object Name -EQ $parameter)
            $entry.Count | Should -Be 1 -Because "-$parameter needs a .PARAMETER entry"
            ($entry[0].Description | Out-String).Trim() | Should -Not -BeNullOrEmpty -Because "-$parameter needs a description"
        }
    }

    It 'declares its output type' {
        @($command.OutputType).Count | Should -BeGreaterThan 0
    }
}

Describe 'about_NymiDiag' {
    It 'ships an about topic' {
        Test-Path (Join-Path $ModuleRoot 'en-US/about_NymiDiag.help.txt') | Should -BeTrue
    }
}
