# region install helpers
# Shared by Install-NymiDiag.ps1, Uninstall-NymiDiag.ps1 and
# Test-NymiDiagInstalled.ps1. In the source tree they dot-source this file;
# build.ps1 -Task Package puts its text in their "# region install
# helpers" block instead, so that each packaged script stands alone (Intune
# uploads the detection script by itself). ASCII only: powershell.exe reads
# a script without a byte order mark in the ANSI code page.

function GetNymiInstallDefault {
    # The default of a path parameter, or '' where the folder it derives
    # from is not defined (systems other than Windows): ModuleRoot is the
    # all-users module folder of Windows PowerShell 5.1, which PowerShell 7
    # reads as well, in the native Program Files also from a 32-bit
    # process on 64-bit Windows (ProgramW6432; ProgramFiles would be the x86
    # folder there); Config honours NYMIDIAG_CONFIG as the module does.
    param([Parameter(Mandatory = $true)][ValidateSet('ModuleRoot', 'Config', 'Log', 'Reports')][string] $Kind)
    if ($Kind -eq 'ModuleRoot') {
        $programFiles = $env:ProgramW6432
        if (-not $programFiles) { $programFiles = $env:ProgramFiles }
        if (-not $programFiles) { return '' }
        return [System.IO.Path]::Combine($programFiles, 'WindowsPowerShell', 'Modules')
    }
    if ($Kind -eq 'Config' -and $env:NYMIDIAG_CONFIG) { return $env:NYMIDIAG_CONFIG }
    if (-not $env:ProgramData) { return '' }
    $folder = [System.IO.Path]::Combine($env:ProgramData, 'NymiDiag')
    switch ($Kind) {
        'Config' { return [System.IO.Path]::Combine($folder, 'config.json') }
        'Log' { return [System.IO.Path]::Combine($folder, 'install.log') }
        default { return $folder }
    }
}

function ResolveNymiInstallPath {
    # $Value when given, else the default of $Kind; throws naming
    # $Parameter when neither exists. Returns a full path.
    param([string] $Value, [Parameter(Mandatory = $true)][string] $Kind, [Parameter(Mandatory = $true)][string] $Parameter)
    $path = $Value
    if (-not $path) { $path = GetNymiInstallDefault -Kind $Kind }
    if (-not $path) {
        $variable = '%ProgramData%'
        if ($Kind -eq 'ModuleRoot') { $variable = '%ProgramFiles%' }
        throw "-$Parameter is required here: its default lies under $variable, which is not defined on this system."
    }
    [System.IO.Path]::GetFullPath($path)
}

function GetNymiPackagedModule {
    # The module this package carries: the one NymiDiag/<version>/ folder
    # beside the scripts, its manifest saying the same version.
    param([Parameter(Mandatory = $true)][string] $Folder)
    $parent = [System.IO.Path]::Combine($Folder, 'NymiDiag')
    if (-not [System.IO.Directory]::Exists($parent)) { throw "The package has no NymiDiag folder beside the script ($parent)." }
    $found = @([System.IO.Directory]::GetDirectories($parent) | Where-Object {
            [System.IO.File]::Exists([System.IO.Path]::Combine($_, 'NymiDiag.psd1'))
        })
    if ($found.Count -ne 1) { throw "The package must hold exactly one NymiDiag\<version> folder with NymiDiag.psd1 (found $($found.Count) in $parent)." }
    $version = [System.IO.Path]::GetFileName($found[0])
    $manifest = [System.IO.File]::ReadAllText([System.IO.Path]::Combine($found[0], 'NymiDiag.psd1'))
    $stated = [regex]::Match($manifest, "(?m)^\s*ModuleVersion\s*=\s*'([^']+)'")
    if (-not $stated.Success -or $stated.Groups[1].Value -ne $version) { throw "The package's NymiDiag\$version\NymiDiag.psd1 does not say ModuleVersion = '$version'." }
    New-Object PSObject -Property @{ Version = $version; Path = $found[0] }
}

function WriteNymiInstallLog {
    # Appends one line with the UTC time to the log; a log that cannot be
    # written is remembered (the summary line says so) and never fails
    # the install.
    param([Parameter(Mandatory = $true)][string] $Message)
    $line = '{0} {1}: {2}' -f [DateTime]::UtcNow.ToString('yyyy-MM-ddTHH:mm:ssZ', [System.Globalization.CultureInfo]::InvariantCulture), $script:NymiInstallAction, $Message
    if (-not $script:NymiInstallLogPath) { return }
    try {
        $folder = [System.IO.Path]::GetDirectoryName($script:NymiInstallLogPath)
        if (-not [System.IO.Directory]::Exists($folder)) { [void][System.IO.Directory]::CreateDirectory($folder) }
        [System.IO.File]::AppendAllText($script:NymiInstallLogPath, $line + "`r`n", (New-Object System.Text.UTF8Encoding $false))
    }
    catch {
        $script:NymiInstallLogProblem = $_.Exception.Message
    }
}

function GetNymiTreeDigest {
    # One "relative path|SHA-256" line per file below $Path, in ordinal
    # order: two folders with the same digest hold the same files.
    param([Parameter(Mandatory = $true)][string] $Path)
    $root = [System.IO.Path]::GetFullPath($Path).TrimEnd('\', '/')
    $files = [System.IO.Directory]::GetFiles($root, '*', [System.IO.SearchOption]::AllDirectories)
    [System.Array]::Sort($files, [System.StringComparer]::Ordinal)
    $sha = [System.Security.Cryptography.SHA256]::Create()
    try {
        $lines = foreach ($file in $files) {
            $bytes = [System.IO.File]::ReadAllBytes($file)
            $file.Substring($root.Length + 1).Replace('\', '/') + '|' + [System.BitConverter]::ToString($sha.ComputeHash($bytes))
        }
    }
    finally { $sha.Dispose() }
    @($lines) -join "`n"
}

function CopyNymiTree {
    # Copies the files and folders below $From into the new folder $To.
    param([Parameter(Mandatory = $true)][string] $From, [Parameter(Mandatory = $true)][string] $To)
    $source = [System.IO.Path]::GetFullPath($From).TrimEnd('\', '/')
    [void][System.IO.Directory]::CreateDirectory($To)
    foreach ($folder in [System.IO.Directory]::GetDirectories($source, '*', [System.IO.SearchOption]::AllDirectories)) {
        [void][System.IO.Directory]::CreateDirectory([System.IO.Path]::Combine($To, $folder.Substring($source.Length + 1)))
    }
    foreach ($file in [System.IO.Directory]::GetFiles($source, '*', [System.IO.SearchOption]::AllDirectories)) {
        [System.IO.File]::Copy($file, [System.IO.Path]::Combine($To, $file.Substring($source.Length + 1)), $false)
    }
}

function GetNymiStagingName {
    # Name of a folder beside NymiDiag\<version> while it is replaced or
    # removed; the leading dot keeps Get-Module from reading it as a
    # version, RemoveNymiStaleStaging finds it again after a crash.
    param([Parameter(Mandatory = $true)][string] $Version, [Parameter(Mandatory = $true)][ValidateSet('new', 'old')][string] $Kind)
    '.{0}.{1}-{2}' -f $Version, $Kind, [guid]::NewGuid().ToString('N').Substring(0, 8)
}

function RemoveNymiStaleStaging {
    # Removes staging folders an interrupted run left in $Parent (only
    # names GetNymiStagingName makes); returns their names.
    param([Parameter(Mandatory = $true)][string] $Parent)
    if (-not [System.IO.Directory]::Exists($Parent)) { return }
    foreach ($folder in [System.IO.Directory]::GetDirectories($Parent)) {
        $name = [System.IO.Path]::GetFileName($folder)
        if ($name -match '^\.\d+(\.\d+){1,3}\.(new|old)-[0-9a-f]{8}$') {
            [System.IO.Directory]::Delete($folder, $true)
            $name
        }
    }
}

function TestNymiInUseError {
    # Whether an exception from moving a folder means a file in it is open
    # (a PowerShell session holds the module's DLL): worth a retry later.
    param([Parameter(Mandatory = $true)] $Exception)
    $inner = $Exception
    while ($inner.InnerException) { $inner = $inner.InnerException }
    ($inner -is [System.IO.IOException]) -or ($inner -is [System.UnauthorizedAccessException])
}

function GetNymiEventSourceState {
    # 'absent', or the event log the source writes to; throws when it
    # cannot be read (not an administrator).
    param([Parameter(Mandatory = $true)][string] $Source)
    if (-not [System.Diagnostics.EventLog]::SourceExists($Source)) { return 'absent' }
    [System.Diagnostics.EventLog]::LogNameFromSourceName($Source, '.')
}
# endregion install helpers
