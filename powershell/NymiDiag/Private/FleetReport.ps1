# Get-NymiFleetReport's pieces: pipeline objects and Graph run states as
# the library's request rows, and the library's fleet report as one
# NymiDiag.FleetReport. The rows cross back as one text table that the C#
# shim turns into FleetDevice objects: ConvertFrom-Json of 10,000 objects
# would cost more than the whole roll-up.

# Property names read from pipeline objects, best first; the Intune export
# report's and Graph's own names, then the names people give such columns.
$script:NymiFleetDeviceNames = @('DeviceName', 'ComputerName', 'Device', 'Computer', 'Hostname', 'Host', 'MachineName', 'Name', 'PSComputerName')
$script:NymiFleetIdNames = @('DeviceId', 'AzureADDeviceId', 'AadDeviceId', 'ManagedDeviceId')
$script:NymiFleetOutputNames = @('PreRemediationDetectionScriptOutput', 'Output', 'StatusLine', 'Line')
$script:NymiFleetPostNames = @('PostRemediationDetectionScriptOutput', 'PostOutput')
$script:NymiFleetSeenNames = @('ModifiedTime', 'LastStateUpdateDateTime', 'LastSeen', 'StartedUtc', 'TimeGenerated')
$script:NymiFleetDetectionNames = @('DetectionStatus', 'DetectionState', 'Detection')

function GetNymiFleetValue {
    # The first of $Names that $Object has with a value, or $null.
    # Dictionaries (Graph's hashtables) are matched without case too.
    param([object] $Object, [string[]] $Names)
    if ($Object -is [System.Collections.IDictionary]) {
        foreach ($name in $Names) {
            if ($Object.Contains($name) -and $null -ne $Object[$name] -and [string]$Object[$name] -ne '') { return $Object[$name] }
        }
        foreach ($key in @($Object.Keys)) {
            foreach ($name in $Names) {
                if ([string]::Equals([string]$key, $name, [System.StringComparison]::OrdinalIgnoreCase) -and $null -ne $Object[$key] -and [string]$Object[$key] -ne '') { return $Object[$key] }
            }
        }
        return $null
    }
    $properties = $Object.PSObject.Properties
    foreach ($name in $Names) {
        $property = $properties[$name]
        if ($null -ne $property -and $null -ne $property.Value -and [string]$property.Value -ne '') { return $property.Value }
    }
    $null
}

function ConvertToNymiFleetTime {
    # A [datetime] as ISO-8601 UTC text; text as it is (the library reads
    # RFC 3339, SQL-style and US times).
    param([object] $Value)
    if ($null -eq $Value) { return $null }
    if ($Value -is [datetime]) { return ConvertToNymiIsoTime $Value }
    if ($Value -is [datetimeoffset]) { return ConvertToNymiIsoTime $Value.UtcDateTime }
    [string]$Value
}

function ConvertToNymiFleetRow {
    # One pipeline item as a request row: a string is the output (a
    # status line, no device); an object gives its device, output and
    # time properties, Graph's deviceRunStates items through managedDevice.
    param([object] $Item, [string] $Origin)
    $row = [ordered]@{ origin = $Origin }
    if ($Item -is [string]) {
        $row['output'] = $Item
        return $row
    }
    $managed = GetNymiFleetValue $Item @('managedDevice')
    $name = GetNymiFleetValue $Item $script:NymiFleetDeviceNames
    $id = GetNymiFleetValue $Item $script:NymiFleetIdNames
    if ($null -ne $managed) {
        if ($null -eq $name) { $name = GetNymiFleetValue $managed @('deviceName') }
        if ($null -eq $id) { $id = GetNymiFleetValue $managed @('azureADDeviceId', 'id') }
    }
    if ($null -ne $name) { $row['device_name'] = [string]$name }
    if ($null -ne $id) { $row['device_id'] = [string]$id }
    $output = GetNymiFleetValue $Item $script:NymiFleetOutputNames
    if ($null -ne $output) { $row['output'] = [string]$output }
    $post = GetNymiFleetValue $Item $script:NymiFleetPostNames
    if ($null -ne $post) { $row['post_output'] = [string]$post }
    $seen = ConvertToNymiFleetTime (GetNymiFleetValue $Item $script:NymiFleetSeenNames)
    if ($null -ne $seen) { $row['last_seen'] = $seen }
    $detection = GetNymiFleetValue $Item $script:NymiFleetDetectionNames
    if ($null -ne $detection) { $row['detection'] = [string]$detection }
    $row
}

function ConvertToNymiFleetGroupList {
    # The library's groups ({name, count}) as FleetGroup objects.
    param([object] $Groups)
    $list = New-Object System.Collections.Generic.List[NymiDiag.FleetGroup]
    foreach ($g in @($Groups)) {
        if ($null -ne $g) { $list.Add((New-Object NymiDiag.FleetGroup ([string]$g.name, [int]$g.count))) }
    }
    , $list.ToArray()
}

function ConvertToNymiFleetReport {
    # The library's fleet report (JSON text) as one NymiDiag.FleetReport.
    param([Parameter(Mandatory = $true)][string] $Json)
    # The table first, out of the text: Windows PowerShell 5.1's
    # ConvertFrom-Json refuses text over 2 MB, and the rest is small.
    $rest = $Json
    $devicesText = [NymiDiag.Native.TextTable]::TakeJsonString([ref]$rest, 'devices')
    if ($null -eq $devicesText) { throw 'NymiDiag: the fleet report holds no device table.' }
    $document = ConvertFrom-Json -InputObject $rest
    $data = $document.data
    $table = [NymiDiag.Native.TextTable]::Read($devicesText)
    $devices = [NymiDiag.FleetDevice]::FromTable($table)
    $report = New-Object NymiDiag.FleetReport
    $report.Devices = $devices
    $report.ByVerdict = ConvertToNymiFleetGroupList $data.by_verdict
    $report.ByStage = ConvertToNymiFleetGroupList $data.by_stage
    $report.ByNes = ConvertToNymiFleetGroupList $data.by_nes
    $report.BySite = ConvertToNymiFleetGroupList $data.by_site
    $report.Expiring = [NymiDiag.FleetReport]::Pick($devices, @($data.expiring))
    $report.Stale = [NymiDiag.FleetReport]::Pick($devices, @($data.stale))
    $report.Unparsed = [NymiDiag.FleetReport]::Pick($devices, @($data.unparsed))
    $report.Total = [int]$data.total
    $report.Rows = [int]$data.rows
    $report.Duplicates = [int]$data.duplicates
    # PowerShell 7's ConvertFrom-Json makes a [datetime] of the text
    # already; 5.1 leaves the text.
    $now = $data.now
    if ($now -isnot [datetime]) {
        $now = [datetime]::Parse([string]$now, [System.Globalization.CultureInfo]::InvariantCulture, [System.Globalization.DateTimeStyles]'AdjustToUniversal, AssumeUniversal')
    }
    $report.Now = $now.ToUniversalTime()
    $report.ExpiringDays = [int]$data.expiring_days
    $report.StaleDays = [int]$data.stale_days
    $report.Source = [string]$data.source
    $report.Warnings = [string[]]@($document.warnings)
    $report
}
