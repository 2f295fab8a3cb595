# The data collection rule template (powershell/Fleet/dcr.json) against the
# table it feeds (NymiDiagFleet_CL.table.json): what Send-NymiReport sends
# must be what the rule declares and what the table holds.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    $fleet = Join-Path $RepoRoot 'powershell/Fleet'
    $script:TemplateText = Get-Content -Raw (Join-Path $fleet 'dcr.json')
    $script:Template = $TemplateText | ConvertFrom-Json
    $script:Table = Get-Content -Raw (Join-Path $fleet 'NymiDiagFleet_CL.table.json') | ConvertFrom-Json
    $script:Rule = @($Template.resources | Where-Object { $_.type -eq 'Microsoft.Insights/dataCollectionRules' })[0]
}

Describe 'dcr.json' {
    It 'is an ARM deployment template with one data collection rule' {
        $Template.'$schema' | Should -Match 'deploymentTemplate\.json#$'
        $Template.contentVersion | Should -Not -BeNullOrEmpty
        @($Template.resources | Where-Object { $_.type -eq 'Microsoft.Insights/dataCollectionRules' }).Count | Should -Be 1
    }

    It 'is a rule of kind Direct, so that it has its own logs ingestion endpoint' {
        $Rule.kind | Should -Be 'Direct'
        $Rule.apiVersion | Should -Match '^20(2[3-9]|[3-9]\d)-'
        $Template.outputs.logsIngestionEndpoint.value | Should -Match '\.endpoints\.logsIngestion\]$'
        $Template.outputs.immutableId.value | Should -Match '\.immutableId\]$'
    }

    It 'declares the stream Send-NymiReport sends to, with the table''s columns, names and types in order' {
        $declared = $Rule.properties.streamDeclarations.'Custom-NymiDiagFleet_CL'.columns
        @($declared | ForEach-Object { '{0}:{1}' -f $_.name, $_.type }) |
            Should -Be @($Table.properties.schema.columns | ForEach-Object { '{0}:{1}' -f $_.name, $_.type })
        $default = (Get-Command -Module NymiDiag Send-NymiReport -ErrorAction SilentlyContinue)
        if (-not $default) { Import-Module $ManifestPath -Force; $default = Get-Command Send-NymiReport }
        $default.ScriptBlock.Ast.Body.ParamBlock.Parameters |
            Where-Object { $_.Name.VariablePath.UserPath -eq 'StreamName' } |
            ForEach-Object { $_.DefaultValue.Value } | Should -Be 'Custom-NymiDiagFleet_CL'
    }

    It 'passes the stream unchanged into the table, in the workspace given' {
        $flows = @($Rule.properties.dataFlows)
        $flows.Count | Should -Be 1
        $flows[0].transformKql | Should -Be 'source'
        $flows[0].outputStream | Should -Be ('Custom-' + $Table.properties.schema.name)
        $variables = $Template.variables
        $stream = $flows[0].streams[0] -replace "^\[variables\('(\w+)'\)\]$", '$1'
        $variables.$stream | Should -Be 'Custom-NymiDiagFleet_CL'
        $destination = $flows[0].destinations[0] -replace "^\[variables\('(\w+)'\)\]$", '$1'
        $Rule.properties.destinations.logAnalytics[0].name -replace "^\[variables\('(\w+)'\)\]$", '$1' | Should -Be $destination
        $Rule.properties.destinations.logAnalytics[0].workspaceResourceId | Should -Be "[parameters('workspaceResourceId')]"
    }

    It 'can grant Monitoring Metrics Publisher on the rule to the collector''s identity' {
        $assignment = @($Template.resources | Where-Object { $_.type -eq 'Microsoft.Authorization/roleAssignments' })[0]
        $assignment.condition | Should -Match 'publisherPrincipalId'
        $Template.variables.($assignment.properties.roleDefinitionId -replace "^.*variables\('(\w+)'\).*$", '$1') |
            Should -Be '3913510d-42f4-4e42-8a64-420c390055eb'
    }

    It 'uses only the parameters and variables it declares' {
        foreach ($match in [regex]::Matches($TemplateText, "parameters\('(\w+)'\)")) {
            $Template.parameters.PSObject.Properties.Name | Should -Contain $match.Groups[1].Value
        }
        foreach ($match in [regex]::Matches($TemplateText, "variables\('(\w+)'\)")) {
            $Template.variables.PSObject.Properties.Name | Should -Contain $match.Groups[1].Value
        }
    }
}
