# Windows PowerShell 5.1 compatibility, proven on any PowerShell 7: the
# scripts use no syntax 5.1 cannot parse, their encoding reads the same in
# 5.1, and the P/Invoke shim compiles as C# 5 against .NET Framework 4.7.2.
BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    $scripts = @(Get-PowerShellSourceFile | ForEach-Object {
            @{ Name = $_.FullName.Substring($RepoRoot.Length + 1); Path = $_.FullName }
        })
    $moduleFiles = @(Get-ChildItem (Join-Path $ModuleRoot '*') -Recurse -File |
            Where-Object { $_.FullName -notmatch '[\\/]bin[\\/]' } |
            ForEach-Object { @{ Name = $_.FullName.Substring($RepoRoot.Length + 1); Path = $_.FullName } })
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')

    function Find-NewSyntax {
        # Returns a description of each PowerShell-7-only construct in $Path.
        param([string] $Path)
        $tokens = $null
        $errors = $null
        $ast = [System.Management.Automation.Language.Parser]::ParseFile($Path, [ref]$tokens, [ref]$errors)
        foreach ($e in @($errors)) { "parse error: $($e.Message) at line $($e.Extent.StartLineNumber)" }
        $found = $ast.FindAll({
                param($node)
                $type = $node.GetType().Name
                if ($type -eq 'TernaryExpressionAst') { return $true }
                if ($type -eq 'PipelineChainAst') { return $true }
                if ($type -eq 'BinaryExpressionAst' -and [string]$node.Operator -eq 'QuestionQuestion') { return $true }
                if ($type -eq 'AssignmentStatementAst' -and [string]$node.Operator -eq 'QuestionQuestionEquals') { return $true }
                if ($node.PSObject.Properties['NullConditional'] -and $node.NullConditional) { return $true }
                if ($type -eq 'ScriptBlockAst' -and $node.PSObject.Properties['CleanBlock'] -and $node.CleanBlock) { return $true }
                if ($type -eq 'CommandAst') {
                    $name = $node.GetCommandName()
                    if (@('ForEach-Object', 'foreach', '%') -contains $name) {
                        foreach ($element in $node.CommandElements) {
                            if ($element -is [System.Management.Automation.Language.CommandParameterAst] -and $element.ParameterName -like 'pa*') { return $true }
                        }
                    }
                }
                return $false
            }, $true)
        foreach ($node in $found) {
            "$($node.GetType().Name) at line $($node.Extent.StartLineNumber): $($node.Extent.Text)"
        }
    }
}

Describe 'Windows PowerShell 5.1 syntax in <Name>' -ForEach $scripts {
    It 'uses no PowerShell-7-only syntax' {
        @(Find-NewSyntax -Path $Path) | Should -BeNullOrEmpty
    }

    It 'does not read the IsWindows, IsLinux or IsMacOS variables (undefined in 5.1 under strict mode)' {
        $text = Get-Content -Raw $Path
        $text | Should -Not -Match '\$Is(Windows|Linux|MacOS)\b'
    }
}

Describe 'the syntax check itself' {
    It 'finds <Construct>' -ForEach @(
        @{ Construct = 'the ternary operator'; Code = '$a = $true ? 1 : 2' }
        @{ Construct = 'null-coalescing'; Code = '$a = $b ?? 1' }
        @{ Construct = 'null-coalescing assignment'; Code = '$a ??= 1' }
        @{ Construct = 'null-conditional member access'; Code = '${a}?.Length' }
        @{ Construct = 'pipeline chains'; Code = 'Get-Item . && Get-Item .' }
        @{ Construct = 'ForEach-Object -Parallel'; Code = '1..2 | ForEach-Object -Parallel { $_ }' }
        @{ Construct = 'clean blocks'; Code = 'function f { process { 1 } clean { 2 } }' }
    ) {
        $file = Join-Path $TestDrive 'new.ps1'
        Set-Content -Path $file -Value $Code
        @(Find-NewSyntax -Path $file).Count | Should -BeGreaterThan 0
    }
}

Describe 'encoding of <Name>' -ForEach $moduleFiles {
    It 'is ASCII or starts with a UTF-8 BOM (5.1 reads BOM-less files as the ANSI code page)' {
        $bytes = [System.IO.File]::ReadAllBytes($Path)
        $hasBom = $bytes.Length -ge 3 -and $bytes[0] -eq 0xEF -and $bytes[1] -eq 0xBB -and $bytes[2] -eq 0xBF
        $nonAscii = @($bytes | Where-Object { $_ -gt 0x7F }).Count
        ($hasBom -or $nonAscii -eq 0) | Should -BeTrue
    }
}

Describe 'module conventions' {
    It 'never writes to the host' {
        $hits = @(Get-ChildItem (Join-Path $ModuleRoot '*') -Recurse -Include '*.ps1', '*.psm1' | Select-String -Pattern '\bWrite-Host\b')
        $hits | Should -BeNullOrEmpty
    }

    It 'names private helpers without a dash so they cannot be exported by mistake' {
        $names = foreach ($file in Get-ChildItem (Join-Path $ModuleRoot 'Private') -Filter '*.ps1') {
            $ast = [System.Management.Automation.Language.Parser]::ParseFile($file.FullName, [ref]$null, [ref]$null)
            $ast.FindAll({ param($n) $n -is [System.Management.Automation.Language.FunctionDefinitionAst] }, $true) | ForEach-Object Name
        }
        @($names | Where-Object { $_ -like '*-*' }) | Should -BeNullOrEmpty
    }
}

Describe 'P/Invoke shim for Windows PowerShell 5.1' {
    BeforeAll {
        $versions = @{}
        foreach ($line in Get-Content (Join-Path $RepoRoot 'tools/versions.env')) {
            if ($line -match '^\s*([A-Z_]+)=(\S+)') { $versions[$Matches[1]] = $Matches[2] }
        }
        $packages = $env:NUGET_PACKAGES
        if (-not $packages) { $packages = Join-Path ([System.Environment]::GetFolderPath('UserProfile')) '.nuget/packages' }
        $csc = Join-Path $packages "microsoft.net.compilers.toolset/$($versions.ROSLYN_TOOLSET_VERSION)/tasks/netcore/bincore/csc.dll"
        $refs = Join-Path $packages "microsoft.netframework.referenceassemblies.net472/$($versions.NETFX_REFERENCE_ASSEMBLIES_VERSION)/build/.NETFramework/v4.7.2"
        # System.Management.Automation 3.0.0.0, as in Windows PowerShell 5.1.
        $automation = Join-Path $packages "powershellstandard.library/$($versions.POWERSHELL_STANDARD_VERSION)/lib/net452/System.Management.Automation.dll"

        function Invoke-Csc5([string] $Source) {
            # C# 5 is what Windows PowerShell 5.1's Add-Type compiles with.
            $file = Join-Path $TestDrive ('src{0}.cs' -f [guid]::NewGuid().ToString('N'))
            [System.IO.File]::WriteAllText($file, $Source)
            $output = & dotnet exec $csc -nologo -noconfig -nostdlib+ -langversion:5 -target:library `
                "-out:$file.dll" "-r:$refs/mscorlib.dll" "-r:$refs/System.dll" "-r:$refs/System.Core.dll" "-r:$automation" $file 2>&1
            [PSCustomObject]@{ ExitCode = $LASTEXITCODE; Output = ($output | Out-String) }
        }
    }

    It 'has the Roslyn compiler and the .NET Framework 4.7.2 and PowerShell reference assemblies (tools/bootstrap.sh)' {
        Test-Path $csc | Should -BeTrue
        Test-Path (Join-Path $refs 'mscorlib.dll') | Should -BeTrue
        Test-Path $automation | Should -BeTrue
    }

    It 'compiles as C# 5 against .NET Framework 4.7.2' {
        $result = Invoke-Csc5 (Get-Content -Raw (Join-Path $ModuleRoot 'Private/NativeMethods.cs'))
        $result.Output | Should -Not -Match 'error CS'
        $result.ExitCode | Should -Be 0
    }

    It 'calls the library only through Cdecl' {
        $source = Get-Content -Raw (Join-Path $ModuleRoot 'Private/NativeMethods.cs')
        $pointers = [regex]::Matches($source, '\[UnmanagedFunctionPointer\(([^\)]*)\)\]')
        $pointers.Count | Should -Be 4
        foreach ($p in $pointers) { $p.Groups[1].Value | Should -Be 'CallingConvention.Cdecl' }
        # The Unix loader functions are C functions too; kernel32 is stdcall (WINAPI).
        foreach ($import in [regex]::Matches($source, '\[DllImport\("lib[^\]]*\)\]')) { $import.Value | Should -Match 'CallingConvention\.Cdecl' }
    }

    It 'finds every export the header declares in the loaded library' {
        Import-Module $ManifestPath -Force
        $header = Get-Content -Raw (Join-Path $IncludeRoot 'nymidiag.h')
        # Exports built only for tests sit inside #if blocks and are not shipped.
        $header = [regex]::Replace($header, '(?s)#if defined\(NYMIDIAG_TEST_EXPORTS\).*?#endif', '')
        $declared = @([regex]::Matches($header, '(?m)^\S.*?\b(nymidiag_[a-z_]+)\(') | ForEach-Object { $_.Groups[1].Value })
        $declared.Count | Should -BeGreaterThan 3
        foreach ($name in $declared) {
            InModuleScope NymiDiag -Parameters @{ Name = $name } { param($Name) $script:NymiNative.Library.HasExport($Name) } | Should -BeTrue -Because "$name is in the header"
        }
    }

    It 'would catch C# 6 syntax (the check bites)' {
        $result = Invoke-Csc5 'class A { string M(int x) { return $"{x}"; } }'
        $result.ExitCode | Should -Not -Be 0
        $result.Output | Should -Match 'CS8026'
    }
}
