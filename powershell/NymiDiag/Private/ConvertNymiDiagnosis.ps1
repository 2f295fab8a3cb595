# Turns the diagnose report into one NymiDiag.Diagnosis object: the verdict
# up front (what the default view shows), every finding and part report as
# properties for scripts, every property one readable cell for Export-Csv.

# The diagnosis keeps the library's JSON text (tens of kilobytes) for
# Save-NymiReport and the support bundle, but not as a listed property:
# Export-Csv writes every property, and Format-List * shows them all. The
# object is a NymiDiag.Native.Diagnosis of the C# shim (NativeMethods.cs),
# whose Json property is hidden: neither listed nor exported, yet
# $diagnosis.Json, PSObject.Properties['Json'] and $diagnosis.ToJson() still
# find it. It is not a PowerShell class: Constrained Language Mode cannot
# even parse one, and the module must parse there to say why it refuses to
# load. Every other property is a note property added in
# ConvertToNymiDiagnosis, in the order the views show.

function ConvertToNymiDiagnosis {
    [CmdletBinding()]
    [OutputType('NymiDiag.Diagnosis')]
    param(
        [Parameter(Mandatory = $true)][object] $Report,
        [Parameter(Mandatory = $true)][string] $Json
    )
    $data = $Report.data
    $verdict = $data.verdict
    $cause = $null
    $stage = $null
    $findingId = $null
    if ($verdict.PSObject.Properties['cause'] -and $verdict.cause) {
        $stage = [string]$verdict.cause.stage
        $findingId = [string]$verdict.cause.finding
        $cause = '{0} ({1})' -f $stage, $findingId
    }
    $count = $null
    if ($null -ne $data.ksp.certificates) { $count = [int]$data.ksp.certificates }

    $evidence = @(foreach ($e in @($data.evidence)) {
            [PSCustomObject]@{
                PSTypeName = 'NymiDiag.DiagnosisEvidence'
                Source = [string]$e.source
                Finding = [string]$e.finding
                Severity = [string]$e.severity
                Fact = [string]$e.fact
            }
        })
    $steps = @(foreach ($s in @($data.next_steps)) {
            [PSCustomObject]@{
                PSTypeName = 'NymiDiag.NextStep'
                Order = [int]$s.order
                Step = [string]$s.step
                Action = [string]$s.action
                Command = $(if ($null -ne $s.command) { [string]$s.command } else { $null })
                RunOn = [string]$s.run_on
            }
        })
    $checks = @(foreach ($c in @($data.checks)) {
            [PSCustomObject]@{
                PSTypeName = 'NymiDiag.DiagnosisCheck'
                Name = [string]$c.name
                Source = [string]$c.source
                State = [string]$c.state
                Detail = [string]$c.detail
                Finding = $(if ($null -ne $c.finding) { [string]$c.finding } else { $null })
            }
        })
    # Every finding: the verdict and host checks first, then each part's.
    $all = New-Object System.Collections.Generic.List[object]
    foreach ($f in @($Report.findings)) { $all.Add((ConvertToNymiFinding -Finding $f)) }
    foreach ($part in 'cert_inventory', 'nes_probe', 'log_scan') {
        $sub = $data.inputs.$part
        if ($null -ne $sub) {
            foreach ($f in @($sub.findings)) { $all.Add((ConvertToNymiFinding -Finding $f)) }
        }
    }

    $statusWord = ([string]$data.status_line).Split(' ')[0] -replace '^STATUS=', ''
    SetNymiReportText -Report $Report
    $diagnosis = [NymiDiag.Native.Diagnosis]::new($Json)
    $diagnosis.PSObject.TypeNames.Insert(0, 'NymiDiag.Diagnosis')
    $properties = [ordered]@{
        VerdictId = [string]$verdict.id
        Status = $statusWord
        Title = [string]$verdict.title
        Summary = [string]$verdict.summary
        Confidence = [string]$verdict.confidence
        Cause = $cause
        Stage = $stage
        FindingId = $findingId
        NesUri = $(if ($null -ne $data.nes_url.url) { [string]$data.nes_url.url } else { $null })
        NesUriSource = [string]$data.nes_url.source
        KspCertificates = $count
        KspExpected = [int]$data.ksp.expected
        KspPath = $(if ($null -ne $data.ksp.path) { [string]$data.ksp.path } else { $null })
        StatusLine = [string]$data.status_line
        Evidence = ConvertToNymiTextList -Value $evidence -Text (ConvertToNymiIdText -Item $evidence -Property 'Finding')
        NextSteps = ConvertToNymiTextList -Value $steps -Text ((@($steps | ForEach-Object { '{0}. {1} ({2})' -f $_.Order, $_.Step, $_.RunOn })) -join '; ')
        Checks = ConvertToNymiTextList -Value $checks -Text ((@($checks | ForEach-Object { '{0}={1}' -f $_.Name, $_.State })) -join ', ')
        Findings = ConvertToNymiTextList -Value $all.ToArray() -Text (ConvertToNymiIdText -Item $all.ToArray())
        ComputerName = [string]$Report.context.host
        StartedUtc = ConvertToNymiDateTime $Report.started_utc
        DurationMs = [long]$Report.duration_ms
        Report = $Report
    }
    Add-Member -InputObject $diagnosis -NotePropertyMembers $properties
    $diagnosis
}
