# Helpers of Repair-NymiNeaCertificate: the store count it compares before
# and after the restart, and its result object.

function MeasureNymiNeaStore {
    # Counts the key stores with Get-NymiNeaCertificate -Summary. Count and
    # Text are those of the emptiest store ('8/20'); Complete when at least
    # one store was read and every store holds the expected number of
    # certificates that have not expired (a refill may replace expired files
    # or add beside them).
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)][hashtable] $Arguments)
    # Reading is not what -WhatIf is about: without this, the caller's
    # -WhatIf reaches commands like ForEach-Object <member> inside.
    $WhatIfPreference = $false
    $inventory = Get-NymiNeaCertificate @Arguments
    $expected = [int]$inventory.ExpectedTotal
    $stores = @($inventory.Stores)
    $count = 0
    $complete = $stores.Count -gt 0
    if ($stores.Count -gt 0) {
        $count = [int]($stores | ForEach-Object { $_.Certificates } | Measure-Object -Minimum).Minimum
    }
    foreach ($store in $stores) {
        if ($store.State -ne 'checked') { $complete = $false }
        if (($store.Certificates - $store.Expired) -lt $expected) { $complete = $false }
    }
    [PSCustomObject]@{
        Expected = $expected
        Count = $count
        Text = '{0}/{1}' -f $count, $expected
        Complete = $complete
        Paths = [string[]]@($stores | ForEach-Object { [string]$_.Path })
        Findings = @($inventory.Findings)
    }
}

function TestNymiNesReachable {
    # Test-NymiNesConnection, and whether NES answers well enough for the
    # NEA to fetch certificates: verdict ok (a 401 offering Negotiate,
    # NES_HTTP_AUTH_REQUIRED, is ok).
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)][hashtable] $Arguments)
    $WhatIfPreference = $false
    $connection = Test-NymiNesConnection @Arguments
    [PSCustomObject]@{
        Reachable = ($connection.Verdict -eq 'ok') -or ($connection.FindingId -eq 'NES_HTTP_AUTH_REQUIRED')
        Connection = $connection
    }
}

function NewNymiRepairResult {
    [CmdletBinding()]
    [OutputType('NymiDiag.RepairResult')]
    param([Parameter(Mandatory = $true)][System.Collections.IDictionary] $State)
    $afterCount = $null
    if ($null -ne $State.AfterCount) { $afterCount = [int]$State.AfterCount }
    $beforeCount = $null
    if ($null -ne $State.BeforeCount) { $beforeCount = [int]$State.BeforeCount }
    [PSCustomObject]@{
        PSTypeName = 'NymiDiag.RepairResult'
        NesUri = [string]$State.NesUri
        ServiceName = $State.ServiceName
        ServiceDisplayName = $State.ServiceDisplayName
        Action = [string]$State.Action
        Reason = [string]$State.Reason
        Before = $State.Before
        After = $State.After
        BeforeCount = [Nullable[int]]$beforeCount
        AfterCount = [Nullable[int]]$afterCount
        Expected = [int]$State.Expected
        Fixed = [bool]$State.Fixed
        WaitedSec = [double]$State.WaitedSec
        NesReachable = [bool]$State.NesReachable
        KspPath = [string[]]@($State.KspPath)
        Findings = @($State.Findings)
    }
}

function WriteNymiRepairOutcome {
    # The result object, and a warning when nothing was fixed: a script that
    # only looks at the streams still sees why.
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)][System.Collections.IDictionary] $State)
    $result = NewNymiRepairResult -State $State
    if (-not $result.Fixed -and $result.Action -ne 'whatif') {
        Write-Warning ('Repair-NymiNeaCertificate: {0}: {1}' -f $result.Action, $result.Reason)
    }
    $result
}
