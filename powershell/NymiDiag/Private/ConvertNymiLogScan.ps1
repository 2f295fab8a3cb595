# Turns the log_scan report into one NymiDiag.LogScan object with typed hits.

function ConvertToNymiLogScan {
    [CmdletBinding()]
    [OutputType('NymiDiag.LogScan')]
    param([Parameter(Mandatory = $true)][object] $Report)
    $data = $Report.data
    $findings = @($Report.findings | ConvertToNymiFinding)
    $hits = @(foreach ($h in @($data.hits)) {
            $finding = $findings | Where-Object { $_.Id -eq $h.rule_id } | Select-Object -First 1
            [PSCustomObject]@{
                PSTypeName = 'NymiDiag.LogHit'
                RuleId = [string]$h.rule_id
                Severity = [string]$h.severity
                Title = [string]$h.title
                Count = [int]$h.count
                FirstSeen = ConvertToNymiDateTime $h.first_seen
                LastSeen = ConvertToNymiDateTime $h.last_seen
                Files = [string[]]@($h.files.PSObject.Properties | ForEach-Object Name)
                Locations = @($h.locations | ForEach-Object { '{0}:{1}' -f $_.path, $_.line })
                Excerpts = [string[]]@($h.excerpts | ForEach-Object { [string]$_.text })
                Fields = $h.fields
                Remediation = $(if ($finding) { $finding.Remediation } else { $null })
                Pack = [string]$h.pack
            }
        })
    $coverage = $data.coverage
    [PSCustomObject]@{
        PSTypeName = 'NymiDiag.LogScan'
        Summary = [string]$data.summary
        NothingMatched = [bool]$data.nothing_matched
        Hits = $hits
        FilesRead = [int]$coverage.files_read
        BytesRead = [long]$coverage.bytes_read
        FirstRecord = ConvertToNymiDateTime $coverage.first_time
        LastRecord = ConvertToNymiDateTime $(if ($coverage.PSObject.Properties['last_time']) { $coverage.last_time } else { $null })
        Files = @($data.files)
        NotScanned = @($data.not_scanned | ForEach-Object { '{0} ({1})' -f $_.path, $_.reason })
        ParseProblems = [int]$data.parse_problems_total
        ErrorCodes = @($data.error_codes)
        SearchedLocations = @($data.searched_locations)
        Findings = $findings
        Warnings = [string[]]@($Report.warnings)
        Report = $Report
    }
}

function ConvertToNymiIsoTime {
    # [datetime] to the ISO-8601 UTC text the library reads; an Unspecified
    # time is taken as local, as everywhere in PowerShell.
    [CmdletBinding()]
    [OutputType([string])]
    param([Parameter(Mandatory = $true)][datetime] $Time)
    $Time.ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ss.fffZ', [System.Globalization.CultureInfo]::InvariantCulture)
}

function ConvertToNymiPascalCase {
    [CmdletBinding()]
    [OutputType([string])]
    param([Parameter(Mandatory = $true)][string] $Name)
    -join ($Name.Split('_') | ForEach-Object { if ($_.Length -gt 0) { $_.Substring(0, 1).ToUpperInvariant() + $_.Substring(1) } })
}
