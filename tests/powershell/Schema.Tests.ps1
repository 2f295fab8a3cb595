# The JSON the library writes validates against the committed schemas in
# include/, and the schemas reject documents that break the contract.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    Import-Module $ManifestPath -Force
    $reportSchema = Join-Path $IncludeRoot 'nymidiag.report.schema.json'
    $errorSchema = Join-Path $IncludeRoot 'nymidiag.error.schema.json'
    $sample = Join-Path $RepoRoot 'tests/data/report-sample.json'

    function Test-Schema([string] $Json, [string] $Schema) {
        Test-Json -Json $Json -SchemaFile $Schema -ErrorAction SilentlyContinue
    }
}

# Test-Json arrived in PowerShell 6.1; under Windows PowerShell 5.1 the
# same documents are validated by the PowerShell 7 run of this suite.
Describe 'report schema' -Skip:(-not (Get-Command Test-Json -ErrorAction SilentlyContinue)) {
    It 'accepts the describe report' {
        Test-Schema (Get-NymiDiagEnvironment -Raw) $reportSchema | Should -BeTrue
    }

    It 'accepts a sample report with findings, evidence and coverage' {
        Test-Schema (Get-Content -Raw $sample) $reportSchema | Should -BeTrue
    }

    It 'rejects <Case>' -ForEach @(
        @{ Case = 'a finding id that is not SCREAMING_SNAKE'; Edit = { param($d) $d.findings[0].id = 'nea-certs-missing' } }
        @{ Case = 'an unknown severity'; Edit = { param($d) $d.findings[0].severity = 'fatal' } }
        @{ Case = 'an unknown status'; Edit = { param($d) $d.status = 'broken' } }
        @{ Case = 'a local time'; Edit = { param($d) $d.started_utc = '2026-05-02 07:41:08' } }
        @{ Case = 'a missing context'; Edit = { param($d) $d.PSObject.Properties.Remove('context') } }
    ) {
        $doc = Get-Content -Raw $sample | ConvertFrom-Json
        & $Edit $doc
        Test-Schema ($doc | ConvertTo-Json -Depth 20) $reportSchema | Should -BeFalse
    }
}

Describe 'error schema' -Skip:(-not (Get-Command Test-Json -ErrorAction SilentlyContinue)) {
    It 'accepts the error document of a failed call' {
        $json = InModuleScope NymiDiag {
            $response = $null
            $status = $script:NymiNative.Library.Call('nymidiag_describe', [System.Text.Encoding]::UTF8.GetBytes('{"unknown":1}'), [ref]$response)
            $status | Should -Be 202
            [System.Text.Encoding]::UTF8.GetString($response)
        }
        Test-Schema $json $errorSchema | Should -BeTrue
        ($json | ConvertFrom-Json).error.id | Should -Be 'REQUEST_INVALID'
    }

    It 'rejects a document without an error id' {
        $json = '{"schema_version":1,"tool_version":"0.1.0","capability":"describe","error":{"status":202,"message":"m"}}'
        Test-Schema $json $errorSchema | Should -BeFalse
    }
}
