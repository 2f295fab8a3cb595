# The Windows proxy settings that decide how NES is reached: the WinHTTP
# machine proxy (used by services running as SYSTEM, like the NEA) and the
# per-user WinINET settings. Gathered here because the library has no
# Windows APIs; the parsing is plain code, tested on every platform. Whether
# the proxy carries the NES request (the bypass list) is the library's call.

function ConvertFromNymiWinHttpSettings {
    # Decodes the WinHttpSettings registry value (what 'netsh winhttp set
    # proxy' writes): DWORD version, DWORD counter, DWORD flags (bit 2 =
    # proxy set), then a length-prefixed proxy list and bypass list in ANSI.
    [CmdletBinding()]
    param([AllowNull()][byte[]] $Bytes)
    $direct = [PSCustomObject]@{ Proxy = $null; Bypass = [string[]]@(); Direct = $true }
    if ($null -eq $Bytes -or $Bytes.Length -lt 16) { return $direct }
    $flags = [System.BitConverter]::ToUInt32($Bytes, 8)
    $offset = 12
    $proxyLength = [System.BitConverter]::ToUInt32($Bytes, $offset)
    $offset += 4
    if ($proxyLength -gt ($Bytes.Length - $offset)) { return $direct }
    $proxy = [System.Text.Encoding]::ASCII.GetString($Bytes, $offset, [int]$proxyLength)
    $offset += [int]$proxyLength
    $bypass = ''
    if ($Bytes.Length -ge $offset + 4) {
        $bypassLength = [System.BitConverter]::ToUInt32($Bytes, $offset)
        $offset += 4
        if ($bypassLength -le ($Bytes.Length - $offset)) {
            $bypass = [System.Text.Encoding]::ASCII.GetString($Bytes, $offset, [int]$bypassLength)
        }
    }
    if (($flags -band 2) -eq 0 -or -not $proxy) { return $direct }
    [PSCustomObject]@{
        Proxy = $proxy
        Bypass = [string[]]@($bypass.Split(';') | ForEach-Object { $_.Trim() } | Where-Object { $_ })
        Direct = $false
    }
}

function GetNymiWindowsProxy {
    # $null off Windows: the settings do not exist there.
    [CmdletBinding()]
    param()
    if (-not (TestNymiIsWindows)) { return $null }
    # The 64-bit registry view: a 32-bit host (Intune's default) would
    # otherwise read the WOW6432Node copy, while the NEA services are 64-bit.
    # On 32-bit Windows the 64-bit view is the only view.
    $bytes = $null
    try {
        $base = [Microsoft.Win32.RegistryKey]::OpenBaseKey([Microsoft.Win32.RegistryHive]::LocalMachine, [Microsoft.Win32.RegistryView]::Registry64)
        try {
            $key = $base.OpenSubKey('SOFTWARE\Microsoft\Windows\CurrentVersion\Internet Settings\Connections')
            if ($key) {
                try { $bytes = $key.GetValue('WinHttpSettings') -as [byte[]] }
                finally { $key.Dispose() }
            }
        }
        finally { $base.Dispose() }
    }
    catch {
        Write-Verbose "NymiDiag: the WinHTTP proxy setting could not be read: $($_.Exception.Message)"
    }
    $winHttp = ConvertFromNymiWinHttpSettings -Bytes $bytes

    $user = Get-ItemProperty -LiteralPath 'HKCU:\Software\Microsoft\Windows\CurrentVersion\Internet Settings' -ErrorAction SilentlyContinue
    $userProxy = $null
    $userBypass = [string[]]@()
    $pac = $null
    if ($user) {
        if ($user.PSObject.Properties['ProxyEnable'] -and $user.ProxyEnable -eq 1 -and $user.PSObject.Properties['ProxyServer']) { $userProxy = [string]$user.ProxyServer }
        if ($user.PSObject.Properties['ProxyOverride']) { $userBypass = [string[]]@(([string]$user.ProxyOverride).Split(';') | Where-Object { $_ }) }
        if ($user.PSObject.Properties['AutoConfigURL']) { $pac = [string]$user.AutoConfigURL }
    }
    [PSCustomObject]@{
        PSTypeName = 'NymiDiag.WindowsProxy'
        WinHttpProxy = $winHttp.Proxy
        WinHttpBypass = $winHttp.Bypass
        UserProxy = $userProxy
        UserBypass = $userBypass
        PacUrl = $pac
    }
}
