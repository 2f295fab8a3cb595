# A sample terminal for the demo (Invoke-NymiDiagnosis -Demo): an NEA key
# store and the Evidian WGSS trace and nymi_api.log, generated here with
# .NET only (no cargo, no network). Certificates are made at run time and
# only their public part is written; the private keys live in memory and are
# disposed.
#
# Scenarios:
#   not-retrieved  8 locally generated certificates (self-signed end
#                  entities); logs with the failed token request, 0x8101201c
#                  then 0x81010009, and nymi_api without an NES connection.
#   healthy        the same 8 plus 12 NES-issued ones (a root CA, an issuing
#                  CA under it and 10 leaves, like the healthy fixture of
#                  tests/common/mod.rs); logs of a successful token exchange.

function NewNymiDemoTerminal {
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param(
        # Folder to create the terminal in; it must not exist or be empty.
        [Parameter(Mandatory = $true)][ValidateNotNullOrEmpty()][string] $Path,
        # Which terminal to build.
        [ValidateSet('not-retrieved', 'healthy')][string] $Scenario = 'not-retrieved',
        # The NES URL the logs name. Default: https://127.0.0.1:<port>/nes on
        # a loopback port that was free a moment ago (nothing listens there).
        [string] $NesUri
    )
    $requestType = 'System.Security.Cryptography.X509Certificates.CertificateRequest' -as [type]
    if (-not $requestType) {
        throw 'NymiDiag: the demo terminal needs .NET Framework 4.7.2 or later (the CertificateRequest class is missing); install it or use PowerShell 7.'
    }

    $root = $PSCmdlet.GetUnresolvedProviderPathFromPSPath($Path)
    if (Test-Path -LiteralPath $root -PathType Leaf) {
        throw "NymiDiag: the demo folder '$root' is a file; give a new folder."
    }
    if ((Test-Path -LiteralPath $root) -and @(Get-ChildItem -LiteralPath $root -Force).Count -gt 0) {
        throw "NymiDiag: the demo folder '$root' is not empty; give a new folder."
    }
    if (-not $NesUri) {
        $NesUri = 'https://127.0.0.1:{0}/nes' -f (GetNymiClosedLoopbackPort)
    }

    $ksp = [System.IO.Path]::Combine($root, 'NSL', 'demo', 'ksp')
    $logs = [System.IO.Path]::Combine($root, 'logs')
    New-Item -ItemType Directory -Force -Path $ksp | Out-Null
    New-Item -ItemType Directory -Force -Path $logs | Out-Null

    $now = [System.DateTimeOffset]::UtcNow
    $ders = New-Object System.Collections.Generic.List[object]
    foreach ($der in @(NewNymiDemoLocalCertificate -Count 8 -Now $now)) { $ders.Add($der) }
    if ($Scenario -eq 'healthy') {
        foreach ($der in @(NewNymiDemoNesCertificate -Leaves 10 -Now $now)) { $ders.Add($der) }
    }
    # Neutral names: the inventory classifies by content, never by name.
    for ($i = 0; $i -lt $ders.Count; $i++) {
        $file = [System.IO.Path]::Combine($ksp, ('{0:D2}.cer' -f ($i + 1)))
        [System.IO.File]::WriteAllBytes($file, [byte[]]$ders[$i])
    }

    WriteNymiDemoLog -Folder $logs -Scenario $Scenario -NesUri $NesUri

    [PSCustomObject]@{
        Path = $root
        KspPath = $ksp
        LogPath = $logs
        NesUri = $NesUri
        Scenario = $Scenario
    }
}

function GetNymiClosedLoopbackPort {
    # A loopback port that was free a moment ago: nothing listens there, so
    # a connection is refused at once.
    [CmdletBinding()]
    [OutputType([int])]
    param()
    $listener = New-Object System.Net.Sockets.TcpListener ([System.Net.IPAddress]::Loopback, 0)
    $listener.Start()
    try { [int]$listener.LocalEndpoint.Port }
    finally { $listener.Stop() }
}

function NewNymiDemoSerial {
    # 16 random bytes, positive and without a leading zero byte (minimal DER).
    [CmdletBinding()]
    [OutputType([byte[]])]
    param()
    $bytes = New-Object byte[] 16
    $rng = [System.Security.Cryptography.RandomNumberGenerator]::Create()
    try { $rng.GetBytes($bytes) }
    finally { $rng.Dispose() }
    $bytes[0] = ($bytes[0] -band 0x7F) -bor 0x40
    , $bytes
}

function NewNymiDemoKey {
    [CmdletBinding()]
    param()
    [System.Security.Cryptography.ECDsa]::Create([System.Security.Cryptography.ECCurve+NamedCurves]::nistP256)
}

function NewNymiDemoRequest {
    # A CertificateRequest for an ECDSA P-256 key with the usual extensions.
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)][string] $Subject,
        [Parameter(Mandatory = $true)][System.Security.Cryptography.ECDsa] $Key,
        # $true: a CA (pathLength: -1 none, else the limit).
        [bool] $IsCA = $false,
        [int] $PathLength = -1,
        # The issuing certificate, for the authorityKeyIdentifier.
        [System.Security.Cryptography.X509Certificates.X509Certificate2] $Issuer
    )
    $x509 = 'System.Security.Cryptography.X509Certificates'
    $request = New-Object "$x509.CertificateRequest" ($Subject, $Key, [System.Security.Cryptography.HashAlgorithmName]::SHA256)
    $extensions = $request.CertificateExtensions
    if ($IsCA) {
        $extensions.Add((New-Object "$x509.X509BasicConstraintsExtension" ($true, ($PathLength -ge 0), [Math]::Max($PathLength, 0), $true)))
        $usage = [System.Security.Cryptography.X509Certificates.X509KeyUsageFlags]'KeyCertSign, CrlSign'
        $extensions.Add((New-Object "$x509.X509KeyUsageExtension" ($usage, $true)))
    }
    else {
        $usage = [System.Security.Cryptography.X509Certificates.X509KeyUsageFlags]::DigitalSignature
        $extensions.Add((New-Object "$x509.X509KeyUsageExtension" ($usage, $true)))
        $eku = New-Object System.Security.Cryptography.OidCollection
        [void]$eku.Add((New-Object System.Security.Cryptography.Oid '1.3.6.1.5.5.7.3.2'))
        $extensions.Add((New-Object "$x509.X509EnhancedKeyUsageExtension" ($eku, $false)))
    }
    $extensions.Add((New-Object "$x509.X509SubjectKeyIdentifierExtension" ($request.PublicKey, $false)))
    if ($Issuer) {
        # authorityKeyIdentifier: SEQUENCE { [0] keyIdentifier } with the
        # issuer's subjectKeyIdentifier.
        $ski = $null
        foreach ($extension in $Issuer.Extensions) {
            if ($extension.Oid.Value -eq '2.5.29.14') { $ski = $extension.SubjectKeyIdentifier }
        }
        if ($ski) {
            $id = New-Object byte[] ($ski.Length / 2)
            for ($i = 0; $i -lt $id.Length; $i++) { $id[$i] = [Convert]::ToByte($ski.Substring($i * 2, 2), 16) }
            $value = [byte[]](@(0x30, ($id.Length + 2), 0x80, $id.Length) + $id)
            $extensions.Add((New-Object "$x509.X509Extension" ('2.5.29.35', $value, $false)))
        }
    }
    $request
}

function NewNymiDemoLocalCertificate {
    # $Count locally generated NEA certificates: self-signed end entities,
    # valid from a day ago for a year. Returns the DER of each.
    [CmdletBinding()]
    [OutputType([byte[]])]
    param(
        [Parameter(Mandatory = $true)][int] $Count,
        [Parameter(Mandatory = $true)][System.DateTimeOffset] $Now
    )
    $notBefore = $Now.AddDays(-1)
    $notAfter = $notBefore.AddDays(365)
    for ($i = 1; $i -le $Count; $i++) {
        $key = NewNymiDemoKey
        $cert = $null
        try {
            $request = NewNymiDemoRequest -Subject "CN=NEA terminal key $i, O=Demo Terminal" -Key $key
            $cert = $request.CreateSelfSigned($notBefore, $notAfter)
            , ([byte[]]$cert.RawData)
        }
        finally {
            if ($cert) { $cert.Dispose() }
            $key.Dispose()
        }
    }
}

function NewNymiDemoNesCertificate {
    # NES-issued NEA certificates, shaped like the healthy test fixture: a
    # root CA, an issuing CA under it and $Leaves leaves issued by the
    # issuing CA with the NES default validity (14 days, issued a day ago).
    # Returns the DER of root, issuing CA, then the leaves.
    [CmdletBinding()]
    [OutputType([byte[]])]
    param(
        [Parameter(Mandatory = $true)][int] $Leaves,
        [Parameter(Mandatory = $true)][System.DateTimeOffset] $Now
    )
    $disposables = New-Object System.Collections.Generic.List[System.IDisposable]
    try {
        $rootKey = NewNymiDemoKey
        $disposables.Add($rootKey)
        $rootRequest = NewNymiDemoRequest -Subject 'CN=Demo NES Root CA, O=Demo NES' -Key $rootKey -IsCA $true
        $root = $rootRequest.CreateSelfSigned($Now.AddDays(-400), $Now.AddDays(3650))
        $disposables.Add($root)

        $issuingKey = NewNymiDemoKey
        $disposables.Add($issuingKey)
        $issuingRequest = NewNymiDemoRequest -Subject 'CN=Demo NES Issuing CA, O=Demo NES' -Key $issuingKey -IsCA $true -PathLength 0 -Issuer $root
        $issuingPublic = $issuingRequest.Create($root, $Now.AddDays(-300), $Now.AddDays(1800), (NewNymiDemoSerial))
        $disposables.Add($issuingPublic)
        # The issuing CA signs the leaves, so it needs its key attached.
        $issuing = [System.Security.Cryptography.X509Certificates.ECDsaCertificateExtensions]::CopyWithPrivateKey($issuingPublic, $issuingKey)
        $disposables.Add($issuing)

        , ([byte[]]$root.RawData)
        , ([byte[]]$issuingPublic.RawData)
        $notBefore = $Now.AddDays(-1)
        $notAfter = $notBefore.AddDays(14)
        for ($i = 1; $i -le $Leaves; $i++) {
            $key = NewNymiDemoKey
            $disposables.Add($key)
            $request = NewNymiDemoRequest -Subject "CN=NEA certificate $i, O=Demo NES" -Key $key -Issuer $issuing
            $leaf = $request.Create($issuing, $notBefore, $notAfter, (NewNymiDemoSerial))
            $disposables.Add($leaf)
            , ([byte[]]$leaf.RawData)
        }
    }
    finally {
        foreach ($item in $disposables) { $item.Dispose() }
    }
}

function WriteNymiDemoLog {
    # The Evidian WGSS trace and nymi_api.log of the scenario, in local time
    # a few minutes before now, ASCII with CRLF like the Windows originals.
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)][string] $Folder,
        [Parameter(Mandatory = $true)][string] $Scenario,
        [Parameter(Mandatory = $true)][string] $NesUri
    )
    $culture = [System.Globalization.CultureInfo]::InvariantCulture
    $start = [datetime]::Now.AddMinutes(-6)
    # WGSS: <thread>:(YY/MM/DD HH:MM:SS.mmm):<file> :<line>: <message>
    $wgss = New-Object System.Collections.Generic.List[string]
    $addWgss = {
        param([int] $Thread, [double] $Seconds, [string] $Source, [string] $Message)
        $stamp = $start.AddSeconds($Seconds).ToString('yy/MM/dd HH:mm:ss.fff', $culture)
        $wgss.Add(('{0}:({1}):{2}' -f $Thread, $stamp, $Source) + ' :' + $Message)
    }
    # nymi_api: <yyyy-MM-dd HH:mm:ss,mmm> <LEVEL> - <message>
    $api = New-Object System.Collections.Generic.List[string]
    $addApi = {
        param([double] $Seconds, [string] $Level, [string] $Message)
        $stamp = $start.AddSeconds($Seconds).ToString('yyyy-MM-dd HH:mm:ss,fff', $culture)
        $api.Add(('{0} {1} - {2}' -f $stamp, $Level, $Message))
    }

    & $addWgss 1200 0.001 'Service.cpp' '0100: -> CService::Start'
    & $addWgss 1200 0.010 'Listener.cpp' "0398: NES URL: $NesUri"
    & $addWgss 1200 0.012 'Service.cpp' '0101: <- CService::Start returned: 0x00000000'
    & $addApi 1.0 'INFO' 'nymi_api starting'
    & $addApi 1.2 'INFO' "init nes_url=$NesUri"

    if ($Scenario -eq 'healthy') {
        & $addWgss 704 60.100 'NesClient.cpp' '0110: -> nymi::NesClient::AuthenticateWithToken'
        & $addWgss 704 60.149 'CHttpClient.cpp' '0402: -> CHttpClient::GetHttpStatus'
        & $addWgss 704 60.210 'CHttpClient.cpp' '0420: <- CHttpClient::GetHttpStatus returned: 0x00000000'
        & $addWgss 704 60.212 'NesClient.cpp' '0131: <- nymi::NesClient::AuthenticateWithToken returned: 0x00000000'
        & $addWgss 704 60.213 'Listener.cpp' '0409: Got token with USER creds'
        & $addApi 60.300 'INFO' 'sending update to nea {"operation":"init","exchange":"4411","status":0,"payload":{},"error":null}'
        foreach ($tap in 0, 1) {
            $t = 120 + (60 * $tap)
            & $addWgss 704 ($t + 0.150) 'WearableExtension.cpp' '0440: Ext::GetListOfVisibleDevices returns: 0x00000000'
            & $addWgss 704 ($t + 0.151) 'WearableExtension.cpp' '0441: 1 visible devices'
            & $addWgss 704 ($t + 0.152) 'Wearable.cpp' '0210: [TIME] Wearable::FreeListOfDevices()'
            & $addWgss 704 ($t + 0.160) 'WearableExtension.cpp' '0495: <- CWearableExtension::ValidateProvisions returned: 0x00000000'
            & $addWgss 704 ($t + 0.161) 'WearableContext.cpp' '0460: <- CWearableContext::ConnectUserWearableDevice returned: 0x00000000'
        }
    }
    else {
        & $addApi 1.3 'WARN' 'Verifying NEA certs without an NES connection. Some checks will be skipped.'
        & $addApi 1.4 'ERROR' 'NSL: nsl_verify_nea_cert_chain, 2227, 5'
        & $addApi 1.5 'ERROR' ('Error: ErrorWithMessage { error: MissingCerts, specifics: "Missing NES connection parameters. Please call `init` with additional fields ' + "\'nes_url\' and \'token\'" + '" }')
        & $addApi 1.6 'INFO' 'sending update to nea {"operation":"init","exchange":"30809","status":8000,"payload":{},"error":{"error_description":"NEA missing certificates.","error_specifics":"Missing NES connection parameters."}}'
        # Two taps a minute apart, each ending in "Object not found". The
        # token request fails with WinHTTP 12029 (cannot connect): nothing
        # listens at the NES URL.
        foreach ($tap in 0, 1) {
            $t = 120 + (60 * $tap)
            & $addWgss 704 ($t + 0.100) 'NesClient.cpp' '0110: -> nymi::NesClient::AuthenticateWithToken'
            & $addWgss 704 ($t + 0.149) 'CHttpClient.cpp' '0402: -> CHttpClient::GetHttpStatus'
            & $addWgss 704 ($t + 1.149) 'NesClient.cpp' "0114: Error from token request--code: 12029 - message: 'A connection with the server could not be established`r`n'"
            & $addWgss 704 ($t + 1.150) 'NesClient.cpp' '0131: <- nymi::NesClient::AuthenticateWithToken returned: 0x80072efd'
            & $addWgss 704 ($t + 1.151) 'Listener.cpp' '0411: Unable to get token with USER creds'
            & $addWgss 704 ($t + 1.162) 'WearableExtension.cpp' '0440: Ext::GetListOfVisibleDevices returns: 0x8101201c'
            & $addWgss 704 ($t + 1.162) 'WearableExtension.cpp' '0441: 0 visible devices'
            & $addWgss 704 ($t + 1.162) 'Wearable.cpp' '0210: [TIME] Wearable::FreeListOfDevices()'
            & $addWgss 704 ($t + 1.163) 'WearableExtension.cpp' '0495: <- CWearableExtension::ValidateProvisions returned: 0x81010009'
            & $addWgss 704 ($t + 1.163) 'WearableContext.cpp' '0460: <- CWearableContext::ConnectUserWearableDevice returned: 0x81010009'
        }
    }

    $ascii = New-Object System.Text.ASCIIEncoding
    $newline = "`r`n"
    [System.IO.File]::WriteAllText([System.IO.Path]::Combine($Folder, 'WGSS_Nymi.log'), (($wgss -join $newline) + $newline), $ascii)
    [System.IO.File]::WriteAllText([System.IO.Path]::Combine($Folder, 'nymi_api.log'), (($api -join $newline) + $newline), $ascii)
}
