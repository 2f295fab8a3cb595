# Reading status lines back (ConvertFrom-NymiStatusLine): the text each
# input carries, and one library call per batch.

# Lines per nymidiag_status_lines call: each row comes back as about 400
# bytes of JSON, so a batch stays well under Windows PowerShell 5.1's
# 2,097,152-character ConvertFrom-Json limit even before the table is taken
# out of the report, and the pipeline keeps moving on large inputs.
$script:NymiStatusLineBatch = 2000

# The properties that carry a line, in the order they are tried; Intune's
# post-remediation output is the newer one when it is not empty.
$script:NymiStatusLineProperties = @(
    'StatusLine', 'status_line', 'Line', 'Output',
    'PostRemediationDetectionScriptOutput', 'PreRemediationDetectionScriptOutput'
)

function GetNymiStatusLineText {
    # The text an input carries: a string as it is; for an object the first
    # non-empty property of $script:NymiStatusLineProperties (hashtables
    # too); $null reads as empty.
    param([AllowNull()][object] $Item)
    if ($null -eq $Item) { return '' }
    if ($Item -is [string]) { return $Item }
    foreach ($name in $script:NymiStatusLineProperties) {
        $value = $null
        if ($Item -is [System.Collections.IDictionary]) {
            if ($Item.Contains($name)) { $value = $Item[$name] }
        }
        elseif ($Item.PSObject.Properties[$name]) {
            $value = $Item.PSObject.Properties[$name].Value
        }
        if ($null -ne $value -and ([string]$value).Trim()) { return [string]$value }
    }
    ''
}

function ConvertNymiStatusLines {
    # One nymidiag_status_lines call: the rows come back as a text table,
    # taken out of the report before the rest is converted.
    param(
        [Parameter(Mandatory = $true)][AllowEmptyString()][AllowNull()][string[]] $Lines,
        [Parameter(Mandatory = $true)][System.Management.Automation.PSCmdlet] $Cmdlet
    )
    $json = InvokeNymiExport -Export 'nymidiag_status_lines' -Request @{ lines = $Lines } -Cmdlet $Cmdlet -Raw -Verbose:$false
    $table = [NymiDiag.Native.TextTable]::TakeJsonString([ref]$json, 'table')
    if ($null -eq $table) {
        $Cmdlet.ThrowTerminatingError((New-Object System.Management.Automation.ErrorRecord (
                    (New-Object System.InvalidOperationException 'NymiDiag: the status_lines report holds no table.'),
                    'NymiDiag.StatusLinesNoTable', [System.Management.Automation.ErrorCategory]::InvalidResult, $null)))
    }
    $report = ConvertFrom-Json -InputObject $json
    Write-Verbose ('NymiDiag: {0} lines read: {1} ok, {2} truncated, {3} empty, {4} malformed' -f $Lines.Count,
        $report.data.counts.ok, $report.data.counts.truncated, $report.data.counts.empty, $report.data.counts.malformed)
    [NymiDiag.StatusLine]::FromTable([NymiDiag.Native.TextTable]::Read($table))
}
