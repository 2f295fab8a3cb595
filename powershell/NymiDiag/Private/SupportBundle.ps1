# Helpers of Export-NymiSupportBundle: where the zip goes, the collectors,
# log tails, redaction through the library, README.txt and the zip itself.

function ResolveNymiBundlePath {
    # The zip file's full path from -Path (a file or a folder, see help).
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
    $isFolder = (Test-Path -LiteralPath $full -PathType Container) -or $Path.EndsWith('/') -or $Path.EndsWith('\')
    if ($isFolder) {
        if (-not (Test-Path -LiteralPath $full)) { New-Item -ItemType Directory -Force -Path $full | Out-Null }
        return [System.IO.Path]::Combine($full, $defaultName)
    }
    if ([System.IO.Path]::GetExtension($full) -ne '.zip') { $full = "$full.zip" }
    $parent = [System.IO.Path]::GetDirectoryName($full)
    if ($parent -and -not (Test-Path -LiteralPath $parent)) { New-Item -ItemType Directory -Force -Path $parent | Out-Null }
    $full
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
    # One zip entry: UTF-8 text without BOM, private key blocks removed.
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)][string] $Name,
        [Parameter(Mandatory = $true)][AllowEmptyString()][string] $Text
    )
    $clean = RemoveNymiPrivateKeyBlock -Text $Text
    [PSCustomObject]@{
        Name = $Name
        Text = $clean
        Bytes = (New-Object System.Text.UTF8Encoding $false).GetBytes($clean)
        Failed = $false
    }
}

function RemoveNymiPrivateKeyBlock {
    # Replaces PEM private key blocks, also when the BEGIN or END line was
    # cut away (a log copy that starts or ends inside a block).
    [CmdletBinding()]
    [OutputType([string])]
    param([Parameter(Mandatory = $true)][AllowEmptyString()][string] $Text)
    $marker = '[private key removed by NymiDiag]'
    $label = '-----(?:BEGIN|END) [A-Z0-9 ]*PRIVATE KEY-----'
    if ($Text -notmatch $label) { return $Text }
    $options = [System.Text.RegularExpressions.RegexOptions]'Singleline, IgnoreCase'
    # Whole blocks.
    $out = [regex]::Replace($Text, '-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?-----END [A-Z0-9 ]*PRIVATE KEY-----', $marker, $options)
    # An END without its BEGIN: everything before it.
    $out = [regex]::Replace($out, '\A.*?-----END [A-Z0-9 ]*PRIVATE KEY-----', $marker, $options)
    # A BEGIN without its END: everything after it.
    [regex]::Replace($out, '-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*\z', $marker, $options)
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

function ReadNymiFileTail {
    # The last $MaxBytes bytes of a file as text, from the first whole line
    # when the start was cut. Opens for reading only and lets writers on.
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)][string] $FilePath,
        [Parameter(Mandatory = $true)][long] $MaxBytes
    )
    $share = [System.IO.FileShare]::ReadWrite -bor [System.IO.FileShare]::Delete
    $stream = New-Object System.IO.FileStream ($FilePath, [System.IO.FileMode]::Open, [System.IO.FileAccess]::Read, $share)
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
        $bomLength = $encoding.BomLength
        $start = [Math]::Max([long]$bomLength, $length - $MaxBytes)
        if ($encoding.Unit -eq 2 -and (($start - $bomLength) % 2) -ne 0) { $start++ }
        $count = [int]($length - $start)
        $buffer = New-Object byte[] ([Math]::Max($count, 0))
        [void]$stream.Seek($start, [System.IO.SeekOrigin]::Begin)
        $read = 0
        while ($read -lt $buffer.Length) {
            $n = $stream.Read($buffer, $read, $buffer.Length - $read)
            if ($n -le 0) { break }
            $read += $n
        }
    }
    finally { $stream.Dispose() }

    $offset = 0
    if ($encoding.Unit -eq 1 -and $encoding.Name -eq 'utf-8') {
        # Do not start inside a UTF-8 sequence.
        while ($offset -lt $read -and ($buffer[$offset] -band 0xC0) -eq 0x80) { $offset++ }
    }
    $text = $encoding.Encoding.GetString($buffer, $offset, $read - $offset)
    $truncated = $start -gt $bomLength
    if ($truncated) {
        $newline = $text.IndexOf([char]10)
        if ($newline -ge 0) { $text = $text.Substring($newline + 1) }
    }
    [PSCustomObject]@{ Text = $text; Length = $length; Truncated = $truncated; Encoding = $encoding.Name }
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

function InvokeNymiRedaction {
    # The library's redaction (nymidiag_redact) over $Text, in pieces cut at
    # line ends so that no request is huge. Throws when it is not available:
    # a log is never bundled unredacted.
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)][AllowEmptyString()][string] $Text,
        [Parameter(Mandatory = $true)][System.Management.Automation.PSCmdlet] $Cmdlet,
        [int] $ChunkChars = 1048576
    )
    $builder = New-Object System.Text.StringBuilder ($Text.Length + 64)
    $replacements = 0
    $position = 0
    do {
        $take = [Math]::Min($ChunkChars, $Text.Length - $position)
        if ($position + $take -lt $Text.Length) {
            $newline = $Text.LastIndexOf([char]10, $position + $take - 1, $take)
            if ($newline -ge $position) { $take = $newline - $position + 1 }
        }
        $piece = $Text.Substring($position, $take)
        # Not verbose: the request is the unredacted text.
        $report = InvokeNymiExport -Export 'nymidiag_redact' -Request @{ text = $piece } -Cmdlet $Cmdlet -Verbose:$false
        if (-not ($report.PSObject.Properties['data'] -and $report.data -and $report.data.PSObject.Properties['text'])) {
            throw 'NymiDiag: nymidiag_redact returned no text.'
        }
        [void]$builder.Append([string]$report.data.text)
        if ($report.data.PSObject.Properties['replacements']) { $replacements += [int]$report.data.replacements }
        $position += $take
    } while ($position -lt $Text.Length)
    [PSCustomObject]@{ Text = $builder.ToString(); Replacements = $replacements }
}

function LimitNymiUtf8Tail {
    # Keeps the end of $Text that fits in $MaxBytes of UTF-8, from a whole
    # line (redaction markers or re-encoding may have made it longer).
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory = $true)][AllowEmptyString()][string] $Text,
        [Parameter(Mandatory = $true)][long] $MaxBytes
    )
    $utf8 = New-Object System.Text.UTF8Encoding $false
    $bytes = $utf8.GetBytes($Text)
    if ($bytes.Length -le $MaxBytes) { return $Text }
    $offset = [int]($bytes.Length - $MaxBytes)
    while ($offset -lt $bytes.Length -and ($bytes[$offset] -band 0xC0) -eq 0x80) { $offset++ }
    $tail = $utf8.GetString($bytes, $offset, $bytes.Length - $offset)
    $newline = $tail.IndexOf([char]10)
    if ($newline -ge 0) { $tail = $tail.Substring($newline + 1) }
    $tail
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
    $lines.Add(('                     {0} bytes of each, from a whole line, as UTF-8, with secrets' -f $MaxLogBytes))
    $lines.Add('                     (tokens, passwords, Authorization headers) redacted by the library.')
    $lines.Add('README.txt           This file.')
    $lines.Add('')
    $lines.Add('PEM private key blocks are removed from every entry; certificate and key files are never copied.')
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

function WriteNymiBundleZip {
    # Writes the entries into a new zip (removed again if writing fails).
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)][string] $ZipPath,
        [Parameter(Mandatory = $true)][object[]] $Entries
    )
    Add-Type -AssemblyName System.IO.Compression
    Add-Type -AssemblyName System.IO.Compression.FileSystem
    $stream = New-Object System.IO.FileStream ($ZipPath, [System.IO.FileMode]::Create, [System.IO.FileAccess]::ReadWrite, [System.IO.FileShare]::None)
    $ok = $false
    try {
        $archive = New-Object System.IO.Compression.ZipArchive ($stream, [System.IO.Compression.ZipArchiveMode]::Create, $true)
        try {
            foreach ($entry in $Entries) {
                $zipEntry = $archive.CreateEntry($entry.Name, [System.IO.Compression.CompressionLevel]::Optimal)
                $writer = $zipEntry.Open()
                try { $writer.Write($entry.Bytes, 0, $entry.Bytes.Length) }
                finally { $writer.Dispose() }
            }
        }
        finally { $archive.Dispose() }
        $ok = $true
    }
    finally {
        $stream.Dispose()
        if (-not $ok) { Remove-Item -LiteralPath $ZipPath -Force -ErrorAction SilentlyContinue }
    }
}
