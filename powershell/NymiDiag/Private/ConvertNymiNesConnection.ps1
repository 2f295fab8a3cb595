# Turns the nes_probe report into one NymiDiag.NesConnection object. Only
# converts: the Windows-only stages (the proxy the machine would use, the
# request with the caller's Windows identity) are observations the library
# already folded into the report and its verdict.

function ConvertToNymiNesConnection {
    [CmdletBinding()]
    [OutputType('NymiDiag.NesConnection')]
    param(
        [Parameter(Mandatory = $true)][object] $Report,
        [AllowNull()][object] $WindowsProxy
    )
    $data = $Report.data
    $findings = New-Object System.Collections.Generic.List[object]
    foreach ($f in @($Report.findings | ConvertToNymiFinding)) { $findings.Add($f) }
    $stages = New-Object System.Collections.Generic.List[object]
    foreach ($s in @($data.stages)) { $stages.Add((NewNymiNesStage -Name $s.name -Status $s.status -DurationMs $s.duration_ms -FindingId $s.finding -Detail $s.detail)) }

    $hostName = $null
    $port = $null
    $url = [string]$data.input_url
    if ($data.target) {
        $hostName = [string]$data.target.host
        $port = [int]$data.target.port
        $url = [string]$data.target.url
    }

    $verdict = $data.verdict
    $findingId = [string]$verdict.finding
    $nextStep = $null
    $decisive = $findings | Where-Object { $_.Id -eq $findingId } | Select-Object -First 1
    if ($decisive) { $nextStep = $decisive.Remediation }

    # Lists and nested data carry a one-line text, so that Export-Csv gives
    # readable cells; scripts still index and enumerate them.
    $stageList = $stages.ToArray()
    $addresses = [string[]]@($data.addresses | ForEach-Object { [string]$_.address })
    $chain = @($data.presented_chain)
    $warnings = [string[]]@($Report.warnings)
    foreach ($nested in @($data.tls, $data.http, $data.proxy, $WindowsProxy)) {
        if ($null -ne $nested -and $nested -isnot [string]) { SetNymiText -InputObject $nested -Text (ConvertToNymiCompactJson -Value $nested) }
    }
    SetNymiReportText -Report $Report
    [PSCustomObject]@{
        PSTypeName = 'NymiDiag.NesConnection'
        Uri = $url
        HostName = $hostName
        Port = [Nullable[int]]$port
        Verdict = [string]$verdict.status
        FailedStage = [string]$verdict.stage
        FindingId = $findingId
        Summary = [string]$verdict.summary
        NextStep = $nextStep
        Stages = ConvertToNymiTextList -Value $stageList -Text ((@($stageList | ForEach-Object { '{0}={1}' -f $_.Name, $_.Status })) -join ', ')
        Addresses = ConvertToNymiTextList -Value $addresses -Text ($addresses -join ', ')
        Tls = $data.tls
        PresentedChain = ConvertToNymiTextList -Value $chain -Text ((@($chain | ForEach-Object { [string]$_.subject })) -join '; ')
        Http = $data.http
        Proxy = $data.proxy
        WindowsProxy = $WindowsProxy
        Findings = ConvertToNymiTextList -Value $findings.ToArray() -Text (ConvertToNymiIdText -Item $findings.ToArray())
        Warnings = ConvertToNymiTextList -Value $warnings -Text ($warnings -join '; ')
        Report = $Report
    }
}

function NewNymiNesStage {
    [CmdletBinding()]
    param([string] $Name, [string] $Status, [object] $DurationMs, [AllowNull()][string] $FindingId, [string] $Detail)
    [PSCustomObject]@{
        PSTypeName = 'NymiDiag.NesStage'
        Name = $Name
        Status = $Status
        Duration = [timespan]::FromMilliseconds([double]$DurationMs)
        FindingId = $FindingId
        Detail = $Detail
    }
}
