# Turns the nes_clients report into flat NymiDiag.NesClient rows (one per
# client, worst state first, every value a scalar so Export-Csv keeps it),
# and reads -ExpectedClient (strings or CSV files) into request entries.

function ConvertToNymiNesClient {
    [CmdletBinding()]
    [OutputType('NymiDiag.NesClient')]
    param(
        [Parameter(Mandatory = $true)][object] $Report,
        [Parameter(Mandatory = $true)][System.Management.Automation.PSCmdlet] $Cmdlet
    )
    $data = $Report.data
    foreach ($w in @($Report.warnings)) {
        if (-not $w) { continue }
        if ([string]$Report.status -eq 'error' -and ([string]$w).StartsWith('no IIS logs found')) {
            # Nothing was read: an error, so that a script notices.
            $exception = New-Object System.IO.FileNotFoundException -ArgumentList ("NymiDiag: $w")
            $record = New-Object System.Management.Automation.ErrorRecord -ArgumentList @(
                $exception, 'NymiDiag.NoIisLogs', [System.Management.Automation.ErrorCategory]::ObjectNotFound, $null)
            $Cmdlet.WriteError($record)
        }
        else {
            $Cmdlet.WriteWarning("NymiDiag: $w")
        }
    }
    foreach ($c in @($data.clients)) {
        if ($null -eq $c) { continue }
        $detail = @(foreach ($d in @($c.status_401_detail)) {
                if ($null -eq $d) { continue }
                '401.{0}/{1} x{2}' -f (ConvertToNymiDash $d.substatus), (ConvertToNymiDash $d.win32_status), $d.count
            }) -join '; '
        $names = $null
        if ($c.PSObject.Properties['user_names'] -and $null -ne $c.user_names) {
            $names = ([string[]]@($c.user_names)) -join '; '
        }
        [PSCustomObject]@{
            PSTypeName = 'NymiDiag.NesClient'
            Client = [string]$c.client
            State = [string]$c.state
            MachineName = [string]$c.machine_name
            Expected = [string]$c.expected_as
            Requests = [long]$c.requests
            Successes = [long]$c.successes
            LastSuccess = ConvertToNymiDateTime $c.last_success
            LastFailure = ConvertToNymiDateTime $c.last_failure
            LastFailureStatus = [string]$c.last_failure_status
            Status401 = [long]$c.status_401
            KerberosFailures = [long]$c.kerberos_failures
            Status401Detail = $detail
            Status403 = [long]$c.status_403
            Status5xx = [long]$c.status_5xx
            StatusOther4xx = [long]$c.status_other_4xx
            HttpSysErrors = [long]$c.http_sys_errors
            HttpSysReasons = ([string[]]@($c.http_sys_reasons)) -join '; '
            FirstSeen = ConvertToNymiDateTime $c.first_seen
            LastSeen = ConvertToNymiDateTime $c.last_seen
            AddressSource = [string]$c.address_source
            UserNamesSeen = [int]$c.user_names_seen
            UserNames = $names
            Reason = [string]$c.reason
            NextStep = [string]$c.next_step
        }
    }
}

function ConvertToNymiDash {
    # A number or '-' for a field the log did not have.
    [CmdletBinding()]
    [OutputType([string])]
    param([AllowNull()][object] $Value)
    if ($null -eq $Value) { return '-' }
    [string]$Value
}

function ResolveNymiExpectedClient {
    # -ExpectedClient entries for the request: strings as they are, and for
    # each entry naming an existing .csv file, per row its address (or, when
    # the row has none, its name).
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory = $true)][string[]] $Entry,
        [Parameter(Mandatory = $true)][System.Management.Automation.PSCmdlet] $Cmdlet
    )
    $addressColumns = @('Address', 'IPAddress', 'IP', 'ClientAddress', 'Client')
    $nameColumns = @('Name', 'ComputerName', 'DeviceName', 'MachineName', 'HostName')
    foreach ($e in $Entry) {
        $text = ([string]$e).Trim()
        if (-not $text) { continue }
        $csv = $null
        if ($text.EndsWith('.csv', [System.StringComparison]::OrdinalIgnoreCase)) {
            $csv = ResolveNymiRequestPath -Cmdlet $Cmdlet -Path $text
            if (-not (Test-Path -LiteralPath $csv -PathType Leaf)) {
                $Cmdlet.ThrowTerminatingError((New-Object System.Management.Automation.ErrorRecord -ArgumentList @(
                            (New-Object System.IO.FileNotFoundException -ArgumentList ("NymiDiag: -ExpectedClient: the CSV file '$csv' does not exist.")),
                            'NymiDiag.ExpectedClientCsvNotFound', [System.Management.Automation.ErrorCategory]::ObjectNotFound, $text)))
            }
        }
        if (-not $csv) { $text; continue }
        $rows = @(Import-Csv -LiteralPath $csv)
        if ($rows.Count -eq 0) { continue }
        $columns = @($rows[0].PSObject.Properties | ForEach-Object Name)
        $address = $null
        foreach ($c in $addressColumns) { if (-not $address) { $address = $columns | Where-Object { $_ -eq $c } | Select-Object -First 1 } }
        $name = $null
        foreach ($c in $nameColumns) { if (-not $name) { $name = $columns | Where-Object { $_ -eq $c } | Select-Object -First 1 } }
        if (-not $address -and -not $name) {
            $Cmdlet.ThrowTerminatingError((New-Object System.Management.Automation.ErrorRecord -ArgumentList @(
                        (New-Object System.ArgumentException -ArgumentList ("NymiDiag: -ExpectedClient: '$csv' has no address column ({0}) and no name column ({1})." -f ($addressColumns -join ', '), ($nameColumns -join ', '))),
                        'NymiDiag.ExpectedClientCsvColumns', [System.Management.Automation.ErrorCategory]::InvalidData, $csv)))
        }
        foreach ($r in $rows) {
            $value = $null
            if ($address) { $value = ([string]$r.$address).Trim() }
            if (-not $value -and $name) { $value = ([string]$r.$name).Trim() }
            if ($value) { $value }
        }
    }
}
