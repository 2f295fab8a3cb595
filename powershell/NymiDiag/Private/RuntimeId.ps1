# Maps the operating system and the *process* architecture to the folder
# under bin/ that holds the native library. Shared with build.ps1, which
# dot-sources this file, so the build and the loader agree on the names.

function GetNymiRuntimeId {
    [CmdletBinding()]
    [OutputType([string])]
    param(
        # 'Windows', 'Linux' or 'OSX'; detected when omitted.
        [string] $Platform,
        # 'X86', 'X64', 'Arm64' or 'Arm'; the current process's when omitted.
        [string] $Architecture
    )
    if (-not $Platform) { $Platform = GetNymiPlatform }
    if (-not $Architecture) { $Architecture = GetNymiProcessArchitecture }

    $os = switch ($Platform) {
        'Windows' { 'win' }
        'Linux' { 'linux' }
        'OSX' { 'osx' }
        default { throw "NymiDiag: unsupported operating system '$Platform'." }
    }
    $arch = switch ($Architecture) {
        'X86' { 'x86' }
        'X64' { 'x64' }
        'Arm64' { 'arm64' }
        default { throw "NymiDiag: unsupported process architecture '$Architecture'." }
    }
    $rid = "$os-$arch"
    $supported = 'win-x86', 'win-x64', 'win-arm64', 'linux-x64', 'linux-arm64', 'osx-x64', 'osx-arm64'
    if ($supported -notcontains $rid) {
        throw "NymiDiag: no native library is built for $rid (supported: $($supported -join ', '))."
    }
    $rid
}

function GetNymiPlatform {
    [CmdletBinding()]
    [OutputType([string])]
    param()
    # Windows PowerShell 5.1 lacks the IsWindows variable; OSVersion.Platform works in
    # both editions.
    if ([System.Environment]::OSVersion.Platform -eq [System.PlatformID]::Win32NT) { return 'Windows' }
    if ([System.Runtime.InteropServices.RuntimeInformation]::IsOSPlatform([System.Runtime.InteropServices.OSPlatform]::OSX)) { return 'OSX' }
    'Linux'
}

function GetNymiProcessArchitecture {
    [CmdletBinding()]
    [OutputType([string])]
    param()
    # PROCESSOR_ARCHITECTURE describes the current process on Windows (x86
    # inside a 32-bit powershell.exe on 64-bit Windows, AMD64 for an x64
    # process emulated on ARM64), and it exists on every .NET Framework 4.x,
    # where RuntimeInformation may not.
    if ((GetNymiPlatform) -eq 'Windows' -and $env:PROCESSOR_ARCHITECTURE) {
        switch ($env:PROCESSOR_ARCHITECTURE) {
            'x86' { return 'X86' }
            'AMD64' { return 'X64' }
            'ARM64' { return 'Arm64' }
        }
    }
    [string][System.Runtime.InteropServices.RuntimeInformation]::ProcessArchitecture
}

function GetNymiLibraryName {
    [CmdletBinding()]
    [OutputType([string])]
    param([Parameter(Mandatory = $true)][string] $RuntimeId)
    if ($RuntimeId -like 'win-*') { return 'nymidiag.dll' }
    if ($RuntimeId -like 'osx-*') { return 'libnymidiag.dylib' }
    'libnymidiag.so'
}
