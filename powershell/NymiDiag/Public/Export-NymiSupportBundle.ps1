function Export-NymiSupportBundle {
    <#
    .SYNOPSIS
    Collects the diagnosis, certificate inventory, log scan, environment and redacted log copies of this terminal into one zip for a support case.

    .DESCRIPTION
    Writes a zip file that support can read without access to the terminal:

        diagnosis.json       the diagnosis (Invoke-NymiDiagnosis -Raw, or the
                             text given with -DiagnosisJson)
        cert-inventory.json  the NEA key store inventory the diagnosis holds
                             (or Get-NymiNeaCertificate -Raw when it holds
                             none): certificate metadata only
        log-scan.json        the log scan the diagnosis holds (or
                             Search-NymiLog -Raw when it holds none)
        environment.json     machine, account, process and library
                             (Get-NymiDiagEnvironment)
        logs/<file>          a copy of each log file that scan read, cut to
                             its last -MaxLogBytes bytes, with secrets
                             redacted by the native library
        README.txt           what the bundle holds, where each log copy came
                             from, what was cut or redacted, what failed

    Certificate and key files are never copied: the key store is described
    by the JSON inventory only. The JSON reports are stored as the library
    wrote them (it redacts them): the inventory and the log scan are the
    diagnosis's own part reports, byte for byte, so they are not run a
    second time; only a part the diagnosis lacks (a -DiagnosisJson without
    it, or a diagnosis that failed) is run here. Each log copy is streamed:
    the library reads only its last -MaxLogBytes bytes, decodes them in the
    encoding the scan detected and redacts them (tokens, passwords,
    Authorization headers, PEM private key blocks) in pieces of at most
    512 KB that end on line ends, each written into the zip before the
    next is read, so memory stays bounded whatever the logs' size. A log
    that is a link (or lies under a linked folder) whose target lies
    outside the folder the scan was asked to read is not copied, nor is a
    FIFO or device; README.txt lists it with the reason. A log copy is left
    out when its redaction fails. The inspected files are opened for
    reading only and never changed.

    The zip is written to a new temporary file in the target folder and
    moved into place at the end; nothing is written through a link.

    A part that cannot be collected does not stop the bundle: its JSON entry
    holds an "error" object, README.txt names it, and a warning is written.

    The zip's path is the last line written to the verbose and information
    streams; the zip itself is returned as a FileInfo.

    .PARAMETER Path
    The zip file to write, or a folder to write it in, a literal path ('['
    and ']' are part of the name; -LiteralPath is another name of this
    parameter). No part of the folder's path may be a link (symbolic link
    or junction; links directly under a drive or file system root are made
    by the system and allowed). A blank path is refused. An existing folder,
    or a path ending in a path separator, is a folder; otherwise it is the
    zip file name ('.zip' is added when missing). Relative paths are
    relative to the current PowerShell location. Default:
    NymiDiag-<computer>-<yyyyMMdd-HHmmss>.zip in the current location.

    .PARAMETER NesUri
    The NES URL for the diagnosis's connection test. Default: the URL the
    diagnosis finds in the logs.

    .PARAMETER KspPath
    NEA key store folders (ksp) or NSL folders for the inventory and the
    diagnosis, literal paths. Default: the LocalSystem profile's NSL\*\ksp folders.

    .PARAMETER LogPath
    Log files or folders to scan and copy, literal paths ('[', ']', '*'
    and '?' are part of the name). Default: the usual Nymi and Evidian log
    locations.

    .PARAMETER Since
    Only log records at or after this time count in the scan. Default: 14
    days ago. The log copies are cut by size (-MaxLogBytes), not by time. A
    time more than 5 minutes in the future is refused.

    .PARAMETER TimeoutSec
    Time limit in seconds for the diagnosis's connection test to NES, 1 to
    300 (as Invoke-NymiDiagnosis takes it).

    .PARAMETER MaxLogBytes
    The most bytes kept of each log file: its last bytes, starting at a
    whole line. Default 5 MB (5242880), at most 1 GB. 0 leaves the log
    copies out.

    .PARAMETER DiagnosisJson
    The diagnosis report to store as diagnosis.json instead of running the
    diagnosis again: the JSON text (for example from a run of
    Invoke-NymiDiagnosis -Raw a moment ago) or the path of a file holding
    it (a report saved by Save-NymiReport or the Intune and GPO scripts).
    Anything that is neither a JSON object nor a readable file holding one
    stops the command before the bundle is written.

    .PARAMETER Force
    Replace the zip file when it exists and is a regular file. Without it,
    an existing file stops the command; a link or a folder of that name
    stops it also with -Force.

    .EXAMPLE
    Export-NymiSupportBundle

    Diagnoses this terminal and writes NymiDiag-<computer>-<time>.zip in the
    current folder, with the inventory, the log scan, the environment and
    redacted copies of the logs that were scanned.

    .EXAMPLE
    Export-NymiSupportBundle -Path "$env:ProgramData\NymiDiag\" -NesUri https://nes.corp.example/nes -Verbose

    Writes the bundle into C:\ProgramData\NymiDiag, testing the given NES URL;
    the last verbose line names the zip.

    .EXAMPLE
    $json = Invoke-NymiDiagnosis -Raw
    Export-NymiSupportBundle -DiagnosisJson $json -Path .\case-4711.zip -MaxLogBytes 1MB

    Stores the diagnosis just made instead of running it again, and keeps at
    most the last megabyte of each log.

    .EXAMPLE
    Export-NymiSupportBundle -DiagnosisJson C:\ProgramData\NymiDiag\diagnosis-20260501-080000.json

    Bundles the diagnosis the Intune detection script saved, with the
    inventory and log scan it holds and the logs that scan read, as they
    are now.

    .EXAMPLE
    Export-NymiSupportBundle -KspPath 'D:\Case-4711\ksp' -LogPath 'D:\Case-4711\logs' -Since '2026-05-01' -Path 'D:\Case-4711\bundle.zip'

    Bundles a copy of a terminal's key store and logs collected for a support
    case (the files themselves are not changed).

    .OUTPUTS
    System.IO.FileInfo

    .LINK
    Invoke-NymiDiagnosis

    .LINK
    Search-NymiLog

    .LINK
    Get-NymiNeaCertificate
    #>
    [CmdletBinding()]
    [OutputType([System.IO.FileInfo])]
    param(
        [Parameter(Position = 0)]
        [Alias('LiteralPath')]
        [ValidateNotNullOrEmpty()]
        [ValidateScript({ TestNymiPathParameter $_ })]
        [string] $Path,

        [ValidateNotNullOrEmpty()]
        [string] $NesUri,

        [ValidateNotNullOrEmpty()]
        [ValidateScript({ TestNymiPathParameter $_ })]
        [string[]] $KspPath,

        [ValidateNotNullOrEmpty()]
        [ValidateScript({ TestNymiPathParameter $_ })]
        [string[]] $LogPath,

        [datetime] $Since,

        [ValidateRange(1, 300)]
        [int] $TimeoutSec,

        [ValidateRange(0, 1073741824)]
        [long] $MaxLogBytes = 5MB,

        [ValidateNotNullOrEmpty()]
        [string] $DiagnosisJson,

        [switch] $Force
    )

    $started = [datetime]::UtcNow
    if ($PSBoundParameters.ContainsKey('Since')) { AssertNymiSinceNotFuture -Since $Since -Cmdlet $PSCmdlet }
    $diagnosisText = $null
    if ($PSBoundParameters.ContainsKey('DiagnosisJson')) { $diagnosisText = ReadNymiDiagnosisJson -Value $DiagnosisJson -Cmdlet $PSCmdlet }
    $logRoots = @()
    if ($PSBoundParameters.ContainsKey('LogPath')) { $logRoots = @($LogPath | ForEach-Object { ResolveNymiRequestPath -Cmdlet $PSCmdlet -Path $_ }) }
    try { $zipPath = ResolveNymiBundlePath -Path $Path -Cmdlet $PSCmdlet }
    catch {
        $exception = New-Object System.IO.IOException ($_.Exception.Message)
        $PSCmdlet.ThrowTerminatingError((New-Object System.Management.Automation.ErrorRecord ($exception, 'NymiDiag.BundleFolderRefused', [System.Management.Automation.ErrorCategory]::WriteError, $Path)))
    }
    if ($null -ne (GetNymiPathAttributes -Path $zipPath)) {
        $exception = $null
        if (-not $Force) {
            $exception = New-Object System.IO.IOException ("NymiDiag: '$zipPath' exists; choose another -Path or add -Force.")
        }
        elseif (-not (TestNymiRegularFile -Path $zipPath)) {
            $exception = New-Object System.IO.IOException ("NymiDiag: '$zipPath' is a link or a folder; -Force replaces only a regular file.")
        }
        if ($exception) {
            $PSCmdlet.ThrowTerminatingError((New-Object System.Management.Automation.ErrorRecord ($exception, 'NymiDiag.BundleExists', [System.Management.Automation.ErrorCategory]::ResourceExists, $zipPath)))
        }
    }

    $problems = New-Object System.Collections.Generic.List[string]
    $entries = New-Object System.Collections.Generic.List[object]

    # diagnosis.json
    if ($PSBoundParameters.ContainsKey('DiagnosisJson')) {
        Write-Verbose 'NymiDiag: diagnosis.json from -DiagnosisJson'
        $entries.Add((NewNymiBundleEntry -Name 'diagnosis.json' -Text $diagnosisText))
    }
    else {
        $arguments = @{ Raw = $true }
        foreach ($name in 'NesUri', 'KspPath', 'LogPath', 'Since', 'TimeoutSec') {
            if ($PSBoundParameters.ContainsKey($name)) { $arguments[$name] = $PSBoundParameters[$name] }
        }
        $entries.Add((InvokeNymiBundlePart -Name 'diagnosis.json' -Problems $problems -Script {
                    Invoke-NymiDiagnosis @arguments
                }))
    }

    # cert-inventory.json and log-scan.json: the part reports the diagnosis
    # holds, byte for byte; a part runs again only when the diagnosis
    # lacks it (a -DiagnosisJson without it, a failed diagnosis).
    $diagnosisEntry = $entries[0]
    $diagnosisParts = @{}
    if (-not $diagnosisEntry.Failed) {
        foreach ($part in 'cert_inventory', 'log_scan') {
            try { $diagnosisParts[$part] = GetNymiDiagnosisPart -DiagnosisText $diagnosisEntry.Text -Part $part -Cmdlet $PSCmdlet }
            catch { Write-Verbose "NymiDiag: the diagnosis's $part could not be taken: $(GetNymiErrorMessage -ErrorRecord $_)" }
        }
    }

    if ($diagnosisParts['cert_inventory']) {
        Write-Verbose 'NymiDiag: cert-inventory.json from the diagnosis'
        $entries.Add((NewNymiBundleEntry -Name 'cert-inventory.json' -Text $diagnosisParts['cert_inventory']))
    }
    else {
        $inventoryArguments = @{ Raw = $true }
        if ($PSBoundParameters.ContainsKey('KspPath')) { $inventoryArguments['Path'] = $KspPath }
        $entries.Add((InvokeNymiBundlePart -Name 'cert-inventory.json' -Problems $problems -Script {
                    Get-NymiNeaCertificate @inventoryArguments
                }))
    }

    if ($diagnosisParts['log_scan']) {
        Write-Verbose 'NymiDiag: log-scan.json from the diagnosis'
        $scanEntry = NewNymiBundleEntry -Name 'log-scan.json' -Text $diagnosisParts['log_scan']
    }
    else {
        $scanArguments = @{ Raw = $true }
        if ($PSBoundParameters.ContainsKey('LogPath')) { $scanArguments['LiteralPath'] = $LogPath }
        if ($PSBoundParameters.ContainsKey('Since')) { $scanArguments['Since'] = $Since }
        $scanEntry = InvokeNymiBundlePart -Name 'log-scan.json' -Problems $problems -Script {
            Search-NymiLog @scanArguments
        }
    }
    $entries.Add($scanEntry)

    # environment.json
    $entries.Add((InvokeNymiBundlePart -Name 'environment.json' -Problems $problems -Script {
                $environment = Get-NymiDiagEnvironment
                $facts = [ordered]@{}
                foreach ($property in $environment.PSObject.Properties) {
                    if ($property.Name -eq 'Report') { continue }
                    $value = $property.Value
                    if ($value -is [datetime]) { $value = $value.ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ss.fffZ', [System.Globalization.CultureInfo]::InvariantCulture) }
                    elseif ($value -is [version]) { $value = $value.ToString() }
                    $facts[$property.Name] = $value
                }
                $json = ConvertTo-Json -InputObject $facts -Depth 4
                '{"environment": ' + $json + ', "describe": ' + (Get-NymiDiagEnvironment -Raw) + '}'
            }))

    # The zip is written to a new temporary file beside it and moved into
    # place at the end: nothing is opened through a link, and a failed
    # bundle leaves nothing behind.
    $folder = NewNymiSafeFolder -Folder ([System.IO.Path]::GetDirectoryName($zipPath))
    Add-Type -AssemblyName System.IO.Compression
    $temporary = NewNymiTemporaryFile -Folder $folder
    $moved = $false
    try {
        try {
            $archive = New-Object System.IO.Compression.ZipArchive ($temporary.Stream, [System.IO.Compression.ZipArchiveMode]::Create, $true)
            try {
                foreach ($entry in $entries) { WriteNymiBundleTextEntry -Archive $archive -Name $entry.Name -Text $entry.Text }
                $copies = CopyNymiBundleLog -Archive $archive -ScanEntry $scanEntry -LogPath $logRoots -MaxLogBytes $MaxLogBytes -Problems $problems -Cmdlet $PSCmdlet
                $entryNames = @($entries | ForEach-Object { $_.Name }) + @($copies | Where-Object { -not $_.Skipped } | ForEach-Object { $_.Entry })
                $readme = FormatNymiBundleReadme -Started $started -Bound $PSBoundParameters -MaxLogBytes $MaxLogBytes -Copies $copies -Problems $problems.ToArray() -Entries $entryNames
                WriteNymiBundleTextEntry -Archive $archive -Name 'README.txt' -Text $readme
            }
            finally { $archive.Dispose() }
        }
        finally { $temporary.Stream.Dispose() }
        $moved = MoveNymiFileIntoPlace -Temporary $temporary.Path -Destination $zipPath -Replace:$Force
        if (-not $moved) { throw "NymiDiag: '$zipPath' appeared while the bundle was written; choose another -Path or add -Force." }
    }
    catch {
        $exception = New-Object System.IO.IOException ("NymiDiag: the support bundle was not written: $(GetNymiErrorMessage -ErrorRecord $_)", $_.Exception)
        $PSCmdlet.ThrowTerminatingError((New-Object System.Management.Automation.ErrorRecord ($exception, 'NymiDiag.BundleNotWritten', [System.Management.Automation.ErrorCategory]::WriteError, $zipPath)))
    }
    finally {
        if (-not $moved) { RemoveNymiTemporaryFile -Path $temporary.Path }
    }
    $message = "NymiDiag: support bundle written to $zipPath"
    Write-Verbose $message
    Write-Information -MessageData $message -Tags 'NymiDiag'
    Get-Item -LiteralPath $zipPath
}
