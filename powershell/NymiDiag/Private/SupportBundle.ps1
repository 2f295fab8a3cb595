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

function GetNymiTextEncoding {
    # The encoding of a log from its first bytes: a BOM, NULs in every
    # other byte (UTF-16 without BOM), valid UTF-8, else Windows-1252.
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)][AllowEmptyCollection()][byte[]] $Head,
        [Parameter(Mandatory = $true)][int] $Count
    )
    $result = @{ Name = 'utf-8'; Encoding = (New-Object System.Text.UTF8Encoding $false); BomLength = 0; Unit = 1 }
    if ($Count -ge 3 -and $Head[0] -eq 0xEF -and $Head[1] -eq 0xBB -and $Head[2] -eq 0xBF) {
        $result.BomLength = 3
    }
    elseif ($Count -ge 2 -and $Head[0] -eq 0xFF -and $Head[1] -eq 0xFE) {
        $result = @{ Name = 'utf-16le'; Encoding = (New-Object System.Text.UnicodeEncoding ($false, $false)); BomLength = 2; Unit = 2 }
    }
    elseif ($Count -ge 2 -and $Head[0] -eq 0xFE -and $Head[1] -eq 0xFF) {
        $result = @{ Name = 'utf-16be'; Encoding = (New-Object System.Text.UnicodeEncoding ($true, $false)); BomLength = 2; Unit = 2 }
    }
    else {
        $pairs = [int][Math]::Floor($Count / 2)
        $oddNul = 0
        $evenNul = 0
        for ($i = 0; $i -lt $pairs; $i++) {
            if ($Head[2 * $i] -eq 0) { $evenNul++ }
            if ($Head[2 * $i + 1] -eq 0) { $oddNul++ }
        }
        if ($pairs -gt 0 -and $oddNul -gt ($pairs / 2) -and $evenNul -lt ($pairs / 8)) {
            $result = @{ Name = 'utf-16le'; Encoding = (New-Object System.Text.UnicodeEncoding ($false, $false)); BomLength = 0; Unit = 2 }
        }
        elseif ($pairs -gt 0 -and $evenNul -gt ($pairs / 2) -and $oddNul -lt ($pairs / 8)) {
            $result = @{ Name = 'utf-16be'; Encoding = (New-Object System.Text.UnicodeEncoding ($true, $false)); BomLength = 0; Unit = 2 }
        }
        else {
            $strict = New-Object System.Text.UTF8Encoding ($false, $true)
            # A sequence cut at the end of the sample is not an error.
            $end = $Count
            $back = 0
            while ($end -gt 0 -and $back -lt 3 -and ($Head[$end - 1] -band 0x80) -ne 0) { $end--; $back++ }
            try { [void]$strict.GetString($Head, 0, $end) }
            catch {
                $windows = $null
                try { $windows = [System.Text.Encoding]::GetEncoding(1252) }
                catch { $windows = [System.Text.Encoding]::GetEncoding(28591) }
                $result = @{ Name = 'windows-1252'; Encoding = $windows; BomLength = 0; Unit = 1 }
            }
        }
    }
    [PSCustomObject]$result
}

# The library redacts a log copy in pieces of about this many characters,
# cut at line ends; a line longer than the hard cap is cut there.
$script:NymiRedactChunkChars = 262144
$script:NymiRedactHardCapChars = 1048576
# A PEM private key marker line, to carry "inside a key block" from one
# piece to the next (the library removes the block itself).
$script:NymiPemKeyMarker = '-----(BEGIN|END) [A-Z0-9 ]*PRIVATE KEY-----'

function InvokeNymiRedaction {
    # The library's redaction (nymidiag_redact) of one piece of text. Throws
    # when it is not available: a log is never bundled unredacted.
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)][AllowEmptyString()][string] $Text,
        [Parameter(Mandatory = $true)][System.Management.Automation.PSCmdlet] $Cmdlet
    )
    # Not verbose: the request is the unredacted text.
    $report = InvokeNymiExport -Export 'nymidiag_redact' -Request @{ text = $Text } -Cmdlet $Cmdlet -Verbose:$false
    if (-not ($report.PSObject.Properties['data'] -and $report.data -and $report.data.PSObject.Properties['text'])) {
        throw 'NymiDiag: nymidiag_redact returned no text.'
    }
    $replacements = 0
    if ($report.data.PSObject.Properties['replacements']) { $replacements = [int]$report.data.replacements }
    [PSCustomObject]@{ Text = [string]$report.data.text; Replacements = $replacements }
}

function GetNymiKeyBlockState {
    # Whether a text ends inside a PEM private key block: $true when its
    # last marker is a BEGIN, $false for an END, $null for none. With
    # -First, the first marker instead: an END first means the text began
    # inside a block (a tail cut into one).
    param([AllowEmptyString()][string] $Text, [switch] $First)
    $found = [regex]::Matches($Text, $script:NymiPemKeyMarker)
    if ($found.Count -eq 0) { return $null }
    $match = $found[$found.Count - 1]
    if ($First) { $match = $found[0] }
    if ($First) { return $match.Groups[1].Value -eq 'END' }
    $match.Groups[1].Value -eq 'BEGIN'
}

function GetNymiPieceLength {
    # How much of $Pending goes into the next redaction request: up to the
    # last line end within the chunk size (or, at the end of the file,
    # everything); 0 to read more first. A line longer than the hard cap
    # is cut there.
    param([System.Text.StringBuilder] $Pending, [bool] $AtEnd)
    if ($AtEnd) { return $Pending.Length }
    if ($Pending.Length -lt $script:NymiRedactChunkChars) { return 0 }
    $limit = [Math]::Min($Pending.Length, $script:NymiRedactHardCapChars)
    for ($i = $limit - 1; $i -ge 0; $i--) {
        if ($Pending[$i] -eq [char]10) { return $i + 1 }
    }
    if ($Pending.Length -ge $script:NymiRedactHardCapChars) { return $script:NymiRedactHardCapChars }
    0
}

function CopyNymiLogToZip {
    # Streams the last $MaxBytes bytes of a log (from the first whole line
    # when the start was cut) into a new zip entry, decoded, redacted by the
    # library piece by piece and written as UTF-8: memory stays bounded by
    # the piece size whatever the log's size. Opens the log for reading
    # only and lets writers on. Returns what was copied.
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)][System.IO.Compression.ZipArchive] $Archive,
        [Parameter(Mandatory = $true)][string] $EntryName,
        [Parameter(Mandatory = $true)][string] $FilePath,
        [Parameter(Mandatory = $true)][long] $MaxBytes,
        [Parameter(Mandatory = $true)][System.Management.Automation.PSCmdlet] $Cmdlet
    )
    $share = [System.IO.FileShare]::ReadWrite -bor [System.IO.FileShare]::Delete
    $stream = New-Object System.IO.FileStream ($FilePath, [System.IO.FileMode]::Open, [System.IO.FileAccess]::Read, $share, 65536)
    try {
        $length = $stream.Length
        $head = New-Object byte[] ([int][Math]::Min(4096, $length))
        $headRead = 0
        while ($headRead -lt $head.Length) {
            $n = $stream.Read($head, $headRead, $head.Length - $headRead)
            if ($n -le 0) { break }
            $headRead += $n
        }
        $encoding = GetNymiTextEncoding -Head $head -Count $headRead
        $start = [Math]::Max([long]$encoding.BomLength, $length - $MaxBytes)
        if ($encoding.Unit -eq 2 -and (($start - $encoding.BomLength) % 2) -ne 0) { $start++ }
        $truncated = $start -gt $encoding.BomLength
        [void]$stream.Seek($start, [System.IO.SeekOrigin]::Begin)
        # Bytes appended while copying are not read: the copy is bounded.
        $remaining = $length - $start

        $entry = $Archive.CreateEntry($EntryName, [System.IO.Compression.CompressionLevel]::Optimal)
        $output = $entry.Open()
        $writer = New-Object System.IO.StreamWriter ($output, (New-Object System.Text.UTF8Encoding ($false)), 65536)
        $result = [ordered]@{ SourceBytes = $length; CopiedBytes = 0L; Truncated = $truncated; Redactions = 0 }
        try {
            $decoder = $encoding.Encoding.GetDecoder()
            $bytes = New-Object byte[] 262144
            $chars = New-Object char[] ($encoding.Encoding.GetMaxCharCount($bytes.Length) + 4)
            $pending = New-Object System.Text.StringBuilder
            $skipToLine = $truncated
            $inKeyBlock = $null
            $atEnd = $false
            while (-not $atEnd -or $pending.Length -gt 0) {
                if (-not $atEnd) {
                    $want = [int][Math]::Min([long]$bytes.Length, $remaining)
                    $n = 0
                    if ($want -gt 0) { $n = $stream.Read($bytes, 0, $want) }
                    $remaining -= $n
                    $atEnd = ($n -le 0) -or ($remaining -le 0)
                    $count = $decoder.GetChars($bytes, 0, $n, $chars, 0, $atEnd)
                    $from = 0
                    if ($skipToLine) {
                        $newline = [Array]::IndexOf($chars, [char]10, 0, $count)
                        if ($newline -lt 0) { $from = $count } else { $from = $newline + 1; $skipToLine = $false }
                    }
                    [void]$pending.Append($chars, $from, $count - $from)
                }
                $take = GetNymiPieceLength -Pending $pending -AtEnd $atEnd
                if ($take -le 0) { continue }
                $piece = $pending.ToString(0, $take)
                [void]$pending.Remove(0, $take)
                if ($null -eq $inKeyBlock) { $inKeyBlock = $truncated -and [bool](GetNymiKeyBlockState -Text $piece -First) }
                $request = $piece
                # Inside a key block carried over from the last piece (or
                # the cut start): the library removes the block when it
                # sees where it began.
                if ($inKeyBlock) { $request = "-----BEGIN PRIVATE KEY-----`n" + $piece }
                $state = GetNymiKeyBlockState -Text $request
                if ($null -ne $state) { $inKeyBlock = $state }
                $redacted = InvokeNymiRedaction -Text $request -Cmdlet $Cmdlet
                $result.Redactions += $redacted.Replacements
                $writer.Write($redacted.Text)
                $result.CopiedBytes += $writer.Encoding.GetByteCount($redacted.Text)
            }
        }
        finally {
            $writer.Dispose()
        }
        [PSCustomObject]$result
    }
    finally { $stream.Dispose() }
}

function GetNymiRealPath {
    # The path with every link in it resolved (.NET 6+ ResolveLinkTarget),
    # or $null when a part is a link that cannot be resolved here (Windows
    # PowerShell 5.1 has no API for link targets).
    param([Parameter(Mandatory = $true)][string] $Path)
    $full = [System.IO.Path]::GetFullPath($Path)
    for ($round = 0; $round -lt 40; $round++) {
        $link = GetNymiLinkInPath -Path $full
        if (-not $link) { return $full }
        $info = New-Object System.IO.FileInfo ($link)
        if (-not ($info.PSObject.Methods['ResolveLinkTarget'])) { return $null }
        $target = $null
        try { $target = $info.ResolveLinkTarget($true) } catch { $target = $null }
        if (-not $target) { return $null }
        $rest = $full.Substring($link.Length)
        $full = [System.IO.Path]::GetFullPath($target.FullName.TrimEnd('\', '/') + $rest)
    }
    $null
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

function GetNymiLogCopyRefusal {
    # Why a log the scan read is not copied, or $null. A log reached
    # through a link (the file, or a folder between it and the folder the
    # scan was asked to read) is copied only when the link's target lies
    # inside that folder: a user who can write the log folder must not get
    # another file (a root-only file) into the bundle.
    param([Parameter(Mandatory = $true)][string] $FilePath, [AllowEmptyCollection()][string[]] $Roots = @())
    $root = $null
    foreach ($candidate in $Roots) {
        if ($candidate -and (TestNymiPathUnder -Path $FilePath -Folder $candidate)) {
            if (-not $root -or $candidate.Length -gt $root.Length) { $root = $candidate }
        }
    }
    if (-not $root) { $root = [System.IO.Path]::GetDirectoryName([System.IO.Path]::GetFullPath($FilePath)) }
    # Links above the scanned folder are the admin's choice.
    $realRoot = GetNymiRealPath -Path $root
    $real = GetNymiRealPath -Path $FilePath
    if ($null -eq $real -or $null -eq $realRoot) { return 'it is reached through a link whose target cannot be checked here; not copied' }
    if (-not (TestNymiPathUnder -Path $real -Folder $realRoot)) {
        return "it is a link (or lies under one) to '$real', outside the folder the scan read ('$root'); not copied"
    }
    $null
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
    $files = @()
    if ($scan.PSObject.Properties['data'] -and $scan.data -and $scan.data.PSObject.Properties['files']) {
        $files = @($scan.data.files | ForEach-Object { [string]$_.path } | Where-Object { $_ } | Select-Object -Unique)
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
        $refusal = GetNymiLogCopyRefusal -FilePath $file -Roots $roots
        if ($refusal) {
            $copy.Skipped = $refusal
            $Problems.Add("$entryName left out: $refusal")
            Write-Warning "NymiDiag: log copy of '$file' left out: $refusal"
            $copies.Add([PSCustomObject]$copy)
            continue
        }
        try {
            Write-Verbose "NymiDiag: copying $file"
            $copied = CopyNymiLogToZip -Archive $Archive -EntryName $entryName -FilePath $file -MaxBytes $MaxLogBytes -Cmdlet $Cmdlet
            $copy.SourceBytes = $copied.SourceBytes
            $copy.CopiedBytes = $copied.CopiedBytes
            $copy.Truncated = $copied.Truncated
            $copy.Redactions = $copied.Redactions
        }
        catch {
            # Only redacted text was written before the failure.
            $reason = (GetNymiErrorMessage -ErrorRecord $_) + ' (an entry already begun holds only the redacted part copied before)'
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
    $lines.Add('cert-inventory.json  The NEA key stores (Get-NymiNeaCertificate -Raw): certificate')
    $lines.Add('                     metadata, counts and findings. No certificate or key files are copied.')
    $lines.Add('log-scan.json        The log scan (Search-NymiLog -Raw): rule hits with redacted excerpts,')
    $lines.Add('                     and which files were read.')
    $lines.Add('environment.json     Computer, account, process bitness, PowerShell and library versions')
    $lines.Add('                     (Get-NymiDiagEnvironment).')
    $lines.Add('logs/                Copies of the log files the scan read: at most the last')
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
