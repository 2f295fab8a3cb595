# Loads the native library once per process: resolves bin/<rid>/<file>,
# compiles the P/Invoke shim for that absolute path and checks the C ABI
# version before anything else is called.

function ImportNymiNative {
    [CmdletBinding()]
    param(
        # Module folder that holds bin/<rid>/.
        [Parameter(Mandatory = $true)][string] $ModuleRoot,
        # The C ABI version this module was written for.
        [Parameter(Mandatory = $true)][uint32] $ExpectedAbiVersion
    )
    $rid = GetNymiRuntimeId
    $fileName = GetNymiLibraryName -RuntimeId $rid
    $path = [System.IO.Path]::GetFullPath([System.IO.Path]::Combine($ModuleRoot, 'bin', $rid, $fileName))
    if (-not [System.IO.File]::Exists($path)) {
        throw ("NymiDiag: native library not found: '{0}' (this {1}-bit process needs bin/{2}/{3}). " +
            "Build it with 'build.ps1 -Task Build' or install a NymiDiag package that contains bin/{2}/{3}.") -f
            $path, ([IntPtr]::Size * 8), $rid, $fileName
    }

    $type = GetNymiNativeType -LibraryPath $path
    try {
        $abi = $type::AbiVersion()
    }
    catch {
        throw ("NymiDiag: '{0}' could not be loaded into this {1}-bit process ({2}). " +
            "Use the library built for {3}.") -f $path, ([IntPtr]::Size * 8), $_.Exception.InnerException.Message, $rid
    }
    if ($abi -ne $ExpectedAbiVersion) {
        throw ("NymiDiag: '{0}' has C ABI version {1} but this module needs version {2}; " +
            "install the library and module from the same NymiDiag build.") -f $path, $abi, $ExpectedAbiVersion
    }
    [PSCustomObject]@{
        Type = $type
        Path = $path
        RuntimeId = $rid
        Version = $type::Version()
        AbiVersion = $abi
    }
}

function GetNymiNativeType {
    [CmdletBinding()]
    [OutputType([type])]
    param([Parameter(Mandatory = $true)][string] $LibraryPath)
    # Types added with Add-Type live as long as the process, so a re-import
    # reuses the class compiled for the same path; another path gets its own
    # class name.
    $sha = [System.Security.Cryptography.SHA256]::Create()
    try {
        $hash = $sha.ComputeHash([System.Text.Encoding]::UTF8.GetBytes($LibraryPath.ToUpperInvariant()))
    }
    finally {
        $sha.Dispose()
    }
    $suffix = ([System.BitConverter]::ToString($hash, 0, 8)).Replace('-', '')
    $className = "Lib$suffix"
    $existing = "NymiDiag.Native.$className" -as [type]
    if ($existing) { return $existing }

    $template = [System.IO.File]::ReadAllText((Join-Path $PSScriptRoot 'NativeMethods.cs'))
    $source = $template.Replace('NATIVE_CLASS_NAME', $className).Replace('NATIVE_LIBRARY_PATH', $LibraryPath.Replace('"', '""'))
    Add-Type -TypeDefinition $source -Language CSharp -ErrorAction Stop
    "NymiDiag.Native.$className" -as [type]
}
