# Turns the log_scan report into one NymiDiag.LogScan object with typed hits.

function ConvertToNymiLogScan {
    [CmdletBinding()]
    [OutputType('NymiDiag.LogScan')]
    param([Parameter(Mandatory = $true)][object] $Report)
    $data = $Report.data
    $findings = @($Report.findings | ConvertToNymiFinding)
    $hits = @(foreach ($h in @($data.hits)) {
            # A loop, not Select-Object -First: that would add a
            # 'Selected.' type name to the finding and change its view.
            $finding = $null
            foreach ($f in $findings) { if ($f.Id -eq $h.rule_id) { $finding = $f; break } }
            $files = [string[]]@($h.files.PSObject.Properties | ForEach-Object Name)
            $locations = @($h.locations | ForEach-Object { '{0}:{1}' -f $_.path, $_.line })
            $excerpts = [string[]]@($h.excerpts | ForEach-Object { [string]$_.text })
            SetNymiText -InputObject $h.fields -Text (ConvertToNymiCompactJson -Value $h.fields)
            [PSCustomObject]@{
                PSTypeName = 'NymiDiag.LogHit'
                RuleId = [string]$h.rule_id
                Severity = [string]$h.severity
                Title = [string]$h.title
                Count = [int]$h.count
                FirstSeen = ConvertToNymiDateTime $h.first_seen
                LastSeen = ConvertToNymiDateTime $h.last_seen
                Files = ConvertToNymiTextList -Value $files -Text ($files -join '; ')
                Locations = ConvertToNymiTextList -Value $locations -Text ($locations -join '; ')
                Excerpts = ConvertToNymiTextList -Value $excerpts -Text (ConvertToNymiCompactJson -Value $excerpts)
                Fields = $h.fields
                Remediation = $(if ($finding) { $finding.Remediation } else { $null })
                Pack = [string]$h.pack
            }
        })
    $coverage = $data.coverage
    # Lists and the report read as one cell each in Export-Csv.
    $files = @($data.files)
    $notScanned = [string[]]@($data.not_scanned | ForEach-Object { '{0} ({1})' -f $_.path, $_.reason })
    $errorCodes = @($data.error_codes)
    $searched = @($data.searched_locations)
    $warnings = [string[]]@($Report.warnings)
    SetNymiReportText -Report $Report
    [PSCustomObject]@{
        PSTypeName = 'NymiDiag.LogScan'
        Summary = [string]$data.summary
        NothingMatched = [bool]$data.nothing_matched
        Hits = ConvertToNymiTextList -Value $hits -Text ((@($hits | ForEach-Object { '{0} x{1}' -f $_.RuleId, $_.Count })) -join ', ')
        FilesRead = [int]$coverage.files_read
        BytesRead = [long]$coverage.bytes_read
        FirstRecord = ConvertToNymiDateTime $coverage.first_time
        LastRecord = ConvertToNymiDateTime $(if ($coverage.PSObject.Properties['last_time']) { $coverage.last_time } else { $null })
        Files = ConvertToNymiTextList -Value $files -Text (ConvertToNymiIdText -Item $files -Property 'path')
        NotScanned = ConvertToNymiTextList -Value $notScanned -Text ($notScanned -join '; ')
        ParseProblems = [int]$data.parse_problems_total
        ErrorCodes = ConvertToNymiTextList -Value $errorCodes -Text (ConvertToNymiCompactJson -Value $errorCodes -MaxLength 1000)
        SearchedLocations = ConvertToNymiTextList -Value $searched -Text (ConvertToNymiCompactJson -Value $searched -MaxLength 1000)
        Findings = ConvertToNymiTextList -Value $findings -Text (ConvertToNymiIdText -Item $findings)
        Warnings = ConvertToNymiTextList -Value $warnings -Text ($warnings -join '; ')
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
