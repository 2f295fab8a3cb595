# Helpers of Export-NymiSupportBundle: where the zip goes, the collectors,
# log tails, redaction through the library, README.txt and the zip itself.

function ResolveNymiBundlePath {
    # The zip file's full path from -Path (a literal path: a file or a
    # folder, see help). The folder is created when missing, after checking
    # that no part of its path is a link.
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [string] $Path,
        [Parameter(Mandatory = $true)][System.Management.Automation.PSCmdlet] $Cmdlet
    )
    $stamp = [datetime]::Now.ToString('yyyyMMdd-HHmmss', [System.Globalization.CultureInfo]::InvariantCulture)
    $computer = [System.Environment]::MachineName -replace '[^A-Za-z0-9._-]', '_'
    $defaultName = "NymiDiag-$computer-$stamp.zip"
    if (-not $Path) { $Path = '.' }
    $full = $Cmdlet.GetUnresolvedProviderPathFromPSPath($Path)
    $isFolder = [System.IO.Directory]::Exists($full) -or $Path.EndsWith('/') -or $Path.EndsWith('\')
    if ($isFolder) {
        $folder = NewNymiSafeFolder -Folder $full
        return [System.IO.Path]::Combine($folder, $defaultName)
    }
    if ([System.IO.Path]::GetExtension($full) -ne '.zip') { $full = "$full.zip" }
    $parent = NewNymiSafeFolder -Folder ([System.IO.Path]::GetDirectoryName([System.IO.Path]::GetFullPath($full)))
    [System.IO.Path]::Combine($parent, [System.IO.Path]::GetFileName($full))
}

function ReadNymiDiagnosisJson {
    # -DiagnosisJson of Export-NymiSupportBundle: JSON text (an object,
    # kept as given) or the path of a file holding it (read as UTF-8 or
    # with its BOM). Anything else stops the command before the bundle is
    # begun, naming what was wrong.
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory = $true)][string] $Value,
        [Parameter(Mandatory = $true)][System.Management.Automation.PSCmdlet] $Cmdlet
    )
    $text = $Value
    $what = 'the -DiagnosisJson text'
    if (-not $Value.TrimStart().StartsWith('{')) {
        $path = ResolveNymiRequestPath -Cmdlet $Cmdlet -Path $Value
        $problem = $null
        try {
            if (-not [System.IO.File]::Exists($path)) { $problem = 'it is neither JSON text nor the path of an existing file' }
            else { $text = [System.IO.File]::ReadAllText($path) }
        }
        catch { $problem = "the file cannot be read: $(GetNymiErrorMessage -ErrorRecord $_)" }
        if ($problem) { ThrowNymiDiagnosisJsonError -Cmdlet $Cmdlet -Value $Value -Message "NymiDiag: -DiagnosisJson '$(LimitNymiText $Value)': $problem." }
        $what = "the file '$path'"
    }
    if (-not (TestNymiJsonObject -Text $text)) {
        ThrowNymiDiagnosisJsonError -Cmdlet $Cmdlet -Value $Value -Message "NymiDiag: -DiagnosisJson: $what is not a JSON object (give the text or file of Invoke-NymiDiagnosis -Raw)."
    }
    $text
}

function TestNymiJsonObject {
    # Whether the text is one JSON object.
    [CmdletBinding()]
    [OutputType([bool])]
    param([AllowEmptyString()][string] $Text)
    if (-not $Text -or -not $Text.Trim().StartsWith('{')) { return $false }
    try { $parsed = ConvertFrom-Json -InputObject $Text -ErrorAction Stop }
    catch { return $false }
    $parsed -is [System.Management.Automation.PSCustomObject]
}

function LimitNymiText {
    # The start of a text for a message.
    param([AllowEmptyString()][string] $Text, [int] $Max = 80)
    if ($Text.Length -le $Max) { return $Text }
    $Text.Substring(0, $Max) + '...'
}

function ThrowNymiDiagnosisJsonError {
    param([System.Management.Automation.PSCmdlet] $Cmdlet, [string] $Value, [string] $Message)
    $exception = New-Object System.ArgumentException ($Message, 'DiagnosisJson')
    $Cmdlet.ThrowTerminatingError((New-Object System.Management.Automation.ErrorRecord ($exception, 'NymiDiag.DiagnosisJsonInvalid', [System.Management.Automation.ErrorCategory]::InvalidArgument, $Value)))
}

function GetNymiDiagnosisPart {
    # The JSON text of a part report (cert_inventory, log_scan) that a
    # diagnosis embeds, exactly as the library wrote it, or $null when the
    # diagnosis (or a run record holding one) lacks it. The library finds
    # where the part lies (nymidiag_report_part); the text is cut here, so
    # it never goes through ConvertFrom-Json, which changes dates.
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory = $true)][AllowEmptyString()][string] $DiagnosisText,
        [Parameter(Mandatory = $true)][ValidateSet('cert_inventory', 'log_scan')][string] $Part,
        [Parameter(Mandatory = $true)][System.Management.Automation.PSCmdlet] $Cmdlet
    )
    if (-not (TestNymiJsonObject -Text $DiagnosisText)) { return $null }
    $request = '{"part":"' + $Part + '","caller":' + (ConvertTo-Json -InputObject ([string]$script:NymiCaller) -Compress) +
        ',"report":' + (ConvertTo-Json -InputObject $DiagnosisText -Compress) + '}'
    $report = InvokeNymiExport -Export 'nymidiag_report_part' -RequestJson $request -Cmdlet $Cmdlet -Verbose:$false
    $span = $report.data.span
    if ($null -eq $span) { return $null }
    $DiagnosisText.Substring([int]$span.utf16_offset, [int]$span.utf16_length)
}

function InvokeNymiBundlePart {
    # Runs one collector; on failure the entry is an error document and the
    # problem is noted, so one failing part does not stop the bundle.
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)][string] $Name,
        [Parameter(Mandatory = $true)][scriptblock] $Script,
        [Parameter(Mandatory = $true)][AllowEmptyCollection()][System.Collections.Generic.List[string]] $Problems
    )
    Write-Verbose "NymiDiag: collecting $Name"
    try {
        $text = [string](& $Script)
        NewNymiBundleEntry -Name $Name -Text $text
    }
    catch {
        $message = GetNymiErrorMessage -ErrorRecord $_
        $id = [string]$_.FullyQualifiedErrorId
        $Problems.Add("$Name failed: $message")
        Write-Warning "NymiDiag: $Name could not be collected: $message"
        $document = ConvertTo-Json -Depth 3 -InputObject ([ordered]@{ error = [ordered]@{ id = $id; message = $message } })
        $entry = NewNymiBundleEntry -Name $Name -Text $document
        $entry.Failed = $true
        $entry
    }
}

function GetNymiErrorMessage {
    # The message of an error, without the "Exception calling ..." wrapper
    # that .NET method calls add.
    [CmdletBinding()]
    [OutputType([string])]
    param([Parameter(Mandatory = $true)][System.Management.Automation.ErrorRecord] $ErrorRecord)
    $exception = $ErrorRecord.Exception
    if ($exception -is [System.Management.Automation.MethodInvocationException] -and $exception.InnerException) {
        $exception = $exception.InnerException
    }
    $exception.Message
}

function NewNymiBundleEntry {
    # One zip entry: UTF-8 text without BOM, stored as given (the JSON
    # reports are redacted by the library that wrote them).
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)][string] $Name,
        [Parameter(Mandatory = $true)][AllowEmptyString()][string] $Text
    )
    [PSCustomObject]@{
        Name = $Name
        Text = $Text
        Failed = $false
    }
}

function GetNymiBundleLogName {
    # logs/<file name>, made unique when two folders hold the same name.
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory = $true)][string] $FilePath,
        [Parameter(Mandatory = $true)][hashtable] $Used
    )
    $leaf = [System.IO.Path]::GetFileName($FilePath)
    $leaf = $leaf -replace '[^A-Za-z0-9._() -]', '_'
    if (-not $leaf) { $leaf = 'log' }
    $base = [System.IO.Path]::GetFileNameWithoutExtension($leaf)
    $extension = [System.IO.Path]::GetExtension($leaf)
    $name = $leaf
    $n = 2
    while ($Used.ContainsKey($name.ToLowerInvariant())) {
        $name = '{0}_{1}{2}' -f $base, $n, $extension
        $n++
    }
    $Used[$name.ToLowerInvariant()] = $true
    "logs/$name"
}

# The most bytes of a log one redaction answer covers (the library's
# default and largest piece); the answer stays far below what Windows
# PowerShell 5.1's ConvertFrom-Json reads.
$script:NymiRedactPieceBytes = 524288

function CopyNymiLogToZip {
    # Streams the last $MaxBytes bytes of a log (from the first whole line
    # when the start was cut) into a new zip entry as UTF-8. The library
    # (nymidiag_redact with a path) reads, decodes and redacts it piece by
    # piece, refusing a link that leads outside $Within and special files;
    # each piece is written before the next is asked for, so memory stays
    # bounded by the piece size whatever the log's size. Returns what was
    # copied.
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)][System.IO.Compression.ZipArchive] $Archive,
        [Parameter(Mandatory = $true)][string] $EntryName,
        [Parameter(Mandatory = $true)][string] $FilePath,
        # The encoding the log scan detected (data.files[].encoding).
        [Parameter(Mandatory = $true)][string] $Encoding,
        [AllowEmptyString()][string] $Within,
        [Parameter(Mandatory = $true)][long] $MaxBytes,
        [Parameter(Mandatory = $true)][System.Management.Automation.PSCmdlet] $Cmdlet
    )
    $request = @{ path = $FilePath; encoding = $Encoding; max_bytes = $MaxBytes; piece_bytes = $script:NymiRedactPieceBytes }
    if ($Within) { $request['within'] = $Within }
    # The first piece is read before the entry is made: a refused log
    # leaves no entry behind.
    $report = InvokeNymiExport -Export 'nymidiag_redact' -Request $request -Cmdlet $Cmdlet -Verbose:$false
    $entry = $Archive.CreateEntry($EntryName, [System.IO.Compression.CompressionLevel]::Optimal)
    $writer = New-Object System.IO.StreamWriter ($entry.Open(), (New-Object System.Text.UTF8Encoding ($false)), 65536)
    $result = [ordered]@{ SourceBytes = [long]$report.data.file.size; CopiedBytes = 0L; Truncated = [bool]$report.data.file.truncated; Redactions = 0 }
    try {
        while ($true) {
            $text = [string]$report.data.text
            $writer.Write($text)
            $result.CopiedBytes += $writer.Encoding.GetByteCount($text)
            $result.Redactions += [int]$report.data.replacements
            $next = $report.data.file.next
            if ($null -eq $next) { break }
            $request['resume'] = @{ offset = [long]$next.offset; end = [long]$next.end; in_key_block = [bool]$next.in_key_block; truncated = [bool]$next.truncated }
            $report = InvokeNymiExport -Export 'nymidiag_redact' -Request $request -Cmdlet $Cmdlet -Verbose:$false
        }
    }
    finally { $writer.Dispose() }
    [PSCustomObject]$result
}

function TestNymiPathUnder {
    # Whether $Path is $Folder or lies below it (case-insensitive on Windows).
    param([string] $Path, [string] $Folder)
    $comparison = [System.StringComparison]::Ordinal
    if (TestNymiIsWindows) { $comparison = [System.StringComparison]::OrdinalIgnoreCase }
    $base = $Folder.TrimEnd('\', '/')
    if ([string]::Equals($Path.TrimEnd('\', '/'), $base, $comparison)) { return $true }
    $Path.StartsWith($base + [System.IO.Path]::DirectorySeparatorChar, $comparison) -or $Path.StartsWith($base + '/', $comparison)
}

function GetNymiLogCopyRoot {
    # The folder a log the scan read must lie in, once links are resolved,
    # to be copied: the deepest of the folders the scan was asked to read
    # that holds it, or $null for its own folder (the library's default). A
    # user who can write the log folder must not get another file (a
    # root-only file) into the bundle through a link; the library checks.
    param([Parameter(Mandatory = $true)][string] $FilePath, [AllowEmptyCollection()][string[]] $Roots = @())
    $root = $null
    foreach ($candidate in $Roots) {
        if ($candidate -and (TestNymiPathUnder -Path $FilePath -Folder $candidate)) {
            if (-not $root -or $candidate.Length -gt $root.Length) { $root = $candidate }
        }
    }
    $root
}

function GetNymiBundleLogRoots {
    # The folders the scan was asked to read: each -LogPath (a file's
    # folder for a file), or the default locations the scan searched.
    param([AllowEmptyCollection()][string[]] $LogPath = @(), [AllowNull()][object] $Scan)
    if ($LogPath.Count -gt 0) {
        return [string[]]@(foreach ($path in $LogPath) {
                $full = [System.IO.Path]::GetFullPath($path)
                if ([System.IO.Directory]::Exists($full)) { $full } else { [System.IO.Path]::GetDirectoryName($full) }
            })
    }
    if ($Scan -and $Scan.PSObject.Properties['data'] -and $Scan.data -and $Scan.data.PSObject.Properties['searched_locations']) {
        return [string[]]@($Scan.data.searched_locations | ForEach-Object { [string]$_.folder } | Where-Object { $_ })
    }
    [string[]]@()
}

function CopyNymiBundleLog {
    # Streams the files the scan read into logs/<file> entries (see
    # CopyNymiLogToZip), leaving out those reached through a link that
    # points outside the scanned folder and those that fail. Returns one
    # record per file for README.txt.
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)][System.IO.Compression.ZipArchive] $Archive,
        [Parameter(Mandatory = $true)][object] $ScanEntry,
        [AllowEmptyCollection()][string[]] $LogPath = @(),
        [Parameter(Mandatory = $true)][long] $MaxLogBytes,
        [Parameter(Mandatory = $true)][AllowEmptyCollection()][System.Collections.Generic.List[string]] $Problems,
        [Parameter(Mandatory = $true)][System.Management.Automation.PSCmdlet] $Cmdlet
    )
    $copies = New-Object System.Collections.Generic.List[object]
    if ($ScanEntry.Failed) { return ,$copies.ToArray() }
    $scan = ConvertFrom-Json -InputObject $ScanEntry.Text
    # What the scan read, with the encoding it read each file in: the
    # copies are decoded the same way.
    $files = @()
    $encodings = @{}
    if ($scan.PSObject.Properties['data'] -and $scan.data -and $scan.data.PSObject.Properties['files']) {
        foreach ($read in @($scan.data.files)) {
            $path = [string]$read.path
            if (-not $path -or $encodings.ContainsKey($path)) { continue }
            $encodings[$path] = [string]$read.encoding
            $files += $path
        }
    }
    if ($MaxLogBytes -eq 0) {
        if ($files.Count -gt 0) { Write-Verbose 'NymiDiag: -MaxLogBytes 0: no log copies' }
        return ,$copies.ToArray()
    }
    $roots = GetNymiBundleLogRoots -LogPath $LogPath -Scan $scan
    $used = @{}
    foreach ($file in $files) {
        $entryName = GetNymiBundleLogName -FilePath $file -Used $used
        $copy = [ordered]@{ Source = $file; Entry = $entryName; SourceBytes = $null; CopiedBytes = 0; Truncated = $false; Redactions = 0; Skipped = $null }
        $within = GetNymiLogCopyRoot -FilePath $file -Roots $roots
        try {
            Write-Verbose "NymiDiag: copying $file"
            $copied = CopyNymiLogToZip -Archive $Archive -EntryName $entryName -FilePath $file -Encoding $encodings[$file] -Within $within -MaxBytes $MaxLogBytes -Cmdlet $Cmdlet
            $copy.SourceBytes = $copied.SourceBytes
            $copy.CopiedBytes = $copied.CopiedBytes
            $copy.Truncated = $copied.Truncated
            $copy.Redactions = $copied.Redactions
        }
        catch {
            # A link to outside the scanned folder, a special file or an
            # unreadable log is refused before its entry is made; a
            # failure later leaves only redacted text in the entry.
            $reason = (GetNymiErrorMessage -ErrorRecord $_) + '; not copied (an entry already begun holds only the redacted part copied before)'
            $copy.Skipped = $reason
            $Problems.Add("$entryName left out: $reason")
            Write-Warning "NymiDiag: log copy of '$file' left out: $reason"
        }
        $copies.Add([PSCustomObject]$copy)
    }
    ,$copies.ToArray()
}

function FormatNymiBundleReadme {
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory = $true)][datetime] $Started,
        [Parameter(Mandatory = $true)][System.Collections.IDictionary] $Bound,
        [Parameter(Mandatory = $true)][long] $MaxLogBytes,
        [AllowEmptyCollection()][object[]] $Copies = @(),
        [AllowEmptyCollection()][string[]] $Problems = @(),
        [AllowEmptyCollection()][object[]] $Entries = @()
    )
    $culture = [System.Globalization.CultureInfo]::InvariantCulture
    $common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
    $lines = New-Object System.Collections.Generic.List[string]
    $lines.Add('NymiDiag support bundle')
    $lines.Add('=======================')
    $lines.Add('')
    $lines.Add(('Created     {0} UTC on {1} by {2}' -f $Started.ToString('yyyy-MM-dd HH:mm:ss', $culture), [System.Environment]::MachineName, [System.Environment]::UserName))
    $lines.Add("Module      $script:NymiCaller")
    $parameters = @(foreach ($key in @($Bound.Keys | Sort-Object)) {
            if ($common -contains $key) { continue }
            if ($key -eq 'DiagnosisJson') { '-DiagnosisJson <given>'; continue }
            $value = $Bound[$key]
            if ($value -is [datetime]) { $value = $value.ToString('yyyy-MM-dd HH:mm:ss', $culture) }
            elseif ($value -is [array]) { $value = $value -join ', ' }
            '-{0} {1}' -f $key, $value
        })
    $parameterText = '(none)'
    if ($parameters.Count -gt 0) { $parameterText = $parameters -join '; ' }
    $lines.Add("Parameters  $parameterText")
    $lines.Add('')
    $lines.Add('Contents')
    $lines.Add('--------')
    $lines.Add('diagnosis.json       The diagnosis: verdict, status line, evidence, next steps')
    $lines.Add('                     (Invoke-NymiDiagnosis -Raw, or the JSON given with -DiagnosisJson).')
    $lines.Add('cert-inventory.json  The NEA key stores, as the diagnosis holds them (Get-NymiNeaCertificate')
    $lines.Add('                     -Raw when it holds none): certificate metadata, counts and findings.')
    $lines.Add('                     No certificate or key files are copied.')
    $lines.Add('log-scan.json        The log scan, as the diagnosis holds it (Search-NymiLog -Raw when it')
    $lines.Add('                     holds none): rule hits with redacted excerpts, and which files were read.')
    $lines.Add('environment.json     Computer, account, process bitness, PowerShell and library versions')
    $lines.Add('                     (Get-NymiDiagEnvironment).')
    $lines.Add('logs/                Copies of the log files that scan read: at most the last')
    $lines.Add(('                     {0} bytes of each (before redaction), from a whole line, as UTF-8, with secrets' -f $MaxLogBytes))
    $lines.Add('                     (tokens, passwords, Authorization headers) redacted by the library.')
    $lines.Add('README.txt           This file.')
    $lines.Add('')
    $lines.Add('The library removes PEM private key blocks from the log copies and the reports; certificate and')
    $lines.Add('key files are never copied. A log reached through a link whose target lies outside the folder')
    $lines.Add('the scan read is not copied.')
    $lines.Add('The inspected files were opened for reading only.')
    $lines.Add('')
    $lines.Add('Log copies')
    $lines.Add('----------')
    if ($MaxLogBytes -eq 0) {
        $lines.Add('None: -MaxLogBytes 0.')
    }
    elseif ($Copies.Count -eq 0) {
        $lines.Add('None: the log scan read no files.')
    }
    foreach ($copy in $Copies) {
        if ($copy.Skipped) {
            $lines.Add(('{0}  LEFT OUT ({1})' -f $copy.Source, $copy.Skipped))
            continue
        }
        $cut = 'whole file'
        if ($copy.Truncated) { $cut = 'last part only' }
        $lines.Add(('{0}  <-  {1}' -f $copy.Entry, $copy.Source))
        $lines.Add(('    {0} of {1} bytes kept ({2}), {3} redaction(s)' -f $copy.CopiedBytes, $copy.SourceBytes, $cut, $copy.Redactions))
    }
    $lines.Add('')
    $lines.Add('Problems')
    $lines.Add('--------')
    if ($Problems.Count -eq 0) { $lines.Add('None.') }
    foreach ($problem in $Problems) { $lines.Add($problem) }
    ($lines -join "`r`n") + "`r`n"
}

function WriteNymiBundleTextEntry {
    # One text entry of the zip, streamed.
    param([System.IO.Compression.ZipArchive] $Archive, [string] $Name, [AllowEmptyString()][string] $Text)
    $zipEntry = $Archive.CreateEntry($Name, [System.IO.Compression.CompressionLevel]::Optimal)
    $writer = New-Object System.IO.StreamWriter ($zipEntry.Open(), (New-Object System.Text.UTF8Encoding ($false)))
    try { $writer.Write($Text) }
    finally { $writer.Dispose() }
}
