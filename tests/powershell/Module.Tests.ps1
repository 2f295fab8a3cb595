BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    Import-Module $ManifestPath -Force
}

Describe 'NymiDiag manifest' {
    BeforeAll {
        $manifest = Import-PowerShellDataFile $ManifestPath
    }

    It 'is a valid module manifest' {
        Test-ModuleManifest -Path $ManifestPath -ErrorAction Stop | Should -Not -BeNullOrEmpty
    }

    It 'targets Windows PowerShell 5.1 and PowerShell 7' {
        $manifest.PowerShellVersion | Should -Be '5.1'
        $manifest.CompatiblePSEditions | Should -Be @('Desktop', 'Core')
    }

    It 'lists its exports explicitly' {
        foreach ($key in 'FunctionsToExport', 'CmdletsToExport', 'VariablesToExport', 'AliasesToExport') {
            $manifest.ContainsKey($key) | Should -BeTrue -Because "$key must be explicit"
            @($manifest[$key]) | Should -Not -Contain '*'
        }
    }

    It 'exports exactly one function per file in Public/' {
        $files = @(Get-ChildItem (Join-Path $ModuleRoot 'Public') -Filter '*.ps1' | ForEach-Object BaseName | Sort-Object)
        $exported = @((Get-Module NymiDiag).ExportedFunctions.Keys | Sort-Object)
        $exported | Should -Be $files
        @($manifest.FunctionsToExport | Sort-Object) | Should -Be $files
    }

    It 'has the same version as the crate' {
        $manifest.ModuleVersion | Should -Be (Get-CrateVersion)
    }
}

Describe 'native library loading' {
    It 'loaded the library for this process from bin/<rid>/ by absolute path' {
        InModuleScope NymiDiag {
            $rid = GetNymiRuntimeId
            $script:NymiNative.RuntimeId | Should -Be $rid
            [System.IO.Path]::IsPathRooted($script:NymiNative.Path) | Should -BeTrue
            $script:NymiNative.Path | Should -BeLike "*bin*$rid*nymidiag*"
            $script:NymiNative.Library.Path | Should -Be $script:NymiNative.Path
        }
    }

    It 'checks the same ABI version as the header declares' {
        $header = Get-Content -Raw (Join-Path $IncludeRoot 'nymidiag.h')
        $header -match '#define NYMIDIAG_ABI_VERSION (\d+)' | Should -BeTrue
        $headerAbi = [int]$Matches[1]
        InModuleScope NymiDiag -Parameters @{ HeaderAbi = $headerAbi } {
            param($HeaderAbi)
            [int]$script:NymiAbiVersion | Should -Be $HeaderAbi
            [int]$script:NymiNative.Library.AbiVersion() | Should -Be $HeaderAbi
        }
    }

    It 'reads the library version as the crate version' {
        $crate = Get-CrateVersion
        InModuleScope NymiDiag -Parameters @{ Crate = $crate } {
            param($Crate)
            $script:NymiNative.Library.Version() | Should -Be $Crate
        }
    }

    It 'refuses a library of another ABI version with one actionable line' {
        InModuleScope NymiDiag {
            $message = $null
            # <module>/bin/<rid>/<file>: three levels up is the module root.
            $moduleRoot = Split-Path (Split-Path (Split-Path $script:NymiNative.Path))
            try { ImportNymiNative -ModuleRoot $moduleRoot -ExpectedAbiVersion 999 }
            catch { $message = $_.Exception.Message }
            $message | Should -BeLike '*has C ABI version 1 but this module needs version 999*'
            $message | Should -Not -Match "`n"
        }
    }

    It 'maps <Platform>/<Architecture> to <Rid>' -ForEach @(
        @{ Platform = 'Windows'; Architecture = 'X86'; Rid = 'win-x86' }
        @{ Platform = 'Windows'; Architecture = 'X64'; Rid = 'win-x64' }
        @{ Platform = 'Windows'; Architecture = 'Arm64'; Rid = 'win-arm64' }
        @{ Platform = 'Linux'; Architecture = 'X64'; Rid = 'linux-x64' }
        @{ Platform = 'Linux'; Architecture = 'Arm64'; Rid = 'linux-arm64' }
        @{ Platform = 'OSX'; Architecture = 'X64'; Rid = 'osx-x64' }
        @{ Platform = 'OSX'; Architecture = 'Arm64'; Rid = 'osx-arm64' }
    ) {
        InModuleScope NymiDiag -Parameters $_ {
            param($Platform, $Architecture, $Rid)
            GetNymiRuntimeId -Platform $Platform -Architecture $Architecture | Should -Be $Rid
        }
    }

    It 'names the library file per platform' {
        InModuleScope NymiDiag {
            GetNymiLibraryName -RuntimeId 'win-x86' | Should -Be 'nymidiag.dll'
            GetNymiLibraryName -RuntimeId 'linux-x64' | Should -Be 'libnymidiag.so'
            GetNymiLibraryName -RuntimeId 'osx-arm64' | Should -Be 'libnymidiag.dylib'
        }
    }

    It 'rejects a combination no library is built for' {
        InModuleScope NymiDiag {
            { GetNymiRuntimeId -Platform 'Linux' -Architecture 'X86' } | Should -Throw '*no native library is built for linux-x86*'
            { GetNymiRuntimeId -Platform 'Linux' -Architecture 'Arm' } | Should -Throw '*unsupported process architecture*'
        }
    }

    It 'fails the import with one line naming the expected file when the library is missing' {
        $copy = Join-Path $TestDrive 'NymiDiag'
        Copy-Item -Recurse $ModuleRoot $copy
        Remove-Item -Recurse -Force (Join-Path $copy 'bin')
        $output = & $PwshPath -NoProfile -NonInteractive -Command "try { Import-Module '$copy/NymiDiag.psd1' -ErrorAction Stop; 'imported' } catch { 'ERROR:' + `$_.Exception.Message }"
        $line = @($output) -join "`n"
        $line | Should -BeLike 'ERROR:NymiDiag: native library not found:*'
        $rid = InModuleScope NymiDiag { GetNymiRuntimeId }
        $file = InModuleScope NymiDiag -Parameters @{ Rid = $rid } { param($Rid) GetNymiLibraryName -RuntimeId $Rid }
        $line | Should -BeLike "*bin/$rid/$file*"
        $line | Should -BeLike "*build.ps1 -Task Build*"
        $line | Should -Not -Match "`n"
    }

    It 'reuses the loaded shim when the module is imported again' {
        $before = [NymiDiag.Native.Library].Assembly
        Import-Module $ManifestPath -Force
        [NymiDiag.Native.Library].Assembly | Should -Be $before
        (Get-NymiDiagEnvironment).AbiVersion | Should -Be 1
    }

    It 'loads the shim the build precompiled' {
        $compiled = Join-Path $ModuleRoot 'bin/NymiDiag.Native.dll'
        Test-Path $compiled | Should -BeTrue -Because 'build.ps1 -Task Build compiles it'
        [NymiDiag.Native.Library].Assembly.Location | Should -Be (Resolve-Path $compiled).Path
    }

    It 'compiles the shim from source when the precompiled one is missing' {
        $copy = Join-Path $TestDrive 'FromSource/NymiDiag'
        New-Item -ItemType Directory -Force (Split-Path $copy) | Out-Null
        Copy-Item -Recurse $ModuleRoot $copy
        Remove-Item -Force (Join-Path $copy 'bin/NymiDiag.Native.dll')
        $command = "Import-Module '$copy/NymiDiag.psd1' -ErrorAction Stop; " +
            "[NymiDiag.Native.Library].Assembly.Location; (Get-NymiDiagEnvironment).AbiVersion"
        $output = @(& $PwshPath -NoProfile -NonInteractive -Command $command)
        $output[0] | Should -BeNullOrEmpty -Because 'an in-memory assembly has no location'
        $output[1] | Should -Be '1'
    }

    It 'names the loader error when the file is not a loadable library' {
        $copy = Join-Path $TestDrive 'Broken/NymiDiag'
        New-Item -ItemType Directory -Force (Split-Path $copy) | Out-Null
        Copy-Item -Recurse $ModuleRoot $copy
        $rid = InModuleScope NymiDiag { GetNymiRuntimeId }
        $file = InModuleScope NymiDiag -Parameters @{ Rid = $rid } { param($Rid) GetNymiLibraryName -RuntimeId $Rid }
        Set-Content -Path (Join-Path $copy "bin/$rid/$file") -Value 'not a library'
        $output = & $PwshPath -NoProfile -NonInteractive -Command "try { Import-Module '$copy/NymiDiag.psd1' -ErrorAction Stop; 'imported' } catch { 'ERROR:' + `$_.Exception.Message }"
        $line = @($output) -join "`n"
        $line | Should -BeLike "ERROR:NymiDiag: '*$file' could not be loaded into this *-bit process (*). Use the library built for $rid."
        $line | Should -Not -Match "`n"
    }
}
