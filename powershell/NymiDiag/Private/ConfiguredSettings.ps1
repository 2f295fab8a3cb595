# What the cmdlets take from the configuration (Configuration.ps1) for the
# parameters their caller did not give.

function GetNymiConfiguredSettings {
    # name -> value of every setting, parameters of $Bound first (under
    # the setting's name). Stops $Cmdlet with CONFIG_INVALID, naming every
    # broken file key or policy value: a broken configuration is never
    # silently ignored.
    param(
        [Parameter(Mandatory = $true)][System.Management.Automation.PSCmdlet] $Cmdlet,
        [System.Collections.IDictionary] $Bound = @{},
        [string] $ConfigPath = ''
    )
    $resolved = ResolveNymiConfiguration -Parameters $Bound -ConfigPath $ConfigPath
    if ($resolved.Problems.Count -gt 0) {
        $Cmdlet.ThrowTerminatingError((NewNymiConfigErrorRecord -Problems $resolved.Problems))
    }
    $values = @{}
    foreach ($setting in $resolved.Settings.Values) { $values[$setting['Name']] = $setting['Value'] }
    $values
}

function NewNymiConfigErrorRecord {
    # The CONFIG_INVALID error: every problem, each with its file or
    # policy value and key.
    param([object[]] $Problems)
    $exception = New-Object System.IO.InvalidDataException ('NymiDiag configuration is invalid: ' + (FormatNymiConfigProblem $Problems))
    $target = $null
    if ($Problems.Count -gt 0) { $target = $Problems[0]['origin'] }
    New-Object System.Management.Automation.ErrorRecord ($exception, 'CONFIG_INVALID', [System.Management.Automation.ErrorCategory]::InvalidData, $target)
}
