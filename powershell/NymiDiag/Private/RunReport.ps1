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

function ConvertToNymiReportText {
    # The JSON text of a report. A diagnosis is its own JSON, unchanged; a
    # string is taken as JSON text; a dictionary or object is converted,
    # and any diagnosis among a dictionary's values is embedded as the JSON
    # the library wrote, not as PowerShell's rendering of the object.
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
    # added when that name exists) through <name>.partial, so that a reader
    # never sees half a report, then keeps the newest $Keep files of that
    # prefix, at most $MaxBytes together; the new one always stays. Refuses
    # a folder that is a link. Returns the FileInfo.
    param([string] $Folder, [string] $Prefix, [string] $Text, [int] $Keep, [long] $MaxBytes)
    $info = [System.IO.Directory]::CreateDirectory($Folder)
    # Users may create folders under ProgramData: never follow a link
    # planted there to write or delete somewhere else as SYSTEM.
    if ($info.Attributes -band [System.IO.FileAttributes]::ReparsePoint) { throw "$Folder is a link; no report written" }
    $stamp = [datetime]::UtcNow.ToString('yyyyMMdd-HHmmss', [System.Globalization.CultureInfo]::InvariantCulture)
    $path = [System.IO.Path]::Combine($Folder, ('{0}-{1}.json' -f $Prefix, $stamp))
    for ($n = 1; [System.IO.File]::Exists($path); $n++) {
        $path = [System.IO.Path]::Combine($Folder, ('{0}-{1}-{2}.json' -f $Prefix, $stamp, $n))
    }
    $temporary = $path + '.partial'
    [System.IO.File]::WriteAllText($temporary, $Text, (New-Object System.Text.UTF8Encoding ($false)))
    [System.IO.File]::Move($temporary, $path)

    $written = New-Object System.IO.FileInfo ($path)
    $kept = 1
    $total = $written.Length
    $others = @((New-Object System.IO.DirectoryInfo ($Folder)).GetFiles($Prefix + '-*.json') |
            Where-Object { $_.FullName -ne $written.FullName } |
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
    $written.Refresh()
    $written
}
