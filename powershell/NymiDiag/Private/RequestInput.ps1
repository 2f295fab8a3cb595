# Checks and conversions of parameters before they go into a library
# request. Configuration the library judges (the NES URL, the CA file, rule
# packs) is passed on as given: the library's verdict names the problem
# (CONFIG_NES_URL_INVALID, CONFIG_CA_FILE_UNREADABLE,
# CONFIG_RULE_PACK_INVALID), which a throw here would hide.

# How far in the future -Since may lie: clocks of the admin's machine and of
# the terminal differ a little.
$script:NymiSinceSlackMinutes = 5

function ResolveNymiRequestPath {
    # The file system path the library should open: relative paths from the
    # current location, as the caller means them. A path PowerShell cannot
    # resolve (an unknown drive, a provider path) is passed on as written,
    # so that the library reports it as unreadable.
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory = $true)][System.Management.Automation.PSCmdlet] $Cmdlet,
        [Parameter(Mandatory = $true)][string] $Path
    )
    try { $Cmdlet.GetUnresolvedProviderPathFromPSPath($Path) }
    catch {
        Write-Verbose "NymiDiag: '$Path' is passed on as written: $($_.Exception.Message)"
        $Path
    }
}

function ConvertToNymiLiteralLogPath {
    # A log path for the library's log scan, which reads '*', '?' and '['
    # as wildcards: each of those characters (and ']') becomes a class that
    # matches only itself, and a folder becomes <folder>/** so that the
    # pattern still takes every file below it. A path without them is
    # passed on as it is.
    [CmdletBinding()]
    [OutputType([string])]
    param([Parameter(Mandatory = $true)][string] $Path)
    if ($Path.IndexOfAny([char[]]@('*', '?', '[', ']')) -lt 0) { return $Path }
    $builder = New-Object System.Text.StringBuilder
    foreach ($c in $Path.ToCharArray()) {
        switch ($c) {
            '[' { [void]$builder.Append('[[]') }
            ']' { [void]$builder.Append('[]]') }
            '*' { [void]$builder.Append('[*]') }
            '?' { [void]$builder.Append('[?]') }
            default { [void]$builder.Append($c) }
        }
    }
    if ([System.IO.Directory]::Exists($Path)) { [void]$builder.Append('/**') }
    $builder.ToString()
}

function AssertNymiSinceNotFuture {
    # Stops the command when -Since lies in the future (beyond a few minutes
    # of clock slack): such a window can hold no record, and an empty result
    # would look like a clean terminal.
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)][datetime] $Since,
        [Parameter(Mandatory = $true)][System.Management.Automation.PSCmdlet] $Cmdlet,
        [datetime] $Now = [datetime]::UtcNow
    )
    $limit = $Now.ToUniversalTime().AddMinutes($script:NymiSinceSlackMinutes)
    if ($Since.ToUniversalTime() -le $limit) { return }
    $message = "NymiDiag: -Since {0} is in the future (now {1}); give a time in the past, for example (Get-Date).AddDays(-14)." -f (ConvertToNymiIsoTime $Since), (ConvertToNymiIsoTime $Now)
    $exception = New-Object System.ArgumentOutOfRangeException ('Since', $message)
    $Cmdlet.ThrowTerminatingError((New-Object System.Management.Automation.ErrorRecord ($exception, 'NymiDiag.SinceInFuture', [System.Management.Automation.ErrorCategory]::InvalidArgument, $Since)))
}

function ConvertToNymiIpAddressText {
    # The address in its canonical text, or $null when the text is not a
    # whole IPv4 address (four dotted numbers) or IPv6 address. .NET alone
    # would also take '10' or '10.1' as IPv4.
    [CmdletBinding()]
    [OutputType([string])]
    param([AllowNull()][AllowEmptyString()][string] $Text)
    if (-not $Text) { return $null }
    $candidate = $Text.Trim()
    if ($candidate -notmatch '^(\d{1,3}(\.\d{1,3}){3}|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*)$') { return $null }
    $address = $null
    if (-not [System.Net.IPAddress]::TryParse($candidate, [ref]$address)) { return $null }
    $address.ToString()
}

function TestNymiIpAddressParameter {
    # For [ValidateScript()]: $true, or an error naming the text.
    param([AllowNull()][AllowEmptyString()][string] $Text)
    if (ConvertToNymiIpAddressText -Text $Text) { return $true }
    throw "'$Text' is not an IP address (IPv4 like 10.30.4.77 or IPv6 like 2001:db8::7)."
}
