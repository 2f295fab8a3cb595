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

# Export-Csv and ConvertTo-Csv write every property of an object, each as
# its value's ToString(): a list becomes 'System.Object[]', a nested object
# '@{...}'. The objects of this module keep their lists and nested reports
# for scripts, and give each a ToString() that reads as one short cell.

function ConvertToNymiTextList {
    # $Value (an array, kept as it is: $x[0], foreach and -is [string[]]
    # still work) wrapped so that its text is $Text.
    [CmdletBinding()]
    param(
        [AllowNull()][AllowEmptyCollection()][object] $Value,
        [Parameter(Mandatory = $true)][AllowEmptyString()][string] $Text
    )
    if ($null -eq $Value) { $Value = [object[]]@() }
    $list = New-Object System.Management.Automation.PSObject -ArgumentList (, $Value)
    SetNymiText -InputObject $list -Text $Text
    # The comma keeps the pipeline from enumerating the list.
    , $list
}

function SetNymiText {
    # Gives one object (a nested report, evidence, a list wrapper) the text
    # it shows as a CSV cell or in a string.
    [CmdletBinding()]
    param(
        [AllowNull()][object] $InputObject,
        [Parameter(Mandatory = $true)][AllowEmptyString()][string] $Text
    )
    if ($null -eq $InputObject) { return }
    Add-Member -InputObject $InputObject -MemberType ScriptMethod -Name ToString -Value ({ $Text }.GetNewClosure()) -Force
}

function ConvertToNymiIdText {
    # The ids of findings or hits as one cell: 'A, B, C'.
    [CmdletBinding()]
    [OutputType([string])]
    param([AllowNull()][AllowEmptyCollection()][object[]] $Item, [string] $Property = 'Id')
    (@($Item | Where-Object { $null -ne $_ } | ForEach-Object { [string]$_.$Property }) -join ', ')
}

function ConvertToNymiCompactJson {
    # Small nested data (a finding's evidence, a hit's fields) as one line
    # of JSON, at most $MaxLength characters; longer text ends with '...'.
    [CmdletBinding()]
    [OutputType([string])]
    param([AllowNull()][object] $Value, [int] $MaxLength = 500)
    if ($null -eq $Value) { return '' }
    $text = ConvertTo-Json -InputObject $Value -Depth 6 -Compress
    if ($text.Length -gt $MaxLength) { $text = $text.Substring(0, $MaxLength - 3) + '...' }
    $text
}

function SetNymiReportText {
    # A part report kept on an object for scripts: in a cell it names
    # itself instead of PowerShell's rendering of the whole report.
    [CmdletBinding()]
    param([AllowNull()][object] $Report)
    if ($null -eq $Report -or $Report -is [string]) { return }
    $capability = 'nymidiag'
    if ($Report.PSObject.Properties['capability']) { $capability = [string]$Report.capability }
    SetNymiText -InputObject $Report -Text ('{0} report (the library''s JSON report as objects)' -f $capability)
}
