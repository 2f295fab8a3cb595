function Test-NymiNesConnection {
    <#
    .SYNOPSIS
    Tests the path from this terminal to the Nymi Enterprise Server (NES) stage by stage and says where it breaks.

    .DESCRIPTION
    Runs the connectivity checks support does by hand, in order: the URL,
    the proxy, DNS (every address), TCP to each address, TLS (protocol,
    cipher, the certificate chain the server presents, and whether the
    platform roots or the CA file given with -TrustedRootPath trust it), and
    one HTTP GET without credentials (status, Server, the authentication
    schemes offered). The first failing stage is the verdict, with a stable
    finding id (NES_DNS_FAILED, NES_TCP_REFUSED, NES_TCP_TIMEOUT,
    NES_TLS_UNTRUSTED, NES_TLS_NAME_MISMATCH, NES_HTTP_NOT_FOUND, ...) and
    the next step; later stages are skipped with the reason.

    On Windows it also reads the WinHTTP machine proxy (what services running
    as SYSTEM use) and the user's WinINET proxy and PAC URL (the library
    raises NES_PROXY_INTERCEPTS when the WinHTTP proxy would carry the NES
    request), and sends the request with the caller's Windows identity
    (Invoke-WebRequest -UseDefaultCredentials; the computer account when run
    as SYSTEM) to an https URL that accepts a TCP connection within 5 s: a
    401 there is NES_AUTH_FAILED, a Kerberos/SPN or account problem, and
    counts only when the anonymous stages passed TLS and HTTP. Windows
    validates the certificate first and never sends credentials to a server
    it does not trust. Elsewhere those stages are not applicable.

    Only the servers named by -Uri are contacted.

    .PARAMETER Uri
    NES URL, https://nes.corp.example/nes, or only the host name (then
    https://<host>/nes). Several URIs, also from the pipeline, are tested one
    after the other. Default: the configured NesUri (policy or configuration
    file, Get-NymiDiagConfiguration); without one the command stops with
    the error NymiNesUriMissing. -TimeoutSec and -TrustedRootPath, when not
    given, come from the configuration too.

    .PARAMETER TimeoutSec
    Overall deadline per URI, in seconds. Default 20. Stage timeouts (DNS 5 s,
    TCP 5 s, TLS 10 s, HTTP 10 s) never exceed it.

    .PARAMETER Proxy
    Proxy to use for the test (http://proxy:8080). Default: none, or
    HTTPS_PROXY/NO_PROXY from the environment.

    .PARAMETER TrustedRootPath
    PEM or DER file with the CA certificates the NES certificate should chain
    to, in addition to the platform's trusted roots.

    .PARAMETER ExpectedIssuer
    Text the issuer of the NES certificate should contain, for example the
    name of the enterprise CA. Another issuer suggests TLS inspection.

    .PARAMETER NoPlatformRoots
    Trust only -TrustedRootPath, not the platform's root store.

    .PARAMETER NoWindowsIdentity
    Do not send the request with the Windows identity (the windows_auth
    stage is skipped and says why): for a URL that was not configured by
    an admin, for example one inferred from logs that users can write.

    .PARAMETER Raw
    Return the library's JSON report unchanged (a string), the Windows-only
    stages included.

    .EXAMPLE
    Test-NymiNesConnection -Uri https://nes.corp.example/nes

    One line per stage with its time and outcome, then the verdict and the
    next step.

    .EXAMPLE
    Test-NymiNesConnection nes.corp.example -TrustedRootPath C:\Certs\corp-root.cer -ExpectedIssuer 'Corp Issuing CA'

    Checks the NES certificate against the company root and flags a chain
    from another issuer (a proxy inspecting TLS).

    .EXAMPLE
    $result = Test-NymiNesConnection https://nes.corp.example/nes -TimeoutSec 10
    if ($result.Verdict -ne 'ok') { "STATUS=ISSUE v=1 code=$($result.FindingId) nes=$($result.HostName):$($result.Port)"; exit 1 }

    An Intune detection line: exit 1 with the finding id when NES cannot be
    reached.

    .OUTPUTS
    NymiDiag.NesConnection, or System.String with -Raw.

    .LINK
    Get-NymiNeaCertificate

    .LINK
    about_NymiDiag
    #>
    [CmdletBinding()]
    [OutputType('NymiDiag.NesConnection')]
    [OutputType([string])]
    param(
        [Parameter(Position = 0, ValueFromPipeline = $true, ValueFromPipelineByPropertyName = $true)]
        [Alias('Url', 'NesUri')]
        [ValidateNotNullOrEmpty()]
        [string[]] $Uri,

        [ValidateRange(1, 600)]
        [int] $TimeoutSec = 20,

        [uri] $Proxy,

        [ValidateNotNullOrEmpty()]
        [string] $TrustedRootPath,

        [ValidateNotNullOrEmpty()]
        [string] $ExpectedIssuer,

        [switch] $NoPlatformRoots,

        [switch] $NoWindowsIdentity,

        [switch] $Raw
    )
    begin {
        # What the caller did not give comes from the policy, the
        # configuration file or the default (Get-NymiDiagConfiguration).
        $configured = GetNymiConfiguredSettings -Cmdlet $PSCmdlet -Bound $PSBoundParameters
        foreach ($name in 'TimeoutSec', 'TrustedRootPath') {
            if (-not $PSBoundParameters.ContainsKey($name) -and $configured[$name] -ne '') { Set-Variable -Name $name -Value $configured[$name] }
        }
        $windowsProxy = GetNymiWindowsProxy
    }
    process {
        $targets = @($Uri | Where-Object { $_ })
        if ($targets.Count -eq 0) {
            if (-not $configured['NesUri']) {
                $exception = New-Object System.ArgumentException 'No NES URL: give -Uri, or set NesUri in the policy or the configuration file (Get-NymiDiagConfiguration).'
                $PSCmdlet.ThrowTerminatingError((New-Object System.Management.Automation.ErrorRecord ($exception, 'NymiNesUriMissing', [System.Management.Automation.ErrorCategory]::InvalidArgument, $null)))
            }
            $targets = @($configured['NesUri'])
        }
        foreach ($target in $targets) {
            # The library derives the stage timeouts from the deadline.
            $request = @{ url = $target; deadline_ms = $TimeoutSec * 1000; use_platform_roots = -not $NoPlatformRoots }
            if ($Proxy) { $request['proxy'] = $Proxy.AbsoluteUri }
            if ($TrustedRootPath) { $request['trusted_root_path'] = ResolveNymiRequestPath -Cmdlet $PSCmdlet -Path $TrustedRootPath }
            if ($ExpectedIssuer) { $request['expected_issuer'] = $ExpectedIssuer }
            # What Windows sees, gathered first and judged by the library:
            # the WinHTTP proxy, and the request with the Windows identity.
            $request['host'] = GetNymiProbeObservations -Uri $target -WindowsProxy $windowsProxy -TimeoutSec $TimeoutSec -NoWindowsIdentity:$NoWindowsIdentity

            $report = InvokeNymiExport -Export 'nymidiag_nes_probe' -Request $request -Cmdlet $PSCmdlet -Raw:$Raw
            if ($Raw) { $report; continue }
            ConvertToNymiNesConnection -Report $report -WindowsProxy $windowsProxy
        }
    }
}
