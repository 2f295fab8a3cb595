function Get-NymiNeaCertificate {
    <#
    .SYNOPSIS
    Lists the NEA certificates in the terminal's key stores and says whether each store holds the healthy set.

    .DESCRIPTION
    Reads every file in the NEA key stores (the ksp folders under
    %SystemRoot%\System32\config\systemprofile\AppData\Roaming\Nymi\NSL\<id>\ksp
    by default, or the folders and files given with -Path) without changing,
    locking or moving them, and returns one object per certificate: names,
    thumbprints, validity in UTC with whole days left, key, signature
    algorithm, extensions, whether its issuer is in the store and its
    signature verifies, and whether it looks locally generated or issued by
    NES (inferred from the certificates only, with the rule used;
    'unclassified' when the evidence does not decide).

    A healthy NEA holds 8 locally generated and 12 NES-issued certificates.
    A store with only the 8 local ones means the NES-issued certificates were
    never retrieved: check the path to NES (Test-NymiNesConnection), then
    restart the EAM Security Service. Stores are counted in files, as the
    Nymi article counts them: every regular file in the ksp folder except
    OS metadata files (desktop.ini, Thumbs.db); a file that is not an X.509
    certificate still counts (NEA_KEYSTORE_FILE_OPAQUE). Certificates
    parsed from the files add expiry, chain and kind. With several NSL
    folders, a store not written for -StaleAfterDays (14) longer than the
    newest one is stale (KSP_STALE_STORE) and is not judged.

    Problems are findings with stable ids (NEA_CERTS_MISSING,
    NEA_CERT_EXPIRED, NEA_CERT_EXPIRING, NEA_CERT_NOT_YET_VALID,
    NEA_CERT_CHAIN_BROKEN, NEA_CERT_UNREADABLE, KSP_NOT_FOUND,
    KSP_ACCESS_DENIED). Warnings and errors among them are also written to
    the warning stream; -Summary returns them as objects. The default
    location needs an elevated session or SYSTEM.

    .PARAMETER Path
    Key store folders (ksp), NSL folders (each *\ksp below is a store), or
    single certificate files (grouped by folder). Literal paths, no
    wildcards: '[' and ']' are part of the name; -LiteralPath and -PSPath
    are other names of this parameter. Accepts pipeline input from
    Get-ChildItem. A blank path is refused. Default: the LocalSystem
    profile's NSL\*\ksp folders.

    .PARAMETER ExpectedLocal
    Locally generated certificates a healthy NEA holds. Default: the
    configured ExpectedLocal (Get-NymiDiagConfiguration), else 8.

    .PARAMETER ExpectedNes
    NES-issued certificates a healthy NEA holds. Default: the configured
    ExpectedNes, else 12.

    .PARAMETER ExpiringDays
    Certificates that expire within this many days are reported as
    expiring (NEA certificates live 14 days by default). Default 3.

    .PARAMETER StaleAfterDays
    With several NSL folders, a discovered store whose last write is more
    than this many days older than the newest store's is stale: reported
    (KSP_STALE_STORE) and not judged. 0 judges every store. Default 14, the
    NES certificate lifetime.

    .PARAMETER Summary
    Return one NymiDiag.NeaInventory object (status, stores with counts,
    renewal and expiry, findings, certificates) instead of the certificates.

    .PARAMETER Raw
    Return the library's JSON report unchanged (a string).

    .EXAMPLE
    Get-NymiNeaCertificate

    Lists every certificate of every NEA key store on this terminal, grouped
    by store, with kind (local or NES), days left and expiry.

    .EXAMPLE
    Get-NymiNeaCertificate -Summary

    One line per store: certificates present against expected (for example
    8/20), how many local and NES-issued, when the store was last renewed and
    when it expires first, and the finding ids.

    .EXAMPLE
    Get-ChildItem 'D:\Case-4711\ksp' -File | Get-NymiNeaCertificate | Where-Object DaysLeft -lt 3

    Examines a copy of a key store from a support case and shows the
    certificates that expire within three days.

    .EXAMPLE
    # Intune detection script (runs as SYSTEM): exit 1 only when the issue is present.
    # %ProgramW6432%: the 64-bit Program Files also in Intune's 32-bit host.
    $pf = if ($env:ProgramW6432) { $env:ProgramW6432 } else { $env:ProgramFiles }
    Import-Module "$pf\WindowsPowerShell\Modules\NymiDiag\0.1.0\NymiDiag.psd1" -ErrorAction Stop
    $inventory = Get-NymiNeaCertificate -Summary -WarningAction SilentlyContinue
    $issue = @($inventory.Findings | Where-Object { $_.Severity -eq 'error' })
    $store = @($inventory.Stores)[0]
    $ksp = if ($store) { '{0}/{1}' -f $store.Files, $inventory.ExpectedTotal } else { 'none' }
    if ($issue) { "STATUS=ISSUE v=1 code=$($issue[0].Id) ksp=$ksp"; exit 1 }
    "STATUS=OK ksp=$ksp"; exit 0

    Ends with exactly one status line, which is what the Intune portal keeps.
    A store that could not be read (KSP_ACCESS_DENIED) is a warning, not an
    error, so "could not check" does not count as the issue.

    .OUTPUTS
    NymiDiag.NeaCertificate; NymiDiag.NeaInventory with -Summary; System.String with -Raw.

    .LINK
    Get-NymiDiagEnvironment

    .LINK
    about_NymiDiag
    #>
    [CmdletBinding()]
    [OutputType('NymiDiag.NeaCertificate')]
    [OutputType('NymiDiag.NeaInventory')]
    [OutputType([string])]
    param(
        [Parameter(Position = 0, ValueFromPipeline = $true, ValueFromPipelineByPropertyName = $true)]
        [Alias('FullName', 'LiteralPath', 'PSPath')]
        [ValidateNotNullOrEmpty()]
        [ValidateScript({ TestNymiPathParameter $_ })]
        [string[]] $Path,

        [ValidateRange(0, 10000)]
        [int] $ExpectedLocal = 8,

        [ValidateRange(0, 10000)]
        [int] $ExpectedNes = 12,

        [ValidateRange(0, 36500)]
        [int] $ExpiringDays = 3,

        [ValidateRange(0, 36500)]
        [int] $StaleAfterDays = 14,

        [switch] $Summary,

        [switch] $Raw
    )
    begin {
        # What the caller did not give comes from the policy, the
        # configuration file or the default (Get-NymiDiagConfiguration).
        $configured = GetNymiConfiguredSettings -Cmdlet $PSCmdlet -Bound $PSBoundParameters
        foreach ($name in 'ExpectedLocal', 'ExpectedNes') {
            if (-not $PSBoundParameters.ContainsKey($name)) { Set-Variable -Name $name -Value $configured[$name] }
        }
        $paths = New-Object System.Collections.Generic.List[string]
    }
    process {
        foreach ($item in @($Path)) {
            if ($item) {
                # Relative to the PowerShell location, not the process's.
                $paths.Add($PSCmdlet.GetUnresolvedProviderPathFromPSPath($item))
            }
        }
    }
    end {
        # One call for all paths, so pipeline input makes one report.
        $request = @{
            paths = [string[]]$paths.ToArray()
            expected_local = $ExpectedLocal
            expected_nes = $ExpectedNes
            expiring_days = $ExpiringDays
            stale_after_days = $StaleAfterDays
        }
        $report = InvokeNymiExport -Export 'nymidiag_cert_inventory' -Request $request -Cmdlet $PSCmdlet -Raw:$Raw
        if ($Raw) { return $report }

        $findings = @($report.findings | ConvertToNymiFinding)
        $stores = @(foreach ($store in @($report.data.stores)) { ConvertToNymiNeaStore -Store $store -Expected ([int]$report.data.expected.total) -Findings $findings })
        $certificates = @(foreach ($store in $stores) { $store.CertificateObjects })

        if ($Summary) {
            # Lists and the report read as one cell each in Export-Csv.
            $warnings = [string[]]@($report.warnings)
            $storeText = @($stores | ForEach-Object { '{0}/{1} {2} {3}' -f $_.Files, $_.Expected, $_.Role, $_.Path }) -join '; '
            SetNymiReportText -Report $report
            [PSCustomObject]@{
                PSTypeName = 'NymiDiag.NeaInventory'
                Status = [string]$report.status
                Evaluated = ConvertToNymiDateTime $report.data.evaluated_utc
                ExpectedTotal = [int]$report.data.expected.total
                Stores = ConvertToNymiTextList -Value $stores -Text $storeText
                Findings = ConvertToNymiTextList -Value $findings -Text (ConvertToNymiIdText -Item $findings)
                Certificates = ConvertToNymiTextList -Value $certificates -Text ('{0} certificates' -f $certificates.Count)
                Warnings = ConvertToNymiTextList -Value $warnings -Text ($warnings -join '; ')
                Report = $report
            }
            return
        }
        WriteNymiFindingWarning -Finding $findings
        $certificates
    }
}
