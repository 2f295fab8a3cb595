# Report files of the host scripts and of Save-NymiReport: the folder, the
# JSON text with a diagnosis embedded as the library wrote it, the atomic
# write and the rotation.

function ResolveNymiReportFolder {
    # The report folder as a full path. Empty means the default,
    # %ProgramData%\NymiDiag; without ProgramData (elsewhere than Windows)
    # that default, also as the host scripts spell it ('\NymiDiag'), is
    # <temp>/NymiDiag. Relative paths are taken from the current location.
    param([string] $Folder, [System.Management.Automation.PSCmdlet] $Cmdlet)
    if (-not $Folder -and $env:ProgramData) { $Folder = [System.IO.Path]::Combine($env:ProgramData, 'NymiDiag') }
    if (-not $Folder -or (-not $env:ProgramData -and $Folder -eq '\NymiDiag')) {
        $Folder = [System.IO.Path]::Combine([System.IO.Path]::GetTempPath(), 'NymiDiag')
    }
    if ($Cmdlet) { return $Cmdlet.GetUnresolvedProviderPathFromPSPath($Folder) }
    $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($Folder)
}

function TestNymiDiagnosisObject {
    # Whether $Value is a diagnosis with its JSON (Invoke-NymiDiagnosis).
    param([object] $Value)
    if ($null -eq $Value -or $Value -is [string] -or $Value -is [System.Collections.IDictionary]) { return $false }
    $json = $Value.PSObject.Properties['Json']
    ($Value.PSObject.TypeNames -contains 'NymiDiag.Diagnosis') -and $null -ne $json -and ($json.Value -is [string])
}

# How much a run record may hold: nesting and values in all.
$script:NymiRecordMaxDepth = 12
$script:NymiRecordMaxValues = 100000

function TestNymiPlainValue {
    # Whether $Value is data a run record holds: null, text, numbers,
    # booleans, times, diagnoses, and dictionaries, lists and plain objects
    # of those. Anything else (a FileInfo, a process) is not, and is never
    # serialised: PowerShell would walk its whole object graph.
    param([AllowNull()][object] $Value, [int] $Depth, [hashtable] $Budget)
    $Budget.Values++
    if ($Budget.Values -gt $script:NymiRecordMaxValues -or $Depth -gt $script:NymiRecordMaxDepth) { return $false }
    if ($null -eq $Value) { return $true }
    if ($Value -is [string] -or $Value -is [char] -or $Value -is [bool] -or $Value -is [datetime] -or $Value -is [datetimeoffset] -or
        $Value -is [timespan] -or $Value -is [guid] -or $Value -is [version] -or $Value -is [enum] -or $Value -is [uri]) { return $true }
    if ($Value -is [System.ValueType] -and $Value.GetType().IsPrimitive) { return $true }
    if ($Value -is [decimal]) { return $true }
    if (TestNymiDiagnosisObject $Value) { return $true }
    if ($Value -is [System.Collections.IDictionary]) {
        foreach ($key in @($Value.Keys)) {
            if (-not (TestNymiPlainValue -Value $Value[$key] -Depth ($Depth + 1) -Budget $Budget)) { return $false }
        }
        return $true
    }
    if ($Value -is [System.Array] -or $Value -is [System.Collections.IList]) {
        foreach ($item in $Value) {
            if (-not (TestNymiPlainValue -Value $item -Depth ($Depth + 1) -Budget $Budget)) { return $false }
        }
        return $true
    }
    if ($Value -is [System.Management.Automation.PSCustomObject]) {
        foreach ($property in $Value.PSObject.Properties) {
            if (-not (TestNymiPlainValue -Value $property.Value -Depth ($Depth + 1) -Budget $Budget)) { return $false }
        }
        return $true
    }
    $false
}

function GetNymiReportInputProblem {
    # Why $InputObject is not a report Save-NymiReport writes, or $null. A
    # report is a diagnosis (Invoke-NymiDiagnosis), its JSON text (one JSON
    # object), or a run record: a dictionary or plain object of plain data
    # (see TestNymiPlainValue), as the Intune and GPO scripts build.
    param([AllowNull()][object] $InputObject)
    if ($null -eq $InputObject) { return 'it is null' }
    if (TestNymiDiagnosisObject $InputObject) { return $null }
    if ($InputObject -is [string]) {
        if (TestNymiJsonObject -Text $InputObject) { return $null }
        return 'the text is not a JSON object (give Invoke-NymiDiagnosis -Raw output or a record)'
    }
    $base = $InputObject
    $isRecord = ($base -is [System.Collections.IDictionary]) -or ($base -is [System.Management.Automation.PSCustomObject])
    if (-not $isRecord) { return "a $($base.GetType().FullName) is not a report" }
    $budget = @{ Values = 0 }
    if (TestNymiPlainValue -Value $base -Depth 0 -Budget $budget) { return $null }
    if ($budget.Values -gt $script:NymiRecordMaxValues) { return "the record holds more than $script:NymiRecordMaxValues values" }
    'the record holds a value that is not plain data (text, numbers, times, lists, dictionaries or a diagnosis), or is nested deeper than ' + $script:NymiRecordMaxDepth
}

function ConvertToNymiReportText {
    # The JSON text of a report (checked by GetNymiReportInputProblem). A
    # diagnosis is its own JSON, unchanged; a string is taken as JSON text;
    # a record is converted, and any diagnosis among a dictionary's values
    # is embedded as the JSON the library wrote, not as PowerShell's
    # rendering of the object.
    param([object] $InputObject)
    if (TestNymiDiagnosisObject $InputObject) { return ([string]$InputObject.Json).Trim() }
    if ($InputObject -is [string]) { return $InputObject.Trim() }
    if (-not ($InputObject -is [System.Collections.IDictionary])) { return ConvertTo-Json -InputObject $InputObject -Depth 12 }
    $copy = [ordered]@{}
    $embedded = @{}
    foreach ($key in @($InputObject.Keys)) {
        $value = $InputObject[$key]
        if (TestNymiDiagnosisObject $value) {
            $marker = 'nymidiag-diagnosis-' + [guid]::NewGuid().ToString('N')
            $embedded[$marker] = ([string]$value.Json).Trim()
            $value = $marker
        }
        $copy[[string]$key] = $value
    }
    $text = ConvertTo-Json -InputObject $copy -Depth 12
    foreach ($marker in @($embedded.Keys)) { $text = $text.Replace('"' + $marker + '"', $embedded[$marker]) }
    $text
}

function WriteNymiReportFile {
    # Writes $Text to <Folder>/<Prefix>-<yyyyMMdd-HHmmss>.json (UTC; -<n>
    # added when that name exists) through a new temporary file moved into
    # place (SafeWrite.ps1: no link in the folder's path, nothing opened
    # that exists, safe with concurrent writers), then keeps the newest
    # $Keep files of that prefix, at most $MaxBytes together; the new one
    # always stays. Returns the FileInfo.
    param([string] $Folder, [string] $Prefix, [string] $Text, [int] $Keep, [long] $MaxBytes)
    $Folder = NewNymiSafeFolder -Folder $Folder
    $stamp = [datetime]::UtcNow.ToString('yyyyMMdd-HHmmss', [System.Globalization.CultureInfo]::InvariantCulture)
    $temporary = NewNymiTemporaryFile -Folder $Folder
    $path = $null
    try {
        try {
            $bytes = (New-Object System.Text.UTF8Encoding ($false)).GetBytes($Text)
            $temporary.Stream.Write($bytes, 0, $bytes.Length)
        }
        finally { $temporary.Stream.Dispose() }
        for ($n = 1; $n -le 100000; $n++) {
            $name = '{0}-{1}.json' -f $Prefix, $stamp
            if ($n -gt 1) { $name = '{0}-{1}-{2}.json' -f $Prefix, $stamp, ($n - 1) }
            $candidate = [System.IO.Path]::Combine($Folder, $name)
            if ($null -ne (GetNymiPathAttributes -Path $candidate)) { continue }
            if (MoveNymiFileIntoPlace -Temporary $temporary.Path -Destination $candidate) {
                $path = $candidate
                break
            }
        }
        if (-not $path) { throw "NymiDiag: no free report name in '$Folder'." }
    }
    finally {
        if (-not $path) { RemoveNymiTemporaryFile -Path $temporary.Path }
    }

    $written = New-Object System.IO.FileInfo ($path)
    RemoveNymiOldReport -Folder $Folder -Prefix $Prefix -Written $written -Keep $Keep -MaxBytes $MaxBytes
    $written.Refresh()
    $written
}

function RemoveNymiOldReport {
    # Keeps the newest $Keep reports of the prefix, at most $MaxBytes
    # together, the one just written always. A file another writer removed
    # meanwhile is no error.
    param([string] $Folder, [string] $Prefix, [System.IO.FileInfo] $Written, [int] $Keep, [long] $MaxBytes)
    $kept = 1
    $total = $Written.Length
    $others = @((New-Object System.IO.DirectoryInfo ($Folder)).GetFiles($Prefix + '-*.json') |
            Where-Object { $_.FullName -ne $Written.FullName } |
            Sort-Object -Property @{ Expression = 'LastWriteTimeUtc'; Descending = $true }, @{ Expression = 'Name'; Descending = $true })
    foreach ($file in $others) {
        if ($kept -lt $Keep -and ($total + $file.Length) -le $MaxBytes) {
            $kept++
            $total += $file.Length
        }
        else {
            try { $file.Delete() } catch { $null = $_ }
        }
    }
}
