# Turns the nes_probe report into one NymiDiag.NesConnection object and adds
# the Windows-only stages: the proxy the machine would use, and the request
# with the caller's Windows identity.

function ConvertToNymiNesConnection {
    [CmdletBinding()]
    [OutputType('NymiDiag.NesConnection')]
    param(
        [Parameter(Mandatory = $true)][object] $Report,
        [AllowNull()][object] $WindowsProxy,
        [int] $TimeoutSec = 20,
        [switch] $NoWindowsIdentity
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

    if ($WindowsProxy -and $WindowsProxy.WinHttpProxy -and $hostName -and -not (TestNymiProxyBypass -HostName $hostName -Bypass $WindowsProxy.WinHttpBypass)) {
        $findings.Add((NewNymiFinding -Id 'NES_PROXY_INTERCEPTS' -Severity 'warning' `
                    -Title "The WinHTTP proxy $($WindowsProxy.WinHttpProxy) would carry the NES request" `
                    -Detail "Services running as SYSTEM, like the NEA, use the WinHTTP machine proxy ($($WindowsProxy.WinHttpProxy)), and $hostName is not in its bypass list ($($WindowsProxy.WinHttpBypass -join ';'))." `
                    -Remediation "Add $hostName to the bypass list (netsh winhttp set proxy proxy-server=`"$($WindowsProxy.WinHttpProxy)`" bypass-list=`"$hostName;<local>`") or reset it (netsh winhttp reset proxy) when NES is internal." `
                    -Evidence @{ winhttp_proxy = $WindowsProxy.WinHttpProxy; bypass = $WindowsProxy.WinHttpBypass; host = $hostName }))
    }

    $auth = InvokeNymiAuthenticatedRequest -Url $url -HostName $hostName -Stages $stages.ToArray() -TimeoutSec $TimeoutSec -NoWindowsIdentity:$NoWindowsIdentity
    for ($i = 0; $i -lt $stages.Count; $i++) {
        if ($stages[$i].Name -eq 'windows_auth') { $stages[$i] = $auth.Stage }
    }
    if ($auth.Finding) { $findings.Add($auth.Finding) }

    $verdict = $data.verdict
    $verdictStatus = [string]$verdict.status
    $findingId = [string]$verdict.finding
    $summary = [string]$verdict.summary
    if ($verdictStatus -eq 'ok' -and $auth.Finding) {
        $verdictStatus = 'failed'
        $findingId = $auth.Finding.Id
        $summary = $auth.Finding.Title
    }
    $nextStep = $null
    $decisive = $findings | Where-Object { $_.Id -eq $findingId } | Select-Object -First 1
    if ($decisive) { $nextStep = $decisive.Remediation }

    [PSCustomObject]@{
        PSTypeName = 'NymiDiag.NesConnection'
        Uri = $url
        HostName = $hostName
        Port = [Nullable[int]]$port
        Verdict = $verdictStatus
        FailedStage = [string]$verdict.stage
        FindingId = $findingId
        Summary = $summary
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

function NewNymiFinding {
    # Findings the PowerShell layer raises itself, in the library's shape.
    [CmdletBinding()]
    param([string] $Id, [string] $Severity, [string] $Title, [string] $Detail, [string] $Remediation, [hashtable] $Evidence = @{})
    [PSCustomObject]@{
        PSTypeName = 'NymiDiag.Finding'
        Id = $Id
        Severity = $Severity
        Title = $Title
        Detail = $Detail
        Remediation = $Remediation
        Refs = [string[]]@('article: token authentication')
        Evidence = [PSCustomObject]$Evidence
    }
}

function InvokeNymiAuthenticatedRequest {
    # Repeats the NES request with the caller's Windows identity. Only on
    # Windows, and only when TLS validated and the plain request got an
    # answer: credentials never go to an unverified server.
    [CmdletBinding()]
    param([string] $Url, [AllowNull()][string] $HostName, [object[]] $Stages, [int] $TimeoutSec, [switch] $NoWindowsIdentity)
    if ($NoWindowsIdentity) {
        return @{ Stage = (NewNymiNesStage -Name 'windows_auth' -Status 'skipped' -DurationMs 0 -Detail 'Skipped: the request with the Windows identity is sent only to a configured NES URL (-NoWindowsIdentity).'); Finding = $null }
    }
    $tls = $Stages | Where-Object { $_.Name -eq 'tls' } | Select-Object -First 1
    $http = $Stages | Where-Object { $_.Name -eq 'http' } | Select-Object -First 1
    if (-not (TestNymiIsWindows)) {
        return @{ Stage = (NewNymiNesStage -Name 'windows_auth' -Status 'not_applicable' -DurationMs 0 -Detail 'Not applicable on this operating system: the request with the Windows identity (Kerberos/NTLM) needs Windows.'); Finding = $null }
    }
    if (-not $tls -or $tls.Status -ne 'ok' -or -not $http -or $http.Status -ne 'ok') {
        return @{ Stage = (NewNymiNesStage -Name 'windows_auth' -Status 'skipped' -DurationMs 0 -Detail 'Skipped: an earlier stage failed, and credentials are only sent to a verified NES.'); Finding = $null }
    }
    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    $status = $null
    $problem = $null
    try {
        $response = Invoke-WebRequest -Uri $Url -UseDefaultCredentials -UseBasicParsing -MaximumRedirection 5 -TimeoutSec $TimeoutSec -ErrorAction Stop
        $status = [int]$response.StatusCode
    }
    catch {
        $problem = $_.Exception.Message
        if ($_.Exception.PSObject.Properties['Response'] -and $_.Exception.Response) { $status = [int]$_.Exception.Response.StatusCode }
    }
    $elapsed = $clock.ElapsedMilliseconds
    if ($status -eq 401) {
        $spn = "HTTP/$HostName"
        $finding = NewNymiFinding -Id 'NES_AUTH_FAILED' -Severity 'error' `
            -Title "NES refused this Windows identity (401 after authentication)" `
            -Detail "The request as $([System.Security.Principal.WindowsIdentity]::GetCurrent().Name) ended with 401: Kerberos could not authenticate to $HostName. Usual causes: the SPN $spn is missing or registered twice, the NES app pool identity does not own it, clock skew, or the account is not allowed." `
            -Remediation "Check the SPN: klist get $spn; setspn -Q $spn; setspn -X. Then read the NES IIS log for this terminal's IP (401 1 2148074254 repeated without a 200)." `
            -Evidence @{ status = 401; spn = $spn }
        return @{ Stage = (NewNymiNesStage -Name 'windows_auth' -Status 'failed' -DurationMs $elapsed -FindingId 'NES_AUTH_FAILED' -Detail "401 with the Windows identity; check $spn"); Finding = $finding }
    }
    if ($status -ge 200 -and $status -lt 400) {
        return @{ Stage = (NewNymiNesStage -Name 'windows_auth' -Status 'ok' -DurationMs $elapsed -Detail "HTTP $status with the Windows identity"); Finding = $null }
    }
    @{ Stage = (NewNymiNesStage -Name 'windows_auth' -Status 'failed' -DurationMs $elapsed -Detail "The request with the Windows identity failed: HTTP $status $problem"); Finding = $null }
}
