function Invoke-NymiDiagnosis {
    <#
    .SYNOPSIS
    Says whether this terminal has the "Object not found" / "Unable to get token with USER creds" failure, why, and what to do next.

    .DESCRIPTION
    The main job. Counts the NEA certificates in the key stores, scans the
    Evidian WGSS trace and nymi_api.log (and any IIS or firewall log given),
    tests the path to the Nymi Enterprise Server (NES) stage by stage, and
    correlates the three into one verdict with a stable id:

      HEALTHY
      NEA_CERTS_NOT_RETRIEVED_DNS / _TCP_BLOCKED / _PROXY / _TLS_UNTRUSTED /
        _TLS_OTHER / _AUTH / _NES_ERROR / _CAUSE_UNKNOWN
      NEA_CERTS_EXPIRED_NOT_RENEWED
      CERTS_OK_NES_UNREACHABLE
      CERTS_OK_OTHER_CAUSE
      INCONCLUSIVE

    with the evidence behind it, a confidence, and ordered next steps with
    the commands to run (on this terminal, on the NES server, in the domain).

    The NES URL comes from -NesUri; without it, from the URLs found in the
    Nymi and Evidian logs (the result says which). When none is found the
    path is reported as untested, which is not an error.

    On Windows it also checks what only Windows knows: the EAM Security
    Service, Nymi Agent and Nymi Bluetooth Endpoint services (by display
    name), a BLE adapter, the WinHTTP proxy LocalSystem services use, the
    request with the Windows identity and the Windows chain engine's
    verdict on the NES certificate. Elsewhere those checks say "not
    applicable". The request with the Windows identity and the chain
    engine run only for the URL given with -NesUri, before the library's
    probe (Windows validates the certificate first and never sends
    credentials to a server it does not trust); they count for the verdict
    only when the anonymous request passed TLS and HTTP. When the URL was
    inferred from the logs neither runs and the result says so.

    On every platform the diagnosis is given this terminal's addresses and
    the DNS servers it uses (from the network interfaces that are up), and
    on Windows the addresses of the logon server when the session has one,
    for the commands of the next steps.

    A bad -NesUri, a -TrustedRootPath that cannot be read or a -RulePath
    that does not load is not an error of this command: the diagnosis names
    the configuration problem (STATUS=ERROR v=1 code=CONFIG_NES_URL_INVALID,
    CONFIG_CA_FILE_UNREADABLE or CONFIG_RULE_PACK_INVALID).

    Nothing is changed on the machine. Run it elevated or as SYSTEM: the key
    store lives in the LocalSystem profile.

    -NesUri, -TimeoutSec, -TrustedRootPath, -ExpectedLocal, -ExpectedNes and
    -Site, when not given, come from the policy registry key or the
    configuration file (Get-NymiDiagConfiguration), else their defaults; a
    broken configuration stops the command with the error CONFIG_INVALID.
    -Demo reads no configuration.

    .PARAMETER NesUri
    NES URL as configured for the Evidian client, https://nes.corp.example/nes
    (a bare host name means https://<host>/nes). Default: the configured
    NesUri, else the URL found in the logs.

    .PARAMETER KspPath
    Key store folders (ksp) or NSL folders to count instead of the default
    %SystemRoot%\System32\config\systemprofile\AppData\Roaming\Nymi\NSL\*\ksp.
    Literal paths: '[' and ']' are part of the name. A blank path is refused.

    .PARAMETER LogPath
    Log files or folders to scan instead of the usual Nymi and Evidian
    locations. Literal paths: '[', ']', '*' and '?' are part of the name
    (use Search-NymiLog -Path for wildcards). A blank path is refused.

    .PARAMETER Since
    Start of the log window. Default: 14 days ago (the default NEA
    certificate lifetime). A time more than 5 minutes in the future is
    refused.

    .PARAMETER TimeoutSec
    Deadline of the NES probe, and of each Windows network check, in
    seconds. Default 20; at most 300. The key store, the logs and the probe
    together end within TimeoutSec + 10 s (plus the file being read when
    that passes, and 2 s): what is left unread is reported.

    .PARAMETER TrustedRootPath
    PEM or DER file of CA certificates the NES certificate should chain to,
    in addition to the platform's roots.

    .PARAMETER RulePath
    Additional log rule packs (TOML files) for the log scan. A pack that
    does not exist or does not load gives the verdict
    CONFIG_RULE_PACK_INVALID.

    .PARAMETER ExpectedLocal
    Certificates the NEA generates itself in a complete key store. Default
    8 (or the configured ExpectedLocal).

    .PARAMETER ExpectedNes
    Certificates NES issues in a complete key store. Default 12 (or the
    configured ExpectedNes).

    .PARAMETER Site
    Free text naming this terminal's site, at most 64 characters, carried
    in the status line as site=<word> (spaces become '_') so that a fleet
    view groups by it. Default: the configured Site, else none.

    .PARAMETER TerminalAddress
    This terminal's addresses as the NES server's logs show them (IPv4 or
    IPv6), used instead of the addresses read from the network interfaces,
    for example the address a NAT or VPN gateway gives it.

    .PARAMETER NoPlatformRoots
    Trust only -TrustedRootPath for the NES certificate, not the platform's
    root store. Without it, a chain that only -TrustedRootPath trusts counts
    as untrusted (NES_TLS_PLATFORM_UNTRUSTED): services on this machine use
    the platform's roots.

    .PARAMETER Demo
    Build a sample broken terminal in a temporary folder (8 local
    certificates, WGSS and nymi_api logs with the documented signatures, an
    NES URL on a closed loopback port) and diagnose it. Needs no Nymi
    install; removes the folder afterwards. -NesUri, -KspPath and -LogPath
    override the demo's own.

    .PARAMETER Raw
    Return the library's JSON report (a string), host checks included.

    .EXAMPLE
    Invoke-NymiDiagnosis -NesUri https://nes.corp.example/nes

    The verdict, its evidence and the next steps, as a short report.

    .EXAMPLE
    Invoke-NymiDiagnosis -Demo

    The whole diagnosis on a generated broken terminal: the verdict is
    NEA_CERTS_NOT_RETRIEVED_TCP_BLOCKED.

    .EXAMPLE
    $d = Invoke-NymiDiagnosis -NesUri https://nes.corp.example/nes -TimeoutSec 15
    $d.StatusLine
    if ($d.Status -eq 'ISSUE') { exit 1 } else { exit 0 }

    An Intune detection script in three lines: the last line of output is
    STATUS=<OK|ISSUE|ERROR> code=<verdict> ksp=<n>/<expected> nes=<host:port> ...

    .EXAMPLE
    (Invoke-NymiDiagnosis).NextSteps | Format-Table Order, Step, RunOn, Command -Wrap

    What to do, in order, with the commands filled in for this terminal.

    .OUTPUTS
    NymiDiag.Diagnosis, or System.String with -Raw.

    .LINK
    Repair-NymiNeaCertificate

    .LINK
    about_NymiDiag
    #>
    [CmdletBinding()]
    [OutputType('NymiDiag.Diagnosis')]
    [OutputType([string])]
    param(
        [Parameter(Position = 0, ValueFromPipelineByPropertyName = $true)]
        [Alias('Uri', 'Url')]
        [ValidateNotNullOrEmpty()]
        [string] $NesUri,

        [ValidateNotNullOrEmpty()]
        [ValidateScript({ TestNymiPathParameter $_ })]
        [string[]] $KspPath,

        [ValidateNotNullOrEmpty()]
        [ValidateScript({ TestNymiPathParameter $_ })]
        [string[]] $LogPath,

        [datetime] $Since,

        [ValidateRange(1, 300)]
        [int] $TimeoutSec = 20,

        [ValidateNotNullOrEmpty()]
        [string] $TrustedRootPath,

        [ValidateNotNullOrEmpty()]
        [string[]] $RulePath,

        [ValidateRange(0, 100)]
        [int] $ExpectedLocal = 8,

        [ValidateRange(0, 100)]
        [int] $ExpectedNes = 12,

        [ValidateLength(0, 64)]
        [string] $Site,

        [ValidateNotNullOrEmpty()]
        [ValidateScript({ TestNymiIpAddressParameter -Text $_ })]
        [string[]] $TerminalAddress,

        [switch] $NoPlatformRoots,

        [switch] $Demo,

        [switch] $Raw
    )
    process {
        if ($PSBoundParameters.ContainsKey('Since')) { AssertNymiSinceNotFuture -Since $Since -Cmdlet $PSCmdlet }
        $demoTerminal = $null
        try {
            if (-not $Demo) {
                # What the caller did not give comes from the policy, the
                # configuration file or the default (Get-NymiDiagConfiguration).
                # The demo terminal is self-contained and reads none of it.
                $configured = GetNymiConfiguredSettings -Cmdlet $PSCmdlet -Bound $PSBoundParameters
                foreach ($name in 'NesUri', 'TimeoutSec', 'TrustedRootPath', 'ExpectedLocal', 'ExpectedNes', 'Site') {
                    if (-not $PSBoundParameters.ContainsKey($name) -and $configured[$name] -ne '') { Set-Variable -Name $name -Value $configured[$name] }
                }
            }
            if ($Demo) {
                $folder = Join-Path ([System.IO.Path]::GetTempPath()) ('nymidiag-demo-' + [guid]::NewGuid().ToString('N'))
                $demoTerminal = NewNymiDemoTerminal -Path $folder
                Write-Verbose "NymiDiag: demo terminal in $folder (NES $($demoTerminal.NesUri), a closed loopback port)"
                if (-not $NesUri) { $NesUri = $demoTerminal.NesUri }
                if (-not $KspPath) { $KspPath = @($demoTerminal.KspPath) }
                if (-not $LogPath) { $LogPath = @($demoTerminal.LogPath) }
            }
            $resolve = { param($p) ResolveNymiRequestPath -Cmdlet $PSCmdlet -Path $p }
            $inventory = @{ expected_local = $ExpectedLocal; expected_nes = $ExpectedNes }
            if ($KspPath) { $inventory['paths'] = [string[]]@($KspPath | ForEach-Object { & $resolve $_ }) }
            # WGSS and firewall logs are in local time; the library cannot
            # read the zone on every platform, so it is passed in.
            $logScan = @{ local_offset_minutes = [int][System.TimeZoneInfo]::Local.GetUtcOffset([datetime]::Now).TotalMinutes }
            if ($LogPath) { $logScan['paths'] = [string[]]@($LogPath | ForEach-Object { ConvertToNymiLiteralLogPath -Path (& $resolve $_) }) }
            if ($PSBoundParameters.ContainsKey('Since')) { $logScan['since'] = ConvertToNymiIsoTime $Since }
            if ($RulePath) { $logScan['rule_paths'] = [string[]]@($RulePath | ForEach-Object { & $resolve $_ }) }
            $probe = @{ deadline_ms = $TimeoutSec * 1000; use_platform_roots = -not $NoPlatformRoots }
            if ($TrustedRootPath) { $probe['trusted_root_path'] = & $resolve $TrustedRootPath }

            # What only Windows can see, gathered before the one diagnose
            # call: raw observations, judged by the library. The request with
            # the Windows identity and the chain engine go only to the URL
            # given with -NesUri (never to one inferred from the logs); the
            # library counts them only when its own anonymous request passed
            # TLS and HTTP.
            $hostFacts = GetNymiHostObservations -NesUri $NesUri -TimeoutSec $TimeoutSec
            if ($TerminalAddress) {
                $hostFacts['terminal_addresses'] = [string[]]@($TerminalAddress | ForEach-Object { ConvertToNymiIpAddressText -Text $_ } | Select-Object -Unique)
            }

            # One deadline over the key store, the logs and the probe: the
            # probe's T plus 10 s for reading (the library stops starting
            # files once it has passed).
            $request = @{ cert_inventory = $inventory; log_scan = $logScan; nes_probe = $probe; host = $hostFacts; deadline_ms = ($TimeoutSec + 10) * 1000 }
            if ($NesUri) { $request['nes_url'] = $NesUri }
            if ($Site) { $request['site'] = $Site }
            $json = InvokeNymiExport -Export 'nymidiag_diagnose' -Request $request -Cmdlet $PSCmdlet -Raw
            $report = ConvertFrom-Json -InputObject $json

            if ($Raw) { return $json }
            $diagnosis = ConvertToNymiDiagnosis -Report $report -Json $json
            if ($diagnosis.Status -ne 'OK') {
                Write-Warning ('{0}: {1}' -f $diagnosis.VerdictId, $diagnosis.Title)
            }
            $diagnosis
        }
        finally {
            if ($demoTerminal) {
                Remove-Item -LiteralPath $demoTerminal.Path -Recurse -Force -ErrorAction SilentlyContinue
            }
        }
    }
}
