# Turns JSON values into the .NET types the public objects promise. Windows
# PowerShell 5.1's ConvertFrom-Json leaves ISO-8601 times as strings while
# PowerShell 7 turns them into DateTime: both end up as UTC [datetime].

function ConvertToNymiDateTime {
    [CmdletBinding()]
    [OutputType([datetime])]
    param([AllowNull()][object] $Value)
    if ($null -eq $Value -or ($Value -is [string] -and $Value.Length -eq 0)) { return $null }
    if ($Value -is [datetime]) { return $Value.ToUniversalTime() }
    if ($Value -is [System.DateTimeOffset]) { return $Value.UtcDateTime }
    $styles = [System.Globalization.DateTimeStyles]::AdjustToUniversal -bor [System.Globalization.DateTimeStyles]::AssumeUniversal
    [datetime]::Parse([string]$Value, [System.Globalization.CultureInfo]::InvariantCulture, $styles)
}

function TestNymiIsWindows {
    [CmdletBinding()]
    [OutputType([bool])]
    param()
    [System.Environment]::OSVersion.Platform -eq [System.PlatformID]::Win32NT
}

function GetNymiWindowsIdentity {
    # Elevation and LocalSystem come from the process token, which the
    # library does not query; $null off Windows.
    [CmdletBinding()]
    param()
    if (-not (TestNymiIsWindows)) { return $null }
    $identity = [System.Security.Principal.WindowsIdentity]::GetCurrent()
    try {
        $principal = New-Object System.Security.Principal.WindowsPrincipal ($identity)
        [PSCustomObject]@{
            UserName = $identity.Name
            IsSystem = $identity.IsSystem
            IsElevated = $principal.IsInRole([System.Security.Principal.WindowsBuiltInRole]::Administrator)
            OSVersion = [System.Environment]::OSVersion.VersionString
        }
    }
    finally {
        $identity.Dispose()
    }
}
