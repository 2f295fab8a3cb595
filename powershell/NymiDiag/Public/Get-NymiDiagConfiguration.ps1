function Get-NymiDiagConfiguration {
    <#
    .SYNOPSIS
    Shows the settings NymiDiag uses, each with its value and where it comes from.

    .DESCRIPTION
    Every NymiDiag command and host script takes a setting it was not
    given as a parameter from, in this order:

    1. the policy registry key HKLM\SOFTWARE\Policies\NymiDiag (Windows;
       set by Group Policy with powershell/Policy/NymiDiag.admx or by
       Intune's ADMX ingestion);
    2. the JSON configuration file: the path in $env:NYMIDIAG_CONFIG when
       set, else %ProgramData%\NymiDiag\config.json (Install-NymiDiag.ps1
       writes it);
    3. the built-in default.

    This command returns one object per setting: Name, Value, Source
    (parameter, policy, file or default) and Origin (the parameter, the
    registry value or the file). Parameters given to it count as they
    would for any command, so it shows what a call with them would use.

    A broken configuration stops it, as it stops every command, with the
    error CONFIG_INVALID that names each broken file key or registry value
    and why: a file that is not one JSON object, an unknown key, a value of
    the wrong type or out of range, a file NYMIDIAG_CONFIG names that does
    not exist, or (on Windows) a file that an administrator or SYSTEM does
    not own or that others may write, since any user can create files under
    %ProgramData%. The host scripts print it as STATUS=ERROR
    code=CONFIG_INVALID.

    Settings: NesUri (NES URL; '' takes it from the logs), ExpectedLocal (8)
    and ExpectedNes (12) certificates in a complete key store, TimeoutSec
    (20, 1 to 300; the host scripts use at most 60), TrustedRootPath (CA
    certificates for NES), ReportFolder (%ProgramData%\NymiDiag, elsewhere
    than Windows <temp>/NymiDiag), Site (free text up to 64 characters,
    carried in the status line as site=, by which the fleet view groups)
    and FailOnError (true: the detection script exits 1 when a terminal
    could not be judged).

    .PARAMETER ConfigPath
    Read this JSON file instead of $env:NYMIDIAG_CONFIG or
    %ProgramData%\NymiDiag\config.json, for example to check a file before
    deploying it. A missing file is an error.

    .PARAMETER NesUri
    As the commands' -NesUri parameter.

    .PARAMETER ExpectedLocal
    As Get-NymiNeaCertificate's -ExpectedLocal.

    .PARAMETER ExpectedNes
    As Get-NymiNeaCertificate's -ExpectedNes.

    .PARAMETER TimeoutSec
    As the commands' -TimeoutSec.

    .PARAMETER TrustedRootPath
    As the commands' -TrustedRootPath.

    .PARAMETER ReportFolder
    As the host scripts' -ReportFolder and Save-NymiReport's -Folder.

    .PARAMETER Site
    As the host scripts' -Site.

    .PARAMETER FailOnError
    As the detection script's -FailOnError.

    .EXAMPLE
    Get-NymiDiagConfiguration

    Name            Value                           Source  Origin
    ----            -----                           ------  ------
    NesUri          https://nes.corp.example/nes    policy  HKLM\SOFTWARE\Policies\NymiDiag\NesUri
    TimeoutSec      20                              default
    Site            Plant 2                         file    C:\ProgramData\NymiDiag\config.json
    ...

    .EXAMPLE
    Get-NymiDiagConfiguration -ConfigPath .\config.json

    Checks a configuration file before it is deployed.

    .OUTPUTS
    NymiDiag.ConfigurationSetting

    .LINK
    Invoke-NymiDiagnosis
    #>
    [CmdletBinding()]
    [OutputType('NymiDiag.ConfigurationSetting')]
    param(
        [ValidateNotNullOrEmpty()]
        [string] $ConfigPath,

        [string] $NesUri,

        [ValidateRange(0, 100)]
        [int] $ExpectedLocal,

        [ValidateRange(0, 100)]
        [int] $ExpectedNes,

        [ValidateRange(1, 300)]
        [int] $TimeoutSec,

        [string] $TrustedRootPath,

        [string] $ReportFolder,

        [ValidateLength(0, 64)]
        [string] $Site,

        [bool] $FailOnError
    )
    $bound = @{}
    foreach ($name in @($PSBoundParameters.Keys)) { if ($name -ne 'ConfigPath') { $bound[$name] = $PSBoundParameters[$name] } }
    $resolved = ResolveNymiConfiguration -Parameters $bound -ConfigPath $ConfigPath
    if ($resolved.Problems.Count -gt 0) { $PSCmdlet.ThrowTerminatingError((NewNymiConfigErrorRecord -Problems $resolved.Problems)) }
    foreach ($setting in $resolved.Settings.Values) {
        [PSCustomObject]@{
            PSTypeName = 'NymiDiag.ConfigurationSetting'
            Name = $setting['Name']
            Value = $setting['Value']
            Source = $setting['Source']
            Origin = $setting['Origin']
        }
    }
}
