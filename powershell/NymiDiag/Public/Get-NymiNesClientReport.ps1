function Get-NymiNesClientReport {
    <#
    .SYNOPSIS
    Shows, on the NES server, every terminal's conversation with NES from the IIS logs: which renew, which fail Kerberos, which stopped, which never arrive.

    .DESCRIPTION
    Run on the Nymi Enterprise Server (NES). Reads the IIS W3C logs of
    every site and the HTTP.sys error logs (HTTPERR) and returns one row per
    client address: requests, successes (2xx and 3xx), 401s by substatus
    and Win32 status (401.1 with 2148074254 is the Kerberos failure), 403s,
    5xx, HTTP.sys errors, first and last seen, last success and last
    failure, the machine account it authenticated as, and a state, worst
    first:

    AUTH_FAILING  401s with no success after them (the latest failure is a
                  401).
    NES_ERRORS    5xx (or HTTP.sys 503s) with no success after them.
    NOT_RENEWING  seen in the window, but no success within -RenewalDays.
    NEVER_SEEN    in -ExpectedClient, but absent from the logs.
    OK            a success within -RenewalDays and no failure after it.

    A failure in the same second as the last success counts as before it
    (IIS logs whole seconds; Windows authentication answers every first
    request with a 401.2 challenge). When the latest failures are both a
    401 and a 5xx, the later one decides; at the same second, NES_ERRORS.

    The client is the first address of X-Forwarded-For when the log has
    that field (a load balancer in front of NES) and it holds an address;
    otherwise c-ip. AddressSource says which. IPv6 addresses are shown
    without their zone.

    Logs are read by the nymidiag library at about the speed of ripgrep,
    several files at once; memory stays bounded (at most 20,000 distinct
    clients are tallied, with a warning beyond). Fields missing from the
    logs are reported as warnings saying which question could not be
    answered (no sc-win32-status: Kerberos failures cannot be told from
    other 401s). When no IIS log is found the command writes an error
    naming the paths tried.

    Rows are flat (Export-Csv works) and join the fleet view by Client
    (address) or MachineName.

    .PARAMETER Path
    IIS log files or folders (searched recursively), wildcards allowed.
    Default: C:\inetpub\logs\LogFiles (every W3SVC site folder),
    System32\LogFiles and System32\LogFiles\HTTPERR.

    To find the NES site's folder: in IIS Manager, select the site that
    hosts NES, open Logging and read "Directory" (the site's logs are in
    its W3SVC<site id> subfolder; the id is under Advanced Settings). In
    PowerShell: Get-Website | Select-Object Name, Id, @{n='Logs';
    e={$_.logFile.directory}}. The NES application's path (for -UriStem)
    is the application under that site, shown by Get-WebApplication.

    .PARAMETER Since
    Only requests at or after this time. Default: 28 days ago.

    .PARAMETER Until
    Only requests at or before this time. Default: no limit. Renewal is
    judged at this time when it lies in the past.

    .PARAMETER UriStem
    Only requests whose path starts with this prefix (case-insensitive),
    for example '/NES' for the NES application. Default: every request on
    the server.

    .PARAMETER ExpectedClient
    The terminals that should talk to NES: IP addresses or machine names
    (WARD3-PC07, CORP\WARD3-PC07$ or ward3-pc07.corp.example; names are
    matched against the machine accounts, DOMAIN\NAME$, that Windows
    authentication writes into cs-username), or the path of a CSV file with
    an address column (Address, IPAddress, IP, ClientAddress) or a name
    column (Name, ComputerName, DeviceName, MachineName, HostName); per CSV
    row the address is used when present, else the name. Expected clients
    absent from the logs are NEVER_SEEN rows.

    .PARAMETER RenewalDays
    Days within which a client must have had a success (1 to 365).
    Default: 14, the NEA certificate lifetime.

    .PARAMETER IncludeUserNames
    Lists the user names seen per client (UserNames); by default they are
    only counted (UserNamesSeen). Machine names are always shown.

    .PARAMETER Raw
    Return the library's JSON report unchanged (a string).

    .EXAMPLE
    Get-NymiNesClientReport

    On the NES server: every client of the last 28 days from the default
    IIS and HTTPERR folders, worst state first.

    .EXAMPLE
    Get-NymiNesClientReport -Path 'C:\inetpub\logs\LogFiles\W3SVC2' -UriStem '/NES' -Since (Get-Date).AddDays(-7)

    Only the NES application's requests of the last week, from the NES
    site's log folder.

    .EXAMPLE
    Get-NymiNesClientReport -UriStem '/NES' -ExpectedClient .\ward3-terminals.csv | Where-Object State -ne 'OK'

    The terminals of a ward (a CSV with a Name or Address column) that are
    not fine, including those that never reached NES.

    .EXAMPLE
    Get-NymiNesClientReport -ExpectedClient 10.30.4.77, WARD3-PC08 | Export-Csv -NoTypeInformation nes-clients.csv

    Two terminals, one by address and one by machine name, saved for a
    ticket.

    .EXAMPLE
    Get-NymiNesClientReport -Raw | Set-Content -Encoding UTF8 nes-clients.json

    The whole report as JSON: files read, windows, missing fields, warnings.

    .OUTPUTS
    NymiDiag.NesClient, or System.String with -Raw.

    .LINK
    Search-NymiLog

    .LINK
    about_NymiDiag
    #>
    [CmdletBinding()]
    [OutputType('NymiDiag.NesClient')]
    [OutputType([string])]
    param(
        [Parameter(Position = 0, ValueFromPipeline = $true)]
        [ValidateNotNullOrEmpty()]
        [ValidateScript({ TestNymiPathParameter $_ })]
        [string[]] $Path,

        [datetime] $Since,

        [datetime] $Until,

        [ValidateNotNullOrEmpty()]
        [string] $UriStem,

        [ValidateNotNullOrEmpty()]
        [string[]] $ExpectedClient,

        [ValidateRange(1, 365)]
        [int] $RenewalDays,

        [switch] $IncludeUserNames,

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
    }
    end {
        $request = @{ paths = [string[]]$paths.ToArray() }
        if ($PSBoundParameters.ContainsKey('Since')) { $request['since'] = ConvertToNymiIsoTime $Since }
        if ($PSBoundParameters.ContainsKey('Until')) { $request['until'] = ConvertToNymiIsoTime $Until }
        if ($UriStem) { $request['uri_stem'] = $UriStem }
        if ($PSBoundParameters.ContainsKey('RenewalDays')) { $request['renewal_days'] = $RenewalDays }
        if ($ExpectedClient) {
            $request['expected_clients'] = [string[]]@(ResolveNymiExpectedClient -Entry $ExpectedClient -Cmdlet $PSCmdlet)
        }
        if ($IncludeUserNames) { $request['include_user_names'] = $true }

        $json = InvokeNymiExport -Export 'nymidiag_nes_clients' -Request $request -Cmdlet $PSCmdlet -Raw
        if ($Raw) { return $json }
        $report = ConvertFrom-Json -InputObject $json
        ConvertToNymiNesClient -Report $report -Cmdlet $PSCmdlet
    }
}
