function Search-NymiLog {
    <#
    .SYNOPSIS
    Scans Nymi, Evidian, IIS and Windows Firewall logs for the signatures of failed NEA certificate retrieval.

    .DESCRIPTION
    Reads the Evidian WGSS (Nymi) trace, nymi_api.log, the IIS W3C logs of
    the NES server, Windows Firewall logs (pfirewall.log) and any other text
    file (UTF-8, UTF-16 or Windows-1252; the kind is detected from the
    content) and applies the diagnostic rules (see Get-NymiDiagnosticRule).
    Each rule that fires is a hit with its id, severity, count, first and
    last time seen (UTC), files and line numbers, and a few excerpts with
    tokens and passwords redacted.

    The result also says what was read: files and bytes, encodings, the time
    range the records cover, files that could not be read and why, and lines
    that matched no known layout. "Nothing matched" is stated explicitly, so
    an empty result can be trusted.

    Without -Path the usual Nymi and Evidian locations are searched; the
    result lists the folders searched. Files are never modified.

    .PARAMETER Path
    Log files or folders (searched recursively), wildcards allowed: '*',
    '?' and '[...]' (a character class) are read as wildcards. Accepts
    strings from the pipeline. A blank path is refused.

    .PARAMETER LiteralPath
    Log files or folders (searched recursively), taken exactly as written:
    '[', ']', '*' and '?' are part of the name. Accepts pipeline input from
    Get-ChildItem and Get-Item (their PSPath or FullName property). A blank
    path is refused.

    .PARAMETER Kind
    The log format: Auto (detected from the content; default), Wgss,
    NymiApi, Iis, Firewall or Text.

    .PARAMETER Since
    Only records at or after this time. Default: 14 days ago, the lifetime of
    an NEA certificate. A time more than 5 minutes in the future is refused.

    .PARAMETER Until
    Only records at or before this time. Default: no limit.

    .PARAMETER ClientAddress
    Only records of these terminals' addresses (one or more): in IIS logs
    the requests from them (c-ip), in firewall logs the packets with one of
    them at either end (source or destination).

    .PARAMETER RemoteAddress
    Firewall logs: only packets to or from one of these addresses (one or
    more; the NES server's).

    .PARAMETER Port
    Firewall logs: only packets to or from this port.

    .PARAMETER RulePath
    Additional rule packs (TOML files). A pack that does not load stops the
    command with the file, line and reason.

    .PARAMETER DateOrder
    Date order of the WGSS trace's two-digit dates: YyMmDd (default) or
    DdMmYy. The result says which order was used.

    .PARAMETER Raw
    Return the library's JSON report unchanged (a string).

    .EXAMPLE
    Search-NymiLog -Path 'C:\ProgramData\Evidian\Logs'

    Scans the Evidian traces and reports, for example,
    LOG_NEA_CERTS_NOT_RETRIEVED: 0x8101201c followed by 0x81010009 on the
    same thread after a failed token request.

    .EXAMPLE
    Search-NymiLog -Path '\\nes01\c$\inetpub\logs\LogFiles\W3SVC1' -ClientAddress 10.30.4.77 -Since (Get-Date).AddHours(-2)

    On the NES server's IIS logs: what this terminal's requests got in the
    last two hours (IIS_KERBEROS_FAILURE for a 401 loop, IIS_NES_FORBIDDEN,
    IIS_NES_SERVER_ERROR), or that none arrived at all.

    .EXAMPLE
    Search-NymiLog -Path '\\nes01\c$\inetpub\logs\LogFiles\W3SVC1' -ClientAddress 10.30.4.77, 10.30.4.78

    The requests of two terminals (for example one terminal's IPv4 and
    IPv6 addresses) in one scan.

    .EXAMPLE
    Search-NymiLog -LiteralPath 'D:\Case [4711]\logs'

    Scans a folder whose name holds brackets, which -Path would read as a
    wildcard character class.

    .EXAMPLE
    Get-ChildItem C:\Windows\System32\LogFiles\Firewall -Filter 'pfirewall.log*' | Search-NymiLog -RemoteAddress 10.20.0.15 -Port 443

    Looks for packets to or from NES on 443 that the firewall dropped.

    .EXAMPLE
    (Search-NymiLog -Path .\case-4711).Hits | Where-Object Severity -eq 'error' | Select-Object RuleId, Count, FirstSeen

    The rule hits as objects, for a script.

    .OUTPUTS
    NymiDiag.LogScan, or System.String with -Raw.

    .LINK
    Get-NymiDiagnosticRule

    .LINK
    about_NymiDiag
    #>
    [CmdletBinding(DefaultParameterSetName = 'Path')]
    [OutputType('NymiDiag.LogScan')]
    [OutputType([string])]
    param(
        [Parameter(ParameterSetName = 'Path', Position = 0, ValueFromPipeline = $true, ValueFromPipelineByPropertyName = $true)]
        [ValidateNotNullOrEmpty()]
        [ValidateScript({ TestNymiPathParameter $_ })]
        [string[]] $Path,

        [Parameter(ParameterSetName = 'LiteralPath', Mandatory = $true, ValueFromPipelineByPropertyName = $true)]
        [Alias('PSPath', 'FullName')]
        [ValidateNotNullOrEmpty()]
        [ValidateScript({ TestNymiPathParameter $_ })]
        [string[]] $LiteralPath,

        [ValidateSet('Auto', 'Wgss', 'NymiApi', 'Iis', 'Firewall', 'Text')]
        [string] $Kind = 'Auto',

        [datetime] $Since,

        [datetime] $Until,

        [ValidateNotNullOrEmpty()]
        [string[]] $ClientAddress,

        [ValidateNotNullOrEmpty()]
        [string[]] $RemoteAddress,

        [ValidateRange(0, 65535)]
        [int] $Port,

        [ValidateNotNullOrEmpty()]
        [string[]] $RulePath,

        [ValidateSet('YyMmDd', 'DdMmYy')]
        [string] $DateOrder = 'YyMmDd',

        [switch] $Raw
    )
    begin {
        if ($PSBoundParameters.ContainsKey('Since')) { AssertNymiSinceNotFuture -Since $Since -Cmdlet $PSCmdlet }
        $paths = New-Object System.Collections.Generic.List[string]
    }
    process {
        foreach ($item in @($Path)) {
            if ($item) { $paths.Add($PSCmdlet.GetUnresolvedProviderPathFromPSPath($item)) }
        }
        foreach ($item in @($LiteralPath)) {
            if ($item) { $paths.Add((ConvertToNymiLiteralLogPath -Path $PSCmdlet.GetUnresolvedProviderPathFromPSPath($item))) }
        }
    }
    end {
        $kinds = @{ Auto = 'auto'; Wgss = 'wgss'; NymiApi = 'nymi_api'; Iis = 'iis'; Firewall = 'firewall'; Text = 'text' }
        # Firewall and WGSS logs are in local time; the library cannot read
        # the zone on every platform, so it is passed in.
        $offset = [int][System.TimeZoneInfo]::Local.GetUtcOffset([datetime]::Now).TotalMinutes
        $request = @{
            paths = [string[]]$paths.ToArray()
            kind = $kinds[$Kind]
            date_order = $(if ($DateOrder -eq 'DdMmYy') { 'dd_mm_yy' } else { 'yy_mm_dd' })
            local_offset_minutes = $offset
        }
        if ($PSBoundParameters.ContainsKey('Since')) { $request['since'] = ConvertToNymiIsoTime $Since }
        if ($PSBoundParameters.ContainsKey('Until')) { $request['until'] = ConvertToNymiIsoTime $Until }
        if ($ClientAddress) { $request['client_addresses'] = [string[]]@($ClientAddress) }
        if ($RemoteAddress) { $request['remote_addresses'] = [string[]]@($RemoteAddress) }
        if ($PSBoundParameters.ContainsKey('Port')) { $request['port'] = $Port }
        if ($RulePath) { $request['rule_paths'] = [string[]]@($RulePath | ForEach-Object { ResolveNymiRequestPath -Cmdlet $PSCmdlet -Path $_ }) }

        $report = InvokeNymiExport -Export 'nymidiag_log_scan' -Request $request -Cmdlet $PSCmdlet -Raw:$Raw
        if ($Raw) { return $report }
        ConvertToNymiLogScan -Report $report
    }
}
