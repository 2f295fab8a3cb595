# Loads the native library once per import: resolves bin/<rid>/<file>, loads
# it through the P/Invoke shim and checks the C ABI version before anything
# else is called.

function ImportNymiNative {
    [CmdletBinding()]
    param(
        # Module folder that holds bin/<rid>/.
        [Parameter(Mandatory = $true)][string] $ModuleRoot,
        # The C ABI version this module was written for.
        [Parameter(Mandatory = $true)][uint32] $ExpectedAbiVersion
    )
    $platform = GetNymiPlatform
    $rid = GetNymiRuntimeId -Platform $platform
    $fileName = GetNymiLibraryName -RuntimeId $rid
    $path = [System.IO.Path]::GetFullPath([System.IO.Path]::Combine($ModuleRoot, 'bin', $rid, $fileName))
    $bits = [IntPtr]::Size * 8
    if (-not [System.IO.File]::Exists($path)) {
        throw ("NymiDiag: native library not found: '{0}' (this {1}-bit process needs bin/{2}/{3}). " +
            "Build it with 'build.ps1 -Task Build' or install a NymiDiag package that contains bin/{2}/{3}.") -f
            $path, $bits, $rid, $fileName
    }

    $shim = GetNymiShimType -ModuleRoot $ModuleRoot
    try {
        $library = $shim::Load($path, $platform)
        $abi = $library.AbiVersion()
    }
    catch {
        $reason = $_.Exception.Message
        if ($_.Exception.InnerException) { $reason = $_.Exception.InnerException.Message }
        throw ("NymiDiag: '{0}' could not be loaded into this {1}-bit process ({2}). " +
            "Use the library built for {3}.") -f $path, $bits, $reason.Trim(), $rid
    }
    if ($abi -ne $ExpectedAbiVersion) {
        throw ("NymiDiag: '{0}' has C ABI version {1} but this module needs version {2}; " +
            "install the library and module from the same NymiDiag build.") -f $path, $abi, $ExpectedAbiVersion
    }
    [PSCustomObject]@{
        Library = $library
        Path = $path
        RuntimeId = $rid
        Version = $library.Version()
        AbiVersion = $abi
    }
}

function GetNymiShimType {
    [CmdletBinding()]
    [OutputType([type])]
    param([Parameter(Mandatory = $true)][string] $ModuleRoot)
    # Types live as long as the process: a re-import reuses the loaded shim,
    # unless it is one from before NymiDiag.Native.Diagnosis (an older
    # module imported earlier in this session), which cannot be replaced.
    $existing = 'NymiDiag.Native.Library' -as [type]
    if ($existing) {
        if (-not ('NymiDiag.Native.Diagnosis' -as [type])) {
            throw ("NymiDiag: this session already loaded an older NymiDiag shim ('{0}'), which a newer module cannot replace; " +
                'start a new PowerShell session and import the module there.') -f $existing.Assembly.Location
        }
        return $existing
    }

    # The build precompiles the shim (fast to load in 5.1 and 7); a source
    # checkout without it compiles the same code now.
    $compiled = Join-Path $ModuleRoot 'bin/NymiDiag.Native.dll'
    if (Test-Path -LiteralPath $compiled) {
        # Assembly.LoadFrom, not Add-Type -Path: Add-Type loads the C# compiler
        # machinery first, which alone costs half a second.
        [void][System.Reflection.Assembly]::LoadFrom($compiled)
    }
    else {
        Write-Verbose "NymiDiag: $compiled not found; compiling the P/Invoke shim from source."
        # From the module root: the packaged module is one psm1 beside
        # Private/NativeMethods.cs, the source layout dot-sources this file.
        $source = [System.IO.File]::ReadAllText((Join-Path $ModuleRoot 'Private/NativeMethods.cs'))
        Add-Type -TypeDefinition $source -Language CSharp -ErrorAction Stop
    }
    'NymiDiag.Native.Library' -as [type]
}
