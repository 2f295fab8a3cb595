# Constrained Language Mode: what an untrusted module meets on a terminal
# that WDAC or AppLocker locks down. The module cannot work there (it loads
# a native library and .NET types), so importing it must fail with one
# error that says why and what to do, in the source layout and as packaged,
# and nothing from deeper files; in FullLanguage it imports as always.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')

    $out = Join-Path $TestDrive 'out'
    $build = & $PwshPath -NoProfile -NonInteractive -File (Join-Path $RepoRoot 'build.ps1') -Task PackageModule -OutputPath $out 2>&1
    $PackageExit = $LASTEXITCODE
    $PackageOutput = @($build) -join "`n"
    $PackagedManifest = Join-Path $out ('NymiDiag/{0}/NymiDiag.psd1' -f (Get-CrateVersion))

    function Invoke-ImportInChild {
        # Imports $Manifest in a fresh process of this edition, in the given
        # language mode (switched inside the session, as a lockdown policy
        # would have it), and returns what the session saw: its mode, whether
        # the module is loaded, the messages in $Error, and stderr as text.
        param([string] $Manifest, [string] $LanguageMode, [string] $After = '')
        # Set while still in FullLanguage: plain error text without colour
        # codes, one 'FullyQualifiedErrorId' line per error on stderr.
        $lines = @(
            "`$ErrorView = 'NormalView'"
            "if (`$PSVersionTable.PSVersion.Major -ge 7) { `$PSStyle.OutputRendering = 'PlainText' }"
            "`$ExecutionContext.SessionState.LanguageMode = '$LanguageMode'"
            "Import-Module '$($Manifest.Replace("'", "''"))'"
            "'MODE=' + `$ExecutionContext.SessionState.LanguageMode"
            "'LOADED=' + [bool](Get-Module NymiDiag)"
            $After
            "'ERRORS=' + `$Error.Count"
            "foreach (`$e in `$Error) { 'ERROR=' + `$e.Exception.Message }"
        )
        $encoded = [System.Convert]::ToBase64String([System.Text.Encoding]::Unicode.GetBytes(($lines -join "`n")))
        $start = New-Object System.Diagnostics.ProcessStartInfo
        $start.FileName = $PwshPath
        $start.Arguments = '-NoProfile -NonInteractive -EncodedCommand ' + $encoded
        $start.UseShellExecute = $false
        $start.RedirectStandardOutput = $true
        $start.RedirectStandardError = $true
        $process = [System.Diagnostics.Process]::Start($start)
        # Both streams at once: reading one to its end first could block on
        # a full pipe of the other.
        $stderrTask = $process.StandardError.ReadToEndAsync()
        $stdout = $process.StandardOutput.ReadToEnd()
        $stderr = $stderrTask.Result
        $process.WaitForExit()
        $stdoutLines = @($stdout -split '\r?\n')
        [PSCustomObject]@{
            Mode = (@($stdoutLines -match '^MODE=') -replace '^MODE=', '') -join ''
            Loaded = (@($stdoutLines -match '^LOADED=') -replace '^LOADED=', '') -join ''
            ErrorCount = [int]((@($stdoutLines -match '^ERRORS=') -replace '^ERRORS=', '') -join '')
            Errors = @(@($stdoutLines -match '^ERROR=') -replace '^ERROR=', '')
            Stdout = $stdout
            Stderr = $stderr
            StderrErrorCount = ([regex]::Matches($stderr, 'FullyQualifiedErrorId')).Count
        }
    }

    function Find-TypeDefinition {
        # Each class or enum definition in a script, found by the
        # parser (a comment or string that mentions 'class' is none).
        param([string] $Path)
        $ast = [System.Management.Automation.Language.Parser]::ParseFile($Path, [ref]$null, [ref]$null)
        foreach ($node in $ast.FindAll({ param($n) $n -is [System.Management.Automation.Language.TypeDefinitionAst] }, $true)) {
            '{0} {1} at line {2}' -f $(if ($node.IsEnum) { 'enum' } else { 'class' }), $node.Name, $node.Extent.StartLineNumber
        }
    }
}

BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    $layouts = @(
        @{ Layout = 'the source layout'; Packaged = $false }
        @{ Layout = 'the packaged module'; Packaged = $true }
    )
    $moduleScripts = @(Get-ChildItem (Join-Path $ModuleRoot '*') -Recurse -File -Include '*.ps1', '*.psm1' |
            Where-Object { $_.FullName -notmatch '[\\/]bin[\\/]' } |
            ForEach-Object { @{ Name = $_.FullName.Substring($RepoRoot.Length + 1); Path = $_.FullName } })
}

Describe 'build.ps1 -Task PackageModule for these tests' {
    It 'succeeds' {
        $PackageExit | Should -Be 0 -Because $PackageOutput
        Test-Path -LiteralPath $PackagedManifest | Should -BeTrue
    }
}

Describe 'importing <Layout> in Constrained Language Mode' -ForEach $layouts {
    BeforeAll {
        $manifest = $ManifestPath
        if ($Packaged) { $manifest = $PackagedManifest }
        $result = Invoke-ImportInChild -Manifest $manifest -LanguageMode 'ConstrainedLanguage'
        $seen = "stdout:`n$($result.Stdout)`nstderr:`n$($result.Stderr)"
    }

    It 'ran the import in ConstrainedLanguage' {
        $result.Mode | Should -Be 'ConstrainedLanguage' -Because $seen
    }

    It 'fails with exactly one error, in $Error and on stderr' {
        $result.ErrorCount | Should -Be 1 -Because $seen
        $result.Errors.Count | Should -Be 1 -Because $seen
        $result.StderrErrorCount | Should -Be 1 -Because $seen
    }

    It 'names the language mode, why it refuses the module and what to do' {
        $message = $result.Errors[0]
        $message | Should -BeLike 'NymiDiag cannot load in ConstrainedLanguage mode:*' -Because $seen
        $message | Should -Match 'Constrained Language Mode allows only for trusted code'
        $message | Should -Match 'Sign the module with a certificate your WDAC/AppLocker policy trusts'
        $message | Should -Match 'WDAC, AppLocker and Constrained Language Mode'
        $result.Stderr | Should -Match 'NymiDiag cannot load in ConstrainedLanguage mode'
    }

    It 'leaves the module unloaded' {
        $result.Loaded | Should -Be 'False' -Because $seen
    }
}

Describe 'importing <Layout> in FullLanguage' -ForEach $layouts {
    BeforeAll {
        $manifest = $ManifestPath
        if ($Packaged) { $manifest = $PackagedManifest }
        # A diagnosis object needs the shim's Diagnosis type; the rule list
        # needs the library: both come from the import.
        $after = "'TYPE=' + [bool]('NymiDiag.Native.Diagnosis' -as [type]); 'RULES=' + (@(Get-NymiDiagnosticRule).Count -gt 0)"
        $result = Invoke-ImportInChild -Manifest $manifest -LanguageMode 'FullLanguage' -After $after
        $seen = "stdout:`n$($result.Stdout)`nstderr:`n$($result.Stderr)"
    }

    It 'imports without an error and runs a command' {
        $result.Mode | Should -Be 'FullLanguage' -Because $seen
        $result.Loaded | Should -Be 'True' -Because $seen
        $result.ErrorCount | Should -Be 0 -Because $seen
        $result.StderrErrorCount | Should -Be 0 -Because $seen
        $result.Stdout | Should -Match '(?m)^TYPE=True\r?$'
        $result.Stdout | Should -Match '(?m)^RULES=True\r?$'
    }
}

Describe 'what keeps the check reachable in Constrained Language Mode' {
    It 'checks the language mode first in <Name>' -ForEach @(
        @{ Name = 'the source psm1'; Packaged = $false }
        @{ Name = 'the packaged psm1'; Packaged = $true }
    ) {
        $psm1 = Join-Path $ModuleRoot 'NymiDiag.psm1'
        if ($Packaged) { $psm1 = Join-Path (Split-Path $PackagedManifest) 'NymiDiag.psm1' }
        $ast = [System.Management.Automation.Language.Parser]::ParseFile($psm1, [ref]$null, [ref]$null)
        $first = @($ast.EndBlock.Statements)[0]
        $first | Should -BeOfType [System.Management.Automation.Language.IfStatementAst]
        $first.Clauses[0].Item1.Extent.Text | Should -Match '\$ExecutionContext\.SessionState\.LanguageMode -ne ''FullLanguage'''
        $ast.ParamBlock | Should -BeNullOrEmpty
        @($ast.UsingStatements).Count | Should -Be 0
    }

    It 'defines no class or enum in <Name> (the parser refuses them in that mode)' -ForEach $moduleScripts {
        @(Find-TypeDefinition -Path $Path) | Should -BeNullOrEmpty
    }

    It 'defines no class or enum in the packaged psm1' {
        @(Find-TypeDefinition -Path (Join-Path (Split-Path $PackagedManifest) 'NymiDiag.psm1')) | Should -BeNullOrEmpty
    }

    It 'finds <Construct> (the check bites)' -ForEach @(
        @{ Construct = 'a class'; Code = "# class in a comment`nclass A { hidden [string] `$B }" }
        @{ Construct = 'an enum'; Code = "function f { 'enum' }`nenum E { One }" }
    ) {
        $file = Join-Path $TestDrive 'typed.ps1'
        Set-Content -Path $file -Value $Code
        @(Find-TypeDefinition -Path $file).Count | Should -Be 1
    }
}

# The diagnosis holder that replaced the module's one PowerShell class: a
# type of the C# shim, precompiled or compiled from source at import.
Describe 'the diagnosis type of the shim, <Shim>' -ForEach @(
    @{ Shim = 'precompiled'; FromSource = $false }
    @{ Shim = 'compiled from source'; FromSource = $true }
) {
    BeforeAll {
        $manifest = $ManifestPath
        if ($FromSource) {
            $copy = Join-Path $TestDrive 'FromSource/NymiDiag'
            New-Item -ItemType Directory -Force (Split-Path $copy) | Out-Null
            Copy-Item -Recurse $ModuleRoot $copy
            Remove-Item -Force (Join-Path $copy 'bin/NymiDiag.Native.dll')
            $manifest = Join-Path $copy 'NymiDiag.psd1'
        }
        # A report with only what ConvertToNymiDiagnosis reads, so that the
        # object comes from the module's own converter.
        $script = @"
`$ErrorActionPreference = 'Stop'
Import-Module '$manifest'
`$report = [PSCustomObject]@{
    data = [PSCustomObject]@{
        verdict = [PSCustomObject]@{ id = 'V'; title = 't'; summary = 's'; confidence = 'high' }
        status_line = 'STATUS=OK verdict=V'
        ksp = [PSCustomObject]@{ certificates = 0; expected = 2; path = `$null }
        nes_url = [PSCustomObject]@{ url = `$null; source = 'none' }
        evidence = @(); next_steps = @(); checks = @()
        inputs = [PSCustomObject]@{ cert_inventory = `$null; nes_probe = `$null; log_scan = `$null }
    }
    findings = @(); context = [PSCustomObject]@{ host = 'h' }; started_utc = `$null; duration_ms = 1
}
`$d = & (Get-Module NymiDiag) { param(`$r) ConvertToNymiDiagnosis -Report `$r -Json '{"capability":"diagnose"}' } `$report
'TYPE=' + `$d.GetType().FullName
'VIEW=' + `$d.PSObject.TypeNames[0]
'CSV=' + @(`$d | ConvertTo-Csv -NoTypeInformation)[0]
'LIST=' + ((`$d | Format-List * | Out-String) -match 'capability')
'JSON=' + `$d.Json
'TOJSON=' + `$d.ToJson()
"@
        $file = Join-Path $TestDrive ('diagnosis-{0}.ps1' -f [guid]::NewGuid().ToString('N'))
        Set-Content -LiteralPath $file -Value $script
        $output = @(& $PwshPath -NoProfile -NonInteractive -File $file 2>&1)
        $seen = $output -join "`n"
    }

    It 'is NymiDiag.Native.Diagnosis, shown by the NymiDiag.Diagnosis views' {
        $seen | Should -Match '(?m)^TYPE=NymiDiag\.Native\.Diagnosis\r?$'
        $seen | Should -Match '(?m)^VIEW=NymiDiag\.Diagnosis\r?$'
    }

    It 'keeps the JSON out of Export-Csv and Format-List *, yet gives it' {
        $header = (@($output -match '^CSV=') -replace '^CSV=', '') -join ''
        $header | Should -Match '"VerdictId"' -Because $seen
        $header | Should -Not -Match 'Json'
        $seen | Should -Match '(?m)^LIST=False\r?$'
        $seen | Should -Match '(?m)^JSON=\{"capability":"diagnose"\}\r?$'
        $seen | Should -Match '(?m)^TOJSON=\{"capability":"diagnose"\}\r?$'
    }
}

Describe 'a shim from before the diagnosis type' {
    It 'stops the import with a line that says to start a new session' {
        $command = "Add-Type -TypeDefinition 'namespace NymiDiag.Native { public sealed class Library { } }'; " +
            "try { Import-Module '$ManifestPath' -ErrorAction Stop; 'imported' } catch { 'ERROR:' + `$_.Exception.Message }"
        $line = @(& $PwshPath -NoProfile -NonInteractive -Command $command) -join "`n"
        $line | Should -BeLike 'ERROR:NymiDiag: this session already loaded an older NymiDiag shim*start a new PowerShell session*'
    }
}
