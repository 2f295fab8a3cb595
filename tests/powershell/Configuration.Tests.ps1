# The configuration (Private/Configuration.ps1, Get-NymiDiagConfiguration):
# precedence parameter > policy > file > default for every setting and
# every combination of sources, broken files and policy values of every
# kind, the commands that take their unbound parameters from it, and the
# ADMX that writes the policy values. The policy registry is reached
# through ResolveNymiConfiguration's -Policy seam (no registry here).
BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    Import-Module $ManifestPath -Force
    $specs = @(InModuleScope NymiDiag { GetNymiSettingSpec })
    # A valid value per source for every setting, all different, and a
    # policy value of the registry kind the ADMX writes.
    $settingCases = foreach ($spec in $specs) {
        switch ($spec['Type']) {
            'string' { @{ Name = $spec['Name']; Parameter = 'from-parameter'; Policy = 'from-policy'; PolicyKind = 'String'; File = 'from-file' } }
            'int' { @{ Name = $spec['Name']; Parameter = [int]$spec['Min'] + 1; Policy = [int]$spec['Min'] + 2; PolicyKind = 'DWord'; File = [int]$spec['Min'] + 3 } }
            'bool' { @{ Name = $spec['Name']; Parameter = $false; Policy = 1; PolicyKind = 'DWord'; File = $false } }
        }
    }
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    Import-Module $ManifestPath -Force
    $savedConfig = $env:NYMIDIAG_CONFIG

    function Resolve-Configuration {
        # ResolveNymiConfiguration with a JSON file holding $File (text, or
        # an object converted to JSON), $Policy as the registry and
        # $Parameters as the caller's.
        param([hashtable] $Parameters = @{}, [object] $File = $null, [System.Collections.IDictionary] $Policy = @{})
        $path = Join-Path $TestDrive ('config-' + [guid]::NewGuid().ToString('N') + '.json')
        if ($null -ne $File) {
            $text = $File
            if ($File -isnot [string]) { $text = ConvertTo-Json -InputObject $File -Depth 3 }
            [System.IO.File]::WriteAllText($path, $text)
        }
        $env:NYMIDIAG_CONFIG = $null
        InModuleScope NymiDiag -Parameters @{ P = $Parameters; C = $path; R = $Policy; Exists = ($null -ne $File) } {
            param($P, $C, $R, $Exists)
            if (-not $Exists) { $C = '' }
            ResolveNymiConfiguration -Parameters $P -ConfigPath $C -Policy $R
        }
    }
}

AfterAll {
    $env:NYMIDIAG_CONFIG = $savedConfig
}

Describe 'precedence of <Name>' -ForEach $settingCases {
    It 'takes the highest of parameter, policy, file and default, for every combination' {
        foreach ($mask in 0..7) {
            # (PowerShell names ignore case: $Policy is the case's value.)
            $given = @{}
            $registry = [ordered]@{}
            $json = @{}
            if ($mask -band 1) { $given[$Name] = $Parameter }
            if ($mask -band 2) { $registry[$Name] = @{ Value = $Policy; Kind = $PolicyKind } }
            if ($mask -band 4) { $json[$Name] = $File }
            $resolved = Resolve-Configuration -Parameters $given -Policy $registry -File $json
            $resolved.Problems.Count | Should -Be 0 -Because "mask $mask"
            $setting = $resolved.Settings[$Name]
            if ($mask -band 1) { $setting.Source | Should -Be 'parameter'; $setting.Value | Should -Be $Parameter; $setting.Origin | Should -Be "-$Name" }
            elseif ($mask -band 2) {
                $setting.Source | Should -Be 'policy'
                $setting.Origin | Should -Be "HKLM\SOFTWARE\Policies\NymiDiag\$Name"
                if ($PolicyKind -eq 'DWord' -and $Policy -eq 1 -and $Parameter -is [bool]) { $setting.Value | Should -BeTrue } else { $setting.Value | Should -Be $Policy }
            }
            elseif ($mask -band 4) { $setting.Source | Should -Be 'file'; $setting.Value | Should -Be $File; $setting.Origin | Should -BeLike '*config-*.json' }
            else { $setting.Source | Should -Be 'default'; $setting.Origin | Should -Be '' }
        }
    }
}

Describe 'the settings' {
    It 'are the documented eight, with their defaults' {
        $resolved = Resolve-Configuration
        @($resolved.Settings.Keys) | Should -Be @('NesUri', 'ExpectedLocal', 'ExpectedNes', 'TimeoutSec', 'TrustedRootPath', 'ReportFolder', 'Site', 'FailOnError')
        $resolved.Settings['NesUri'].Value | Should -BeExactly ''
        $resolved.Settings['ExpectedLocal'].Value | Should -Be 8
        $resolved.Settings['ExpectedNes'].Value | Should -Be 12
        $resolved.Settings['TimeoutSec'].Value | Should -Be 20
        $resolved.Settings['FailOnError'].Value | Should -BeTrue
        $resolved.Settings['ReportFolder'].Value | Should -BeLike '*NymiDiag'
        foreach ($s in $resolved.Settings.Values) { $s.Source | Should -Be 'default' }
    }

    It 'are read from a file in UTF-8 with or without a byte order mark, or UTF-16, with any key casing and a $schema key' {
        $object = '{ "$schema": "x", "nesuri": "https://nes.corp.example/nes", "SITE": "Plant 2", "timeoutSEC": 30, "FailOnError": false }'
        foreach ($encoding in @((New-Object System.Text.UTF8Encoding $false), (New-Object System.Text.UTF8Encoding $true), [System.Text.Encoding]::Unicode)) {
            $path = Join-Path $TestDrive ('enc-' + [guid]::NewGuid().ToString('N') + '.json')
            [System.IO.File]::WriteAllText($path, $object, $encoding)
            $resolved = InModuleScope NymiDiag -Parameters @{ C = $path } { param($C) ResolveNymiConfiguration -ConfigPath $C -Policy @{} }
            $resolved.Problems.Count | Should -Be 0 -Because $encoding.EncodingName
            $resolved.Settings['NesUri'].Value | Should -Be 'https://nes.corp.example/nes'
            $resolved.Settings['Site'].Value | Should -Be 'Plant 2'
            $resolved.Settings['TimeoutSec'].Value | Should -Be 30
            $resolved.Settings['FailOnError'].Value | Should -BeFalse
        }
    }

    It 'leave a null value to the next source and trim strings' {
        $resolved = Resolve-Configuration -File '{ "NesUri": null, "Site": "  Line B  " }'
        $resolved.Problems.Count | Should -Be 0
        $resolved.Settings['NesUri'].Source | Should -Be 'default'
        $resolved.Settings['Site'].Value | Should -BeExactly 'Line B'
    }

    It 'come from %ProgramData%\NymiDiag\config.json when NYMIDIAG_CONFIG is not set, and a missing default file is no problem' {
        $data = Join-Path $TestDrive 'programdata'
        New-Item -ItemType Directory -Force -Path (Join-Path $data 'NymiDiag') | Out-Null
        $saved = $env:ProgramData
        try {
            $env:ProgramData = $data
            $env:NYMIDIAG_CONFIG = $null
            $resolved = InModuleScope NymiDiag { ResolveNymiConfiguration -Policy @{} }
            $resolved.Problems.Count | Should -Be 0
            $resolved.Settings['ReportFolder'].Value | Should -Be ([System.IO.Path]::Combine($data, 'NymiDiag'))
            [System.IO.File]::WriteAllText((Join-Path $data 'NymiDiag/config.json'), '{ "Site": "from ProgramData" }')
            $resolved = InModuleScope NymiDiag { ResolveNymiConfiguration -Policy @{} }
            $resolved.Settings['Site'].Value | Should -Be 'from ProgramData'
            $resolved.ConfigPath | Should -Be ([System.IO.Path]::Combine($data, 'NymiDiag', 'config.json'))
            # NYMIDIAG_CONFIG wins over the default path.
            $other = Join-Path $TestDrive 'other.json'
            [System.IO.File]::WriteAllText($other, '{ "Site": "from NYMIDIAG_CONFIG" }')
            $env:NYMIDIAG_CONFIG = $other
            $resolved = InModuleScope NymiDiag { ResolveNymiConfiguration -Policy @{} }
            $resolved.Settings['Site'].Value | Should -Be 'from NYMIDIAG_CONFIG'
        }
        finally { $env:ProgramData = $saved; $env:NYMIDIAG_CONFIG = $null }
    }
}

Describe 'a broken configuration file' {
    It 'is a problem naming the file and the key: <Case>' -ForEach @(
        @{ Case = 'not JSON'; Text = '{ "NesUri": '; Key = ''; Reason = '*not read as JSON*' }
        @{ Case = 'not JSON at all'; Text = 'NesUri=https://nes'; Key = ''; Reason = '*one JSON object*' }
        @{ Case = 'empty'; Text = ''; Key = ''; Reason = '*empty*' }
        @{ Case = 'blank'; Text = "  `r`n "; Key = ''; Reason = '*empty*' }
        @{ Case = 'an array'; Text = '[ { "NesUri": "x" } ]'; Key = ''; Reason = '*one JSON object*' }
        @{ Case = 'a string'; Text = '"https://nes"'; Key = ''; Reason = '*one JSON object*' }
        @{ Case = 'a number'; Text = '20'; Key = ''; Reason = '*one JSON object*' }
        @{ Case = 'an unknown key'; Text = '{ "NesUrl": "https://nes" }'; Key = 'NesUrl'; Reason = '*unknown setting*NesUri*' }
        @{ Case = 'a number for a string'; Text = '{ "NesUri": 443 }'; Key = 'NesUri'; Reason = '*expected a string*' }
        @{ Case = 'an object for a string'; Text = '{ "Site": { "a": 1 } }'; Key = 'Site'; Reason = '*expected a string*' }
        @{ Case = 'a string for a number'; Text = '{ "TimeoutSec": "20" }'; Key = 'TimeoutSec'; Reason = '*whole number from 1 to 300*' }
        @{ Case = 'a fraction'; Text = '{ "TimeoutSec": 2.5 }'; Key = 'TimeoutSec'; Reason = '*whole number*' }
        @{ Case = 'a boolean for a number'; Text = '{ "ExpectedNes": true }'; Key = 'ExpectedNes'; Reason = '*whole number from 0 to 100*' }
        @{ Case = 'a number out of range'; Text = '{ "TimeoutSec": 0 }'; Key = 'TimeoutSec'; Reason = '*0 is not from 1 to 300*' }
        @{ Case = 'a number above the range'; Text = '{ "ExpectedLocal": 101 }'; Key = 'ExpectedLocal'; Reason = '*101 is not from 0 to 100*' }
        @{ Case = 'a huge number'; Text = '{ "TimeoutSec": 99999999999 }'; Key = 'TimeoutSec'; Reason = '*not from 1 to 300*' }
        @{ Case = 'a string for a boolean'; Text = '{ "FailOnError": "false" }'; Key = 'FailOnError'; Reason = '*true or false*' }
        @{ Case = 'a number for a boolean'; Text = '{ "FailOnError": 0 }'; Key = 'FailOnError'; Reason = '*true or false*' }
        @{ Case = 'a site too long'; Text = ('{ "Site": "' + ('s' * 65) + '" }'); Key = 'Site'; Reason = '*longer than 64*' }
        @{ Case = 'a control character'; Text = '{ "Site": "a\tb" }'; Key = 'Site'; Reason = '*control character*' }
    ) {
        $resolved = Resolve-Configuration -File $Text
        $resolved.Problems.Count | Should -BeGreaterThan 0
        $problem = $resolved.Problems[0]
        $problem.source | Should -Be 'file'
        $problem.origin | Should -BeLike '*config-*.json'
        $problem.key | Should -BeExactly $Key
        $problem.reason | Should -BeLike $Reason
        # The broken value never stands: the next source's does.
        foreach ($s in $resolved.Settings.Values) { $s.Source | Should -Be 'default' }
    }

    It 'reports every broken key, not only the first' {
        $resolved = Resolve-Configuration -File '{ "TimeoutSec": "x", "Site": 5, "Bogus": 1, "NesUri": "https://ok" }'
        @($resolved.Problems | ForEach-Object { $_.key }) | Should -Be @('TimeoutSec', 'Site', 'Bogus')
        $resolved.Settings['NesUri'].Source | Should -Be 'file'
    }

    It 'is a problem when NYMIDIAG_CONFIG names a file that does not exist' {
        try {
            $env:NYMIDIAG_CONFIG = Join-Path $TestDrive 'missing/config.json'
            $resolved = InModuleScope NymiDiag { ResolveNymiConfiguration -Policy @{} }
            $resolved.Problems.Count | Should -Be 1
            $resolved.Problems[0].reason | Should -BeLike '*does not exist*NYMIDIAG_CONFIG*'
            $resolved.Problems[0].origin | Should -BeLike '*missing*config.json'
        }
        finally { $env:NYMIDIAG_CONFIG = $null }
    }

    It 'is a problem when larger than 64 KB' {
        $resolved = Resolve-Configuration -File ('{ "Site": "x", "NesUri": "' + ('a' * 70000) + '" }')
        $resolved.Problems[0].reason | Should -BeLike '*larger than 65536 bytes*'
    }
}

Describe 'a policy value' {
    It 'of kind <Kind> for <Name> is <Outcome>' -ForEach @(
        @{ Name = 'NesUri'; Value = 'https://nes'; Kind = 'String'; Outcome = 'used' }
        @{ Name = 'ReportFolder'; Value = 'C:\Reports'; Kind = 'ExpandString'; Outcome = 'used' }
        @{ Name = 'NesUri'; Value = [byte[]](1, 2); Kind = 'Binary'; Outcome = 'a problem'; Reason = '*REG_SZ*Binary*' }
        @{ Name = 'Site'; Value = [string[]]('a', 'b'); Kind = 'MultiString'; Outcome = 'a problem'; Reason = '*REG_SZ*MultiString*' }
        @{ Name = 'TimeoutSec'; Value = 30; Kind = 'DWord'; Outcome = 'used' }
        @{ Name = 'TimeoutSec'; Value = [long]30; Kind = 'QWord'; Outcome = 'used' }
        @{ Name = 'TimeoutSec'; Value = '30'; Kind = 'String'; Outcome = 'a problem'; Reason = '*REG_DWORD*String*' }
        @{ Name = 'TimeoutSec'; Value = 301; Kind = 'DWord'; Outcome = 'a problem'; Reason = '*301 is not from 1 to 300*' }
        @{ Name = 'ExpectedNes'; Value = -1; Kind = 'DWord'; Outcome = 'a problem'; Reason = '*-1 is not from 0 to 100*' }
        @{ Name = 'FailOnError'; Value = 0; Kind = 'DWord'; Outcome = 'used' }
        @{ Name = 'FailOnError'; Value = 1; Kind = 'DWord'; Outcome = 'used' }
        @{ Name = 'FailOnError'; Value = 2; Kind = 'DWord'; Outcome = 'a problem'; Reason = '*0 or 1*' }
        @{ Name = 'FailOnError'; Value = 'true'; Kind = 'String'; Outcome = 'a problem'; Reason = '*REG_DWORD*' }
        @{ Name = 'NesUrl'; Value = 'https://nes'; Kind = 'String'; Outcome = 'a problem'; Reason = '*unknown policy value*' }
    ) {
        $policy = [ordered]@{}
        $policy[$Name] = @{ Value = $Value; Kind = $Kind }
        $resolved = Resolve-Configuration -Policy $policy -File '{ "TimeoutSec": 45, "FailOnError": true }'
        if ($Outcome -eq 'used') {
            $resolved.Problems.Count | Should -Be 0
            $resolved.Settings[$Name].Source | Should -Be 'policy'
            if ($Name -eq 'FailOnError') { $resolved.Settings[$Name].Value | Should -Be ($Value -eq 1) }
            else { $resolved.Settings[$Name].Value | Should -Be $Value }
        }
        else {
            $resolved.Problems.Count | Should -Be 1
            $resolved.Problems[0].source | Should -Be 'policy'
            $resolved.Problems[0].origin | Should -Be 'HKLM\SOFTWARE\Policies\NymiDiag'
            $resolved.Problems[0].key | Should -Be $Name
            $resolved.Problems[0].reason | Should -BeLike $Reason
            # The file's value stands for a broken policy value.
            if ($Name -eq 'TimeoutSec') { $resolved.Settings['TimeoutSec'].Source | Should -Be 'file'; $resolved.Settings['TimeoutSec'].Value | Should -Be 45 }
        }
    }

    It 'is read from nowhere elsewhere than Windows' {
        if ([System.Environment]::OSVersion.Platform -eq 'Win32NT') {
            Set-ItResult -Skipped -Because 'on Windows the key is read for real, and the test machine''s policy is not the tests'' to set (the -Policy seam covers every value kind)'
            return
        }
        $values = InModuleScope NymiDiag { , (ReadNymiPolicyValues) }
        $values | Should -BeOfType [System.Collections.IDictionary]
        $values.Count | Should -Be 0
    }
}

Describe 'Get-NymiDiagConfiguration' {
    AfterEach { $env:NYMIDIAG_CONFIG = $null }

    It 'returns one NymiDiag.ConfigurationSetting per setting, with its source' {
        $path = Join-Path $TestDrive 'get.json'
        [System.IO.File]::WriteAllText($path, '{ "NesUri": "https://nes.corp.example/nes", "Site": "Plant 2" }')
        $env:NYMIDIAG_CONFIG = $path
        $settings = @(Get-NymiDiagConfiguration -TimeoutSec 9)
        $settings.Count | Should -Be 8
        $settings[0].PSObject.TypeNames[0] | Should -Be 'NymiDiag.ConfigurationSetting'
        ($settings | Where-Object Name -EQ 'NesUri').Source | Should -Be 'file'
        ($settings | Where-Object Name -EQ 'NesUri').Origin | Should -Be $path
        ($settings | Where-Object Name -EQ 'TimeoutSec').Source | Should -Be 'parameter'
        ($settings | Where-Object Name -EQ 'TimeoutSec').Value | Should -Be 9
        ($settings | Where-Object Name -EQ 'ExpectedNes').Source | Should -Be 'default'
        ($settings | Format-Table | Out-String) | Should -Match 'Plant 2'
    }

    It 'checks a file given with -ConfigPath, and stops with CONFIG_INVALID naming file and key' {
        $path = Join-Path $TestDrive 'check.json'
        [System.IO.File]::WriteAllText($path, '{ "TimeoutSec": "soon" }')
        $failure = $null
        try { Get-NymiDiagConfiguration -ConfigPath $path -ErrorAction Stop } catch { $failure = $_ }
        $failure | Should -Not -BeNullOrEmpty
        $failure.FullyQualifiedErrorId | Should -BeLike 'CONFIG_INVALID*'
        $failure.Exception.Message | Should -BeLike "*$path*TimeoutSec*whole number*"
        { Get-NymiDiagConfiguration -ConfigPath (Join-Path $TestDrive 'nope.json') -ErrorAction Stop } | Should -Throw '*does not exist*'
    }
}

Describe 'the commands take what they are not given from the configuration' {
    BeforeAll {
        $port = InModuleScope NymiDiag { GetNymiClosedLoopbackPort }
        $empty = Join-Path $TestDrive 'cmd-logs'
        New-Item -ItemType Directory -Force -Path $empty | Out-Null
        $noKsp = Join-Path $TestDrive 'cmd-no-ksp'
        $good = Join-Path $TestDrive 'cmd.json'
        [System.IO.File]::WriteAllText($good, ('{{ "NesUri": "https://127.0.0.1:{0}/nes", "Site": "Plant 2", "ExpectedLocal": 4, "ExpectedNes": 6, "TimeoutSec": 2, "ReportFolder": "{1}" }}' -f $port, (Join-Path $TestDrive 'cmd-reports').Replace('\', '\\')))
        $broken = Join-Path $TestDrive 'cmd-broken.json'
        [System.IO.File]::WriteAllText($broken, '{ "ExpectedNes": "twelve" }')
    }
    AfterEach { $env:NYMIDIAG_CONFIG = $null }

    It 'Invoke-NymiDiagnosis: NES URL, site, expected counts; a parameter wins' {
        $env:NYMIDIAG_CONFIG = $good
        $d = Invoke-NymiDiagnosis -KspPath $noKsp -LogPath $empty -WarningAction SilentlyContinue
        $d.StatusLine | Should -Match "^STATUS=\w+ v=1 code=\w+ ksp=\?/10 nes=127\.0\.0\.1:$port .* site=Plant_2 logs="
        $d.NesUriSource | Should -Be 'request'
        $d = Invoke-NymiDiagnosis -KspPath $noKsp -LogPath $empty -Site 'Line B' -ExpectedNes 12 -WarningAction SilentlyContinue
        $d.StatusLine | Should -Match ' ksp=\?/16 .* site=Line_B '
    }

    It 'Invoke-NymiDiagnosis stops with CONFIG_INVALID on a broken configuration, but -Demo reads none' {
        $env:NYMIDIAG_CONFIG = $broken
        { Invoke-NymiDiagnosis -KspPath $noKsp -LogPath $empty -ErrorAction Stop } | Should -Throw '*ExpectedNes*'
        $failure = $null
        try { Invoke-NymiDiagnosis -KspPath $noKsp -LogPath $empty -ErrorAction Stop } catch { $failure = $_ }
        $failure.FullyQualifiedErrorId | Should -BeLike 'CONFIG_INVALID*'
        (Invoke-NymiDiagnosis -Demo -WarningAction SilentlyContinue).VerdictId | Should -Be 'NEA_CERTS_NOT_RETRIEVED_TCP_BLOCKED'
    }

    It 'Test-NymiNesConnection without -Uri tests the configured NES URL, and says so when there is none' {
        $env:NYMIDIAG_CONFIG = $good
        $result = @(Test-NymiNesConnection -NoWindowsIdentity)
        $result.Count | Should -Be 1
        $result[0].Uri | Should -Be "https://127.0.0.1:$port/nes"
        $env:NYMIDIAG_CONFIG = $null
        $failure = $null
        try { Test-NymiNesConnection -ErrorAction Stop } catch { $failure = $_ }
        $failure.FullyQualifiedErrorId | Should -BeLike 'NymiNesUriMissing*'
    }

    It 'Get-NymiNeaCertificate counts against the configured expected numbers' {
        $env:NYMIDIAG_CONFIG = $good
        (Get-NymiNeaCertificate -Path $empty -Summary -WarningAction SilentlyContinue).ExpectedTotal | Should -Be 10
        (Get-NymiNeaCertificate -Path $empty -Summary -ExpectedLocal 8 -WarningAction SilentlyContinue).ExpectedTotal | Should -Be 14
    }

    It 'Save-NymiReport writes into the configured report folder' {
        $env:NYMIDIAG_CONFIG = $good
        $file = Save-NymiReport -InputObject @{ kind = 'test.config' }
        $file.DirectoryName | Should -Be (Join-Path $TestDrive 'cmd-reports')
    }

    It 'Repair-NymiNeaCertificate stops with NymiNesUriMissing without a URL anywhere' {
        $failure = $null
        try { Repair-NymiNeaCertificate -KspPath $noKsp -WhatIf -ErrorAction Stop } catch { $failure = $_ }
        $failure.FullyQualifiedErrorId | Should -BeLike 'NymiNesUriMissing*'
    }
}

Describe 'the ADMX' {
    BeforeAll {
        $admxPath = Join-Path $RepoRoot 'powershell/Policy/NymiDiag.admx'
        $admlPath = Join-Path $RepoRoot 'powershell/Policy/en-US/NymiDiag.adml'
        [xml]$admx = [System.IO.File]::ReadAllText($admxPath)
        [xml]$adml = [System.IO.File]::ReadAllText($admlPath)
        $specs = @(InModuleScope NymiDiag { GetNymiSettingSpec })
        $policies = @($admx.policyDefinitions.policies.policy)
    }

    It 'writes exactly the settings the module reads, under its policy key' {
        $names = @(foreach ($p in $policies) {
                $p.key | Should -Be 'SOFTWARE\Policies\NymiDiag'
                $p.class | Should -Be 'Machine'
                if ($p.GetAttribute('valueName')) { $p.valueName } else { @($p.elements.ChildNodes | ForEach-Object { $_.valueName }) }
            })
        @($names | Sort-Object) | Should -Be @($specs | ForEach-Object { $_['Name'] } | Sort-Object)
        $key = InModuleScope NymiDiag { $script:NymiPolicyKey }
        $key | Should -Be 'SOFTWARE\Policies\NymiDiag'
    }

    It 'gives each setting the type and limits the module checks' {
        foreach ($spec in $specs) {
            $policy = @($policies | Where-Object { $_.name -eq $spec['Name'] })
            $policy.Count | Should -Be 1 -Because $spec['Name']
            switch ($spec['Type']) {
                'string' {
                    $element = $policy[0].elements.text
                    $element.valueName | Should -Be $spec['Name']
                    [int]$element.maxLength | Should -Be $spec['MaxLength']
                }
                'int' {
                    $element = $policy[0].elements.decimal
                    $element.valueName | Should -Be $spec['Name']
                    [int]$element.minValue | Should -Be $spec['Min']
                    [int]$element.maxValue | Should -Be $spec['Max']
                }
                'bool' {
                    $policy[0].enabledValue.decimal.value | Should -Be '1'
                    $policy[0].disabledValue.decimal.value | Should -Be '0'
                }
            }
        }
    }

    It 'has every string and presentation it names in the en-US ADML' {
        $strings = @($adml.policyDefinitionResources.resources.stringTable.string | ForEach-Object { $_.id })
        $presentations = @($adml.policyDefinitionResources.resources.presentationTable.presentation)
        $admxText = [System.IO.File]::ReadAllText($admxPath)
        foreach ($m in [regex]::Matches($admxText, '\$\(string\.([^)]+)\)')) { $strings | Should -Contain $m.Groups[1].Value }
        foreach ($m in [regex]::Matches($admxText, '\$\(presentation\.([^)]+)\)')) {
            $presentation = @($presentations | Where-Object { $_.id -eq $m.Groups[1].Value })
            $presentation.Count | Should -Be 1
            # Each control refers to an element of that policy.
            $policy = @($policies | Where-Object { $_.presentation -eq $m.Value })[0]
            $ids = @($policy.elements.ChildNodes | ForEach-Object { $_.id })
            foreach ($control in $presentation[0].ChildNodes) { $ids | Should -Contain $control.refId }
        }
    }
}
