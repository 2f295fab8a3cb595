<#
.SYNOPSIS
Writes the Azure Monitor workbook of the fleet view from its KQL files.

.DESCRIPTION
The queries live in one place, powershell/Fleet/queries/*.kql, where an
admin can also paste them into Log Analytics as they are. This script builds
powershell/Fleet/workbook.json (Notebook/1.0) around them: a Site parameter,
a bar chart by cause and grids by NES, by site, expiring, stale and
unparsed. The one change made to a query on its way into the workbook is its
site filter line, `let Sites = dynamic(["*"]);` (every site), which becomes
`let Sites = dynamic([{Site}]);` (the sites picked in the workbook; "All"
gives "*"). FleetAssets.Tests.ps1 fails when the committed workbook differs
from what this script writes. Run it after editing a query:

    pwsh -NoProfile -File tools/New-FleetWorkbook.ps1

.PARAMETER OutFile
Where to write; powershell/Fleet/workbook.json by default.
#>
[CmdletBinding()]
param([string] $OutFile)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0

$root = Split-Path -Parent $PSScriptRoot
$fleet = Join-Path $root 'powershell/Fleet'
if (-not $OutFile) { $OutFile = Join-Path $fleet 'workbook.json' }

$siteLine = 'let Sites = dynamic(["*"]);'
$siteParameterLine = 'let Sites = dynamic([{Site}]);'
$workspaces = 'microsoft.operationalinsights/workspaces'

function Read-FleetQuery {
    # The text of queries/<Name>.kql (LF line ends, no trailing newline),
    # with the site filter bound to the workbook's Site parameter.
    param([string] $Name)
    $path = Join-Path $fleet "queries/$Name.kql"
    $text = ([System.IO.File]::ReadAllText($path) -replace "`r`n", "`n").TrimEnd("`n")
    $count = ([regex]::Matches($text, [regex]::Escape($siteLine))).Count
    if ($text -cmatch '\bSites\b' -and $count -ne 1) { throw "$path uses Sites but does not define it with exactly one line '$siteLine'" }
    $text.Replace($siteLine, $siteParameterLine)
}

function New-QueryItem {
    param([string] $Name, [string] $Title, [string] $Visualization, [string] $Width = '100', [string] $NoData)
    $content = [ordered]@{
        version = 'KqlItem/1.0'
        query = Read-FleetQuery $Name
        size = 0
        title = $Title
        noDataMessage = $NoData
        queryType = 0
        resourceType = $workspaces
        visualization = $Visualization
    }
    [ordered]@{ type = 3; content = $content; customWidth = $Width; name = $Name }
}

$workbook = [ordered]@{
    version = 'Notebook/1.0'
    items = @(
        [ordered]@{
            type = 1
            content = [ordered]@{
                json = "## Nymi terminals and their NEA certificates`n" +
                    'The latest status line of every terminal, as `Send-NymiReport` stores it in the `NymiDiagFleet_CL` table ' +
                    '(rows of the last 30 days). Pick sites to narrow every tile. The same queries are in `powershell/Fleet/queries`.'
            }
            name = 'intro'
        }
        [ordered]@{
            type = 9
            content = [ordered]@{
                version = 'KqlParameterItem/1.0'
                parameters = @(
                    [ordered]@{
                        id = '5b0f6a2e-8c1d-4f3a-9e7b-2d4c6a8e0f13'
                        version = 'KqlParameterItem/1.0'
                        name = 'Site'
                        label = 'Site'
                        type = 2
                        description = 'Sites configured on the terminals (site= of the status line); All includes terminals without a site.'
                        isRequired = $true
                        multiSelect = $true
                        quote = '"'
                        delimiter = ','
                        query = Read-FleetQuery 'sites'
                        typeSettings = [ordered]@{
                            additionalResourceOptions = @('value::all')
                            selectAllValue = '*'
                            showDefault = $false
                        }
                        defaultValue = 'value::all'
                        value = @('value::all')
                        queryType = 0
                        resourceType = $workspaces
                    }
                )
                style = 'pills'
                queryType = 0
                resourceType = $workspaces
            }
            name = 'parameters'
        }
        (New-QueryItem -Name 'by-cause' -Title 'Terminals by cause' -Visualization 'barchart' -Width '50' -NoData 'No terminal has reported in the last 30 days.')
        (New-QueryItem -Name 'by-nes' -Title 'Terminals by NES' -Visualization 'table' -Width '50' -NoData 'No terminal has reported in the last 30 days.')
        (New-QueryItem -Name 'by-site' -Title 'Terminals by site' -Visualization 'table' -NoData 'No terminal has reported in the last 30 days.')
        (New-QueryItem -Name 'expiring' -Title 'NEA certificates expiring within 7 days or expired' -Visualization 'table' -Width '50' -NoData 'No NEA certificate expires within 7 days.')
        (New-QueryItem -Name 'stale' -Title 'Terminals silent for more than 8 days' -Visualization 'table' -Width '50' -NoData 'Every terminal reported within 8 days.')
        (New-QueryItem -Name 'unparsed' -Title 'Status lines that could not be read' -Visualization 'table' -NoData 'Every status line was read.')
    )
    fallbackResourceIds = @()
    '$schema' = 'https://github.com/Microsoft/Application-Insights-Workbooks/blob/master/schema/workbook.json'
}

$json = (ConvertTo-Json -InputObject $workbook -Depth 20) -replace "`r`n", "`n"
[System.IO.File]::WriteAllText($OutFile, $json + "`n", (New-Object System.Text.UTF8Encoding $false))
Write-Verbose "wrote $OutFile"
