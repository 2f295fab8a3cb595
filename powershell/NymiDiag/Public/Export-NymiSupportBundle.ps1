function Export-NymiSupportBundle {
    <#
    .SYNOPSIS
    Collects the diagnosis, certificate inventory, log scan, environment and redacted log copies of this terminal into one zip for a support case.

    .DESCRIPTION
    Writes a zip file that support can read without access to the terminal:

        diagnosis.json       the diagnosis (Invoke-NymiDiagnosis -Raw, or the
                             text given with -DiagnosisJson)
        cert-inventory.json  the NEA key store inventory (Get-NymiNeaCertificate
                             -Raw): certificate metadata only
        log-scan.json        the log scan (Search-NymiLog -Raw)
        environment.json     machine, account, process and library
                             (Get-NymiDiagEnvironment)
        logs/<file>          a copy of each log file the scan read, cut to
                             its last -MaxLogBytes bytes, with secrets
                             redacted by the native library
        README.txt           what the bundle holds, where each log copy came
                             from, what was cut or redacted, what failed

    Certificate and key files are never copied: the key store is described
    by the JSON inventory only. Every entry is checked for PEM private key
    blocks (-----BEGIN ... PRIVATE KEY-----), which are replaced. A log copy
    is left out when its redaction fails. The inspected files are opened for
    reading only and never changed.

    A part that cannot be collected does not stop the bundle: its JSON entry
    holds an "error" object, README.txt names it, and a warning is written.

    The zip's path is the last line written to the verbose and information
    streams; the zip itself is returned as a FileInfo.

    .PARAMETER Path
    The zip file to write, or a folder to write it in. An existing folder,
    or a path ending in a path separator, is a folder; otherwise it is the
    zip file name ('.zip' is added when missing). Relative paths are
    relative to the current PowerShell location. Default:
    NymiDiag-<computer>-<yyyyMMdd-HHmmss>.zip in the current location.

    .PARAMETER NesUri
    The NES URL for the diagnosis's connection test. Default: the URL the
    diagnosis finds in the logs.

    .PARAMETER KspPath
    NEA key store folders (ksp) or NSL folders for the inventory and the
    diagnosis. Default: the LocalSystem profile's NSL\*\ksp folders.

    .PARAMETER LogPath
    Log files or folders to scan and copy. Default: the usual Nymi and
    Evidian log locations.

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
    Overwrite the zip file when it exists. Without it, an existing file
    stops the command.

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
    inventory, log scan and logs of now.

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
        [ValidateNotNullOrEmpty()]
        [string] $Path,

        [ValidateNotNullOrEmpty()]
        [string] $NesUri,

        [ValidateNotNullOrEmpty()]
        [string[]] $KspPath,

        [ValidateNotNullOrEmpty()]
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
    $zipPath = ResolveNymiBundlePath -Path $Path -Cmdlet $PSCmdlet
    if ((Test-Path -LiteralPath $zipPath) -and -not $Force) {
        $exception = New-Object System.IO.IOException ("NymiDiag: '$zipPath' exists; choose another -Path or add -Force.")
        $PSCmdlet.ThrowTerminatingError((New-Object System.Management.Automation.ErrorRecord ($exception, 'NymiDiag.BundleExists', [System.Management.Automation.ErrorCategory]::ResourceExists, $zipPath)))
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

    # cert-inventory.json
    $inventoryArguments = @{ Raw = $true }
    if ($PSBoundParameters.ContainsKey('KspPath')) { $inventoryArguments['Path'] = $KspPath }
    $entries.Add((InvokeNymiBundlePart -Name 'cert-inventory.json' -Problems $problems -Script {
                Get-NymiNeaCertificate @inventoryArguments
            }))

    # log-scan.json
    $scanArguments = @{ Raw = $true }
    if ($PSBoundParameters.ContainsKey('LogPath')) { $scanArguments['Path'] = $LogPath }
    if ($PSBoundParameters.ContainsKey('Since')) { $scanArguments['Since'] = $Since }
    $scanEntry = InvokeNymiBundlePart -Name 'log-scan.json' -Problems $problems -Script {
        Search-NymiLog @scanArguments
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

    # logs/<file>: the files the scan read, newest bytes, redacted.
    $copies = New-Object System.Collections.Generic.List[object]
    $files = @()
    if (-not $scanEntry.Failed) {
        $scan = ConvertFrom-Json -InputObject $scanEntry.Text
        if ($scan.PSObject.Properties['data'] -and $scan.data -and $scan.data.PSObject.Properties['files']) {
            $files = @($scan.data.files | ForEach-Object { [string]$_.path } | Where-Object { $_ } | Select-Object -Unique)
        }
    }
    if ($MaxLogBytes -eq 0 -and $files.Count -gt 0) {
        Write-Verbose 'NymiDiag: -MaxLogBytes 0: no log copies'
    }
    elseif ($files.Count -gt 0) {
        $used = @{}
        foreach ($file in $files) {
            $entryName = GetNymiBundleLogName -FilePath $file -Used $used
            $copy = [ordered]@{ Source = $file; Entry = $entryName; SourceBytes = $null; CopiedBytes = 0; Truncated = $false; Redactions = 0; Skipped = $null }
            try {
                Write-Verbose "NymiDiag: copying $file"
                $tail = ReadNymiFileTail -FilePath $file -MaxBytes $MaxLogBytes
                $copy.SourceBytes = $tail.Length
                $copy.Truncated = $tail.Truncated
                $redacted = InvokeNymiRedaction -Text $tail.Text -Cmdlet $PSCmdlet
                $copy.Redactions = $redacted.Replacements
                $text = LimitNymiUtf8Tail -Text $redacted.Text -MaxBytes $MaxLogBytes
                if ($text.Length -lt $redacted.Text.Length) { $copy.Truncated = $true }
                $entry = NewNymiBundleEntry -Name $entryName -Text $text
                $copy.CopiedBytes = $entry.Bytes.Length
                $entries.Add($entry)
            }
            catch {
                $reason = GetNymiErrorMessage -ErrorRecord $_
                $copy.Skipped = $reason
                $problems.Add("$entryName left out: $reason")
                Write-Warning "NymiDiag: log copy of '$file' left out: $reason"
            }
            $copies.Add([PSCustomObject]$copy)
        }
    }

    $readme = FormatNymiBundleReadme -Started $started -Bound $PSBoundParameters -MaxLogBytes $MaxLogBytes -Copies $copies.ToArray() -Problems $problems.ToArray() -Entries $entries.ToArray()
    $entries.Add((NewNymiBundleEntry -Name 'README.txt' -Text $readme))

    WriteNymiBundleZip -ZipPath $zipPath -Entries $entries.ToArray()
    $message = "NymiDiag: support bundle written to $zipPath"
    Write-Verbose $message
    Write-Information -MessageData $message -Tags 'NymiDiag'
    Get-Item -LiteralPath $zipPath
}
