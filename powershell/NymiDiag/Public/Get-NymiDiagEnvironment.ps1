function Get-NymiDiagEnvironment {
    <#
    .SYNOPSIS
    Describes the machine, account and process that NymiDiag runs in, and the native library it loaded.

    .DESCRIPTION
    Calls the native library's describe export and returns one object with
    the facts that decide what the other NymiDiag commands can see: the
    computer and account (the NEA key store lives in the LocalSystem profile,
    so it matters whether the process runs as SYSTEM or elevated), the
    operating system, the process bitness (Intune runs scripts in 32-bit
    Windows PowerShell by default), and the library's version, C ABI version
    and path.

    On Windows, whether the process is elevated or LocalSystem is read from
    the process token; elsewhere the library's own answer is used.

    .PARAMETER Raw
    Return the library's JSON report unchanged (a string) instead of an object.

    .EXAMPLE
    Get-NymiDiagEnvironment

    Shows the environment as a list: computer, account, SYSTEM or elevated,
    operating system, process bitness, library version.

    .EXAMPLE
    if (-not (Get-NymiDiagEnvironment).IsElevated) { Write-Warning 'Run elevated or as SYSTEM to read the NEA key store.' }

    Warns before a certificate inventory that would be denied access.

    .EXAMPLE
    Get-NymiDiagEnvironment -Raw | Out-File -Encoding utf8 "$env:ProgramData\NymiDiag\environment.json"

    Saves the library's JSON report, for a support case.

    .OUTPUTS
    NymiDiag.Environment, or System.String with -Raw.

    .LINK
    about_NymiDiag
    #>
    [CmdletBinding()]
    [OutputType('NymiDiag.Environment')]
    [OutputType([string])]
    param(
        [switch] $Raw
    )
    $report = InvokeNymiExport -Export 'nymidiag_describe' -Cmdlet $PSCmdlet -Raw:$Raw
    if ($Raw) { return $report }

    $context = $report.context
    $userName = [string]$context.user
    $isSystem = $context.is_system
    $isElevated = $context.is_elevated
    $osVersion = $context.os_version
    $windows = GetNymiWindowsIdentity
    if ($windows) {
        $userName = $windows.UserName
        $isSystem = $windows.IsSystem
        $isElevated = $windows.IsElevated
        $osVersion = $windows.OSVersion
    }

    [PSCustomObject]@{
        PSTypeName = 'NymiDiag.Environment'
        ComputerName = [string]$context.host
        UserName = $userName
        IsSystem = [Nullable[bool]]$isSystem
        IsElevated = [Nullable[bool]]$isElevated
        OS = [string]$context.os
        OSVersion = [string]$osVersion
        Architecture = [string]$context.arch
        ProcessBits = [int]$context.process_bits
        ProcessId = [int]$context.pid
        PowerShellVersion = [version]$PSVersionTable.PSVersion.ToString().Split('-')[0]
        PSEdition = [string]$PSVersionTable.PSEdition
        ToolVersion = [string]$report.tool_version
        AbiVersion = [int]$context.abi_version
        RuntimeId = $script:NymiNative.RuntimeId
        LibraryPath = $script:NymiNative.Path
        Exports = [string[]]@($report.data.exports)
        Generated = ConvertToNymiDateTime $report.started_utc
        Report = $report
    }
}
