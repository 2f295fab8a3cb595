function Get-NymiFleetReport {
    <#
    .SYNOPSIS
    Rolls up the status lines of many terminals by cause, NES and site, with the terminals whose certificates expire soon.

    .DESCRIPTION
    Reads the one-line results that the Intune and GPO scripts print and
    save (STATUS=... code=... ksp=8/20 nes=... stage=... expiry=...), for
    thousands of terminals at once, and returns one NymiDiag.FleetReport:

    - Devices: one row per device, the newest (by its time; on a tie the
      row read last), with the line parsed into Status, Code, Ksp, Nes,
      Stage, Expiry, Site and the rest. Rows are flat: Export-Csv and
      Format-Table work on them.
    - ByVerdict, ByStage, ByNes, BySite: the devices counted per value,
      most first, like Group-Object ('(none)' for devices without one).
    - Expiring: devices whose earliest NEA certificate expires within
      -ExpiringDays, or has expired. Lines of version 0 carry no expiry; for
      report files it is taken from the diagnosis's certificate inventory.
    - Stale: devices whose last result is older than -StaleDays (devices
      with no time are not stale).
    - Unparsed: devices whose line could not be read (ParseStatus
      truncated, empty or malformed), whose report file could not be read
      (unreadable: partial JSON, another schema version, not a report) or
      whose row names no device (no_device); ParseProblem says why. Nothing
      is dropped: every row read is a device or a counted duplicate.

    Three sources:
    - -Path to a CSV file, or to the zip Graph's export job gives: the
      Intune export report DeviceRunStatesByProactiveRemediation, or any
      table with a device column (DeviceName, DeviceId, ComputerName, Name,
      Hostname, ...) and an output column (PreRemediationDetectionScriptOutput,
      Output, StatusLine, Line, ...). Header names are matched without case;
      ',' ';' or tab separated; UTF-8 with or without BOM, or UTF-16 with
      BOM (Excel's Unicode text). A table without a device or output column
      stops with an error naming the columns found.
    - -Path to a folder: every *.json below it, as Save-NymiReport and the
      Intune and GPO scripts write them (collected on a share, for
      example); the newest report per terminal wins.
    - -RemediationId: the remediation's per-device results from Microsoft
      Graph (deviceRunStates), through Invoke-MgGraphRequest (module
      Microsoft.Graph.Authentication, connected with
      DeviceManagementConfiguration.Read.All).
    - -InputObject (the pipeline): status-line strings (counted and
      grouped, and listed in Unparsed as no_device: a string names no
      device), or objects with a device property and an output property,
      such as Import-Csv rows or deviceRunStates items.

    The reading and the roll-up run in the library: 10,000 rows take about
    as long as Import-Csv of the same file.

    .PARAMETER Path
    A .csv or .zip file (the export report or any table of lines), or a
    folder of JSON report files.

    .PARAMETER RemediationId
    The id (a GUID) of an Intune remediation (deviceHealthScript): its
    devices' last results are read from Microsoft Graph, every page, with
    bounded retries on throttling.

    .PARAMETER ApiVersion
    The Graph version for -RemediationId: beta (default; the documented one)
    or v1.0.

    .PARAMETER InputObject
    Status-line strings, or objects with a device property (DeviceName,
    DeviceId, ComputerName, Name, managedDevice.deviceName, ...) and an
    output property (PreRemediationDetectionScriptOutput, Output,
    StatusLine, Line), optionally PostRemediationDetectionScriptOutput,
    a time (ModifiedTime, LastStateUpdateDateTime, LastSeen) and
    DetectionStatus.

    .PARAMETER ExpiringDays
    Devices whose certificates expire within this many days (or have
    expired) are listed in Expiring. Default 7.

    .PARAMETER StaleDays
    Devices whose last result is older than this many days are listed in
    Stale. Default 8: Intune reports a recurring script at least every 7
    days.

    .PARAMETER Now
    The time the report is made at; default now. Expiry and staleness count
    from it (for tests and for re-running a report as of a past day).

    .EXAMPLE
    Get-NymiFleetReport -Path .\DeviceRunStatesByProactiveRemediation.zip

    The export report of the remediation as Graph's export job gives it:
    devices, the top verdicts, stages, NES and sites, and how many expire
    soon, are stale or could not be read.

    .EXAMPLE
    $fleet = Get-NymiFleetReport -Path '\\fs01\NymiReports$'
    $fleet.ByVerdict
    $fleet.Expiring | Sort-Object Expiry | Format-Table

    The JSON reports that the GPO startup script saved to a share: the
    count per verdict, and the terminals whose NEA certificates expire
    within 7 days, soonest first.

    .EXAMPLE
    (Get-NymiFleetReport -RemediationId 0f6c1f7e-5d1a-4d55-9a39-3a8e3b1c2d4e).Devices |
        Where-Object Code -like 'NEA_CERTS_NOT_RETRIEVED_*' |
        Export-Csv -NoTypeInformation -Path .\broken.csv

    The remediation's terminals that did not get their NES certificates, to
    a CSV file.

    .EXAMPLE
    Import-Csv .\lines.csv | Get-NymiFleetReport -ExpiringDays 14

    Any table with a device column and a line column, from the pipeline;
    certificates expiring within two weeks.

    .EXAMPLE
    (Get-NymiFleetReport -Path .\export.csv).Unparsed | Format-Table DeviceName, ParseStatus, ParseProblem, Origin

    The rows whose line or report could not be read, with the reason and
    where each came from (file and line).

    .OUTPUTS
    NymiDiag.FleetReport

    .LINK
    Invoke-NymiUnattendedCheck

    .LINK
    Save-NymiReport
    #>
    [CmdletBinding(DefaultParameterSetName = 'Path')]
    [OutputType('NymiDiag.FleetReport')]
    param(
        [Parameter(ParameterSetName = 'Path', Mandatory = $true, Position = 0)]
        [ValidateNotNullOrEmpty()]
        [string] $Path,

        [Parameter(ParameterSetName = 'RemediationId', Mandatory = $true)]
        [guid] $RemediationId,

        [Parameter(ParameterSetName = 'RemediationId')]
        [ValidateSet('beta', 'v1.0')]
        [string] $ApiVersion = 'beta',

        [Parameter(ParameterSetName = 'InputObject', Mandatory = $true, ValueFromPipeline = $true)]
        [AllowNull()]
        [AllowEmptyString()]
        [object] $InputObject,

        [ValidateRange(0, 3650)]
        [int] $ExpiringDays = 7,

        [ValidateRange(0, 3650)]
        [int] $StaleDays = 8,

        [datetime] $Now
    )
    begin {
        $rows = New-Object System.Collections.Generic.List[object]
        $count = 0
    }
    process {
        if ($PSCmdlet.ParameterSetName -ne 'InputObject') { return }
        foreach ($item in @($InputObject)) {
            $count++
            # $null and '' are rows too: a device whose line is empty is
            # counted, never dropped.
            if ($null -eq $item) { $item = '' }
            $rows.Add((ConvertToNymiFleetRow -Item $item -Origin ('pipeline[{0}]' -f ($count - 1))))
        }
    }
    end {
        $request = @{ expiring_days = $ExpiringDays; stale_days = $StaleDays }
        if ($PSBoundParameters.ContainsKey('Now')) { $request['now'] = ConvertToNymiIsoTime $Now }
        switch ($PSCmdlet.ParameterSetName) {
            'Path' {
                $resolved = $PSCmdlet.GetUnresolvedProviderPathFromPSPath($Path)
                if ([System.IO.Directory]::Exists($resolved)) { $request['reports'] = $resolved }
                elseif ([System.IO.File]::Exists($resolved)) { $request['csv'] = $resolved }
                else {
                    $exception = New-Object System.Management.Automation.ItemNotFoundException ("NymiDiag: no file or folder '$resolved'.")
                    $PSCmdlet.ThrowTerminatingError((New-Object System.Management.Automation.ErrorRecord ($exception, 'NymiDiag.PathNotFound', [System.Management.Automation.ErrorCategory]::ObjectNotFound, $Path)))
                }
            }
            'RemediationId' {
                $states = @(GetNymiFleetGraphRows -RemediationId $RemediationId -ApiVersion $ApiVersion -Cmdlet $PSCmdlet)
                foreach ($state in $states) {
                    $row = [ordered]@{ origin = $RemediationId.ToString() }
                    foreach ($pair in @(@('device_name', 'DeviceName'), @('device_id', 'DeviceId'), @('output', 'Output'), @('post_output', 'PostOutput'), @('detection', 'Detection'))) {
                        $value = $state.PSObject.Properties[$pair[1]]
                        if ($null -ne $value -and $null -ne $value.Value) { $row[$pair[0]] = [string]$value.Value }
                    }
                    $seen = $state.PSObject.Properties['LastSeen']
                    if ($null -ne $seen -and $null -ne $seen.Value) { $row['last_seen'] = ConvertToNymiFleetTime $seen.Value }
                    $rows.Add($row)
                }
                $request['rows'] = $rows.ToArray()
                $request['rows_source'] = 'graph'
            }
            'InputObject' {
                $request['rows'] = $rows.ToArray()
                $request['rows_source'] = 'pipeline'
            }
        }
        $json = InvokeNymiExport -Export 'nymidiag_fleet_report' -Request $request -Cmdlet $PSCmdlet -Raw
        ConvertToNymiFleetReport -Json $json
    }
}
