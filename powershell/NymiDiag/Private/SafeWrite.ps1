# The one way the module writes files (reports, support bundles). It runs
# as SYSTEM on terminals where users can create folders and files, so it
# never writes through a link: no link in the target folder's path, files
# created new under a unique name, then moved into place.

# How often a move is tried again after a sharing violation, and the pause.
$script:NymiWriteRetries = 20
$script:NymiWriteRetryMs = 50

function GetNymiPathAttributes {
    # The attributes of the path itself (a link is not followed; a dangling
    # link has them too), or $null when nothing is there.
    param([Parameter(Mandatory = $true)][string] $Path)
    try { return [System.IO.File]::GetAttributes($Path) }
    catch { return $null }
}

function TestNymiPathIsLink {
    # Whether the path itself is a symbolic link, junction or other
    # reparse point (LinkTarget on .NET 6+, the attribute everywhere).
    param([Parameter(Mandatory = $true)][string] $Path)
    $attributes = GetNymiPathAttributes -Path $Path
    if ($null -eq $attributes) { return $false }
    if ($attributes -band [System.IO.FileAttributes]::ReparsePoint) { return $true }
    $info = New-Object System.IO.FileInfo ($Path)
    $target = $info.PSObject.Properties['LinkTarget']
    ($null -ne $target) -and [bool]$target.Value
}

function TestNymiExpectedLink {
    # Links directly under a file system root (/var and /tmp on macOS,
    # C:\Documents and Settings) are made by the system: only
    # administrators can create them.
    param([Parameter(Mandatory = $true)][string] $Path)
    $parent = [System.IO.Path]::GetDirectoryName($Path)
    $root = [System.IO.Path]::GetPathRoot($Path)
    $parent -and $root -and ($parent.TrimEnd('\', '/') -eq $root.TrimEnd('\', '/'))
}

function GetNymiLinkInPath {
    # The first existing part of $Path (the path itself, then each parent)
    # that is a link the tool does not expect, or $null.
    param([Parameter(Mandatory = $true)][string] $Path)
    $current = [System.IO.Path]::GetFullPath($Path)
    while ($current) {
        $trimmed = $current.TrimEnd('\', '/')
        if (-not $trimmed) { break }
        if ((TestNymiPathIsLink -Path $trimmed) -and -not (TestNymiExpectedLink -Path $trimmed)) { return $trimmed }
        $parent = [System.IO.Path]::GetDirectoryName($trimmed)
        if (-not $parent -or $parent -eq $trimmed) { break }
        $current = $parent
    }
    $null
}

function AssertNymiNoLinkInPath {
    # Throws when $Path or a folder above it is a link.
    param([Parameter(Mandatory = $true)][string] $Path, [string] $What = 'the folder')
    $link = GetNymiLinkInPath -Path $Path
    if (-not $link) { return }
    if ($link -eq [System.IO.Path]::GetFullPath($Path).TrimEnd('\', '/')) {
        throw "NymiDiag: $What '$Path' is a link (symbolic link or junction); nothing is written through a link."
    }
    throw "NymiDiag: $What '$Path' lies under '$link', which is a link (symbolic link or junction); nothing is written through a link."
}

function NewNymiSafeFolder {
    # Creates $Folder when missing after checking that no part of its path
    # is a link, and checks again once it exists. Returns the full path.
    param([Parameter(Mandatory = $true)][string] $Folder)
    $full = [System.IO.Path]::GetFullPath($Folder)
    AssertNymiNoLinkInPath -Path $full
    $attributes = GetNymiPathAttributes -Path $full
    if ($null -ne $attributes -and -not ($attributes -band [System.IO.FileAttributes]::Directory)) {
        throw "NymiDiag: '$full' is a file, not a folder."
    }
    [void][System.IO.Directory]::CreateDirectory($full)
    AssertNymiNoLinkInPath -Path $full
    $full
}

function NewNymiTemporaryFile {
    # A new, empty file in $Folder with a unique name, opened for writing.
    # CreateNew never opens an existing file or link. The caller disposes
    # the stream and moves or removes the file.
    param([Parameter(Mandatory = $true)][string] $Folder)
    $path = [System.IO.Path]::Combine($Folder, ('.nymidiag-{0}.tmp' -f [guid]::NewGuid().ToString('N')))
    $stream = New-Object System.IO.FileStream ($path, [System.IO.FileMode]::CreateNew, [System.IO.FileAccess]::ReadWrite, [System.IO.FileShare]::None)
    [PSCustomObject]@{ Path = $path; Stream = $stream }
}

function TestNymiRegularFile {
    # Whether the path is an existing file that is neither a folder nor a link.
    param([Parameter(Mandatory = $true)][string] $Path)
    $attributes = GetNymiPathAttributes -Path $Path
    if ($null -eq $attributes) { return $false }
    if ($attributes -band ([System.IO.FileAttributes]::Directory -bor [System.IO.FileAttributes]::ReparsePoint)) { return $false }
    -not (TestNymiPathIsLink -Path $Path)
}

function MoveNymiFileIntoPlace {
    # Moves the finished temporary file to $Destination. Returns $false when
    # the destination exists and -Replace is not given. With -Replace only
    # an existing regular file is replaced (the entry itself, never a link's
    # target); a link or a folder there throws. Sharing violations are
    # tried again a bounded number of times.
    param(
        [Parameter(Mandatory = $true)][string] $Temporary,
        [Parameter(Mandatory = $true)][string] $Destination,
        [switch] $Replace
    )
    $overwrite = [System.IO.File].GetMethod('Move', [type[]]@([string], [string], [bool]))
    for ($attempt = 1; $true; $attempt++) {
        $present = $null -ne (GetNymiPathAttributes -Path $Destination)
        if ($present -and -not $Replace) { return $false }
        if ($present -and -not (TestNymiRegularFile -Path $Destination)) {
            throw "NymiDiag: '$Destination' is a link or a folder; only a regular file is replaced."
        }
        try {
            if (-not $present -and $overwrite -and [System.Environment]::OSVersion.Platform -ne [System.PlatformID]::Win32NT) {
                # .NET's move is not atomic here (an existence check, then
                # rename): the name is taken with an exclusive create first,
                # so two writers never get the same file.
                if (-not (ReserveNymiFileName -Path $Destination)) { return $false }
                [void]$overwrite.Invoke($null, @($Temporary, $Destination, $true))
            }
            elseif (-not $present) { [System.IO.File]::Move($Temporary, $Destination) }
            elseif ($overwrite) { [void]$overwrite.Invoke($null, @($Temporary, $Destination, $true)) }
            else {
                # .NET Framework: no overwriting move; deleting a file
                # entry never touches another file.
                [System.IO.File]::Delete($Destination)
                [System.IO.File]::Move($Temporary, $Destination)
            }
            return $true
        }
        catch {
            # The destination appeared meanwhile: the caller picks another
            # name (or it is checked again above).
            if ($null -ne (GetNymiPathAttributes -Path $Destination) -and -not $Replace) { return $false }
            if ($attempt -ge $script:NymiWriteRetries) { throw }
            Start-Sleep -Milliseconds ($script:NymiWriteRetryMs * [Math]::Min($attempt, 4))
        }
    }
}

function ReserveNymiFileName {
    # Creates $Path empty and exclusively (never an existing file or link);
    # $false when the name is taken.
    param([Parameter(Mandatory = $true)][string] $Path)
    try {
        $stream = New-Object System.IO.FileStream ($Path, [System.IO.FileMode]::CreateNew, [System.IO.FileAccess]::Write, [System.IO.FileShare]::None)
        $stream.Dispose()
        return $true
    }
    catch {
        if ($null -ne (GetNymiPathAttributes -Path $Path)) { return $false }
        throw
    }
}

function RemoveNymiTemporaryFile {
    # Removes a temporary file that was not moved into place.
    param([AllowNull()][string] $Path)
    if ($Path -and $null -ne (GetNymiPathAttributes -Path $Path)) {
        try { [System.IO.File]::Delete($Path) } catch { Write-Verbose "NymiDiag: '$Path' could not be removed: $($_.Exception.Message)" }
    }
}

function WriteNymiTextFile {
    # Writes $Text (UTF-8 without BOM) to $Destination in a folder checked
    # for links: through a new temporary file moved into place. Returns
    # $false when the destination exists and -Replace is not given.
    param(
        [Parameter(Mandatory = $true)][string] $Destination,
        [Parameter(Mandatory = $true)][AllowEmptyString()][string] $Text,
        [switch] $Replace
    )
    $folder = NewNymiSafeFolder -Folder ([System.IO.Path]::GetDirectoryName([System.IO.Path]::GetFullPath($Destination)))
    $temporary = NewNymiTemporaryFile -Folder $folder
    $moved = $false
    try {
        try {
            $bytes = (New-Object System.Text.UTF8Encoding ($false)).GetBytes($Text)
            $temporary.Stream.Write($bytes, 0, $bytes.Length)
        }
        finally { $temporary.Stream.Dispose() }
        $moved = MoveNymiFileIntoPlace -Temporary $temporary.Path -Destination $Destination -Replace:$Replace
        $moved
    }
    finally {
        if (-not $moved) { RemoveNymiTemporaryFile -Path $temporary.Path }
    }
}

function TestNymiPathParameter {
    # For [ValidateScript()] on path parameters: a blank path (' ') would
    # otherwise mean the current folder.
    param([AllowNull()][AllowEmptyString()][string] $Path)
    if ($null -ne $Path -and $Path.Trim().Length -gt 0) { return $true }
    throw "A blank path ('$Path') is not a path; give a file or folder."
}
