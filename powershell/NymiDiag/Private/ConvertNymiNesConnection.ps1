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
        Stages = $stages.ToArray()
        Addresses = [string[]]@($data.addresses | ForEach-Object { [string]$_.address })
        Tls = $data.tls
        PresentedChain = @($data.presented_chain)
        Http = $data.http
        Proxy = $data.proxy
        WindowsProxy = $WindowsProxy
        Findings = $findings.ToArray()
        Warnings = [string[]]@($Report.warnings)
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
