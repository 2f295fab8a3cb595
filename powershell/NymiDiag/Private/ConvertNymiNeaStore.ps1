# Turns the cert_inventory JSON for one key store into typed objects.

function ConvertToNymiNeaStore {
    [CmdletBinding()]
    [OutputType('NymiDiag.NeaStore')]
    param(
        [Parameter(Mandatory = $true)][object] $Store,
        # Files a healthy store holds (expected local + NES).
        [int] $Expected = 20,
        # Every finding of the report; the store keeps those about itself.
        [object[]] $Findings = @()
    )
    $path = [string]$Store.path
    $mine = @($Findings | Where-Object {
            $_.Evidence -and $_.Evidence.PSObject.Properties['store'] -and [string]$_.Evidence.store -eq $path
        })
    $certificates = @(foreach ($c in @($Store.certificates)) { ConvertToNymiNeaCertificate -Certificate $c -StorePath $path })
    $counts = $Store.counts
    $validity = $Store.validity
    $findingIds = [string[]]@($mine | ForEach-Object Id)
    [PSCustomObject]@{
        PSTypeName = 'NymiDiag.NeaStore'
        Path = $path
        State = [string]$Store.state
        Role = [string]$Store.role
        RoleReason = [string]$Store.role_reason
        LastWrite = ConvertToNymiDateTime $Store.last_write_utc
        Certificates = [int]$counts.certificates
        Expected = $Expected
        Local = [int]$counts.local
        Nes = [int]$counts.nes
        Unclassified = [int]$counts.unclassified
        Files = [int]$counts.files
        OpaqueFiles = [int]$counts.opaque_files
        Valid = [int]$counts.valid
        UnreadableFiles = [int]$counts.unreadable_files
        KeyFiles = [int]$counts.key_files
        Expired = [int]$counts.expired
        Expiring = [int]$counts.expiring
        NotYetValid = [int]$counts.not_yet_valid
        ChainBroken = [int]$counts.chain_broken
        NewestRenewal = ConvertToNymiDateTime $validity.newest_not_before
        RenewedDaysAgo = [Nullable[int]]$validity.renewed_days_ago
        EarliestExpiry = ConvertToNymiDateTime $validity.earliest_not_after
        ExpiresInDays = [Nullable[int]]$validity.expires_in_days
        FindingIds = ConvertToNymiTextList -Value $findingIds -Text ($findingIds -join ', ')
        Findings = ConvertToNymiTextList -Value $mine -Text ($findingIds -join ', ')
        CertificateObjects = ConvertToNymiTextList -Value $certificates -Text ('{0} certificates' -f $certificates.Count)
        CertificatesOmitted = [int]$Store.certificates_omitted
        Error = [string]$Store.error
    }
}

function ConvertToNymiNeaCertificate {
    [CmdletBinding()]
    [OutputType('NymiDiag.NeaCertificate')]
    param(
        [Parameter(Mandatory = $true)][object] $Certificate,
        [Parameter(Mandatory = $true)][string] $StorePath
    )
    $c = $Certificate
    $files = [string[]]@($c.files)
    $keyUsage = [string[]]@($c.key_usage)
    $extendedKeyUsage = [string[]]@($c.extended_key_usage | ForEach-Object { $_.name })
    $alternativeNames = [string[]]@($c.subject_alt_names)
    $notes = [string[]]@($c.notes)
    $isCa = $false
    if ($c.basic_constraints -and $c.basic_constraints.PSObject.Properties['ca']) { $isCa = [bool]$c.basic_constraints.ca }
    [PSCustomObject]@{
        PSTypeName = 'NymiDiag.NeaCertificate'
        Store = $StorePath
        FileName = $files -join ', '
        Files = ConvertToNymiTextList -Value $files -Text ($files -join ', ')
        Kind = [string]$c.classification.kind
        ClassificationRule = [string]$c.classification.rule
        ClassificationBasis = [string]$c.classification.basis
        Subject = [string]$c.subject.rfc4514
        SubjectCN = [string]$c.subject.cn
        Issuer = [string]$c.issuer.rfc4514
        IssuerCN = [string]$c.issuer.cn
        SerialNumber = [string]$c.serial
        Thumbprint = [string]$c.thumbprint
        Sha256 = [string]$c.sha256
        NotBefore = ConvertToNymiDateTime $c.not_before
        NotAfter = ConvertToNymiDateTime $c.not_after
        DaysLeft = [int]$c.days_left
        Validity = [string]$c.validity
        SelfSigned = [bool]$c.self_signed
        IsCA = $isCa
        IssuerPresent = [bool]$c.chain.issuer_present
        Signature = [string]$c.chain.signature
        Chain = [string]$c.chain.status
        KeyAlgorithm = [string]$c.key.algorithm
        KeySize = [Nullable[int]]$c.key.size_bits
        Curve = [string]$c.key.curve
        SignatureAlgorithm = [string]$c.signature_algorithm.name
        WeakSignature = [bool]$c.signature_algorithm.weak
        KeyUsage = ConvertToNymiTextList -Value $keyUsage -Text ($keyUsage -join ', ')
        ExtendedKeyUsage = ConvertToNymiTextList -Value $extendedKeyUsage -Text ($extendedKeyUsage -join ', ')
        SubjectAlternativeNames = ConvertToNymiTextList -Value $alternativeNames -Text ($alternativeNames -join ', ')
        AuthorityKeyId = [string]$c.authority_key_id
        SubjectKeyId = [string]$c.subject_key_id
        Notes = ConvertToNymiTextList -Value $notes -Text ($notes -join '; ')
    }
}
