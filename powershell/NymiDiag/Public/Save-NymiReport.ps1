function Save-NymiReport {
    <#
    .SYNOPSIS
    Writes a diagnosis or a run record to a rotated JSON report file.

    .DESCRIPTION
    Writes -InputObject as JSON to <Folder>\<Prefix>-<yyyyMMdd-HHmmss>.json
    (UTC time; -2, -3, ... added when a report of that second exists) and
    returns the file. The text goes to a new temporary file with a unique
    name (.nymidiag-<guid>.tmp) first and is then moved into place, so a
    reader never sees half a report and concurrent writers (several
    scripts, runspaces or processes at once) each get their own file; a
    name taken meanwhile makes the writer take the next. Afterwards the newest
    -Keep files of that prefix are kept, at most -MaxTotalMB together; the
    new report always stays, other files in the folder are left alone.

    Only reports are written: a diagnosis from Invoke-NymiDiagnosis (written
    as the JSON the library returned); its JSON text (one JSON object, for
    example from Invoke-NymiDiagnosis -Raw, written as given); or a run
    record (a hashtable or plain object such as the Intune and GPO scripts
    write) holding only text, numbers, booleans, times, lists, dictionaries
    and diagnoses, converted to JSON with any diagnosis among its values
    embedded as the library's JSON. Anything else (a FileInfo, a
    DirectoryInfo, text that is not a JSON object, a record holding other
    objects) is refused at once with the error id NymiDiag.NotAReport,
    without being converted.

    The folder is created when missing. No part of the folder's path may be
    a link (symbolic link or junction; links directly under a drive or file
    system root are made by the system and allowed), and an existing file
    or link is never opened, so that a link planted under ProgramData
    cannot redirect a report written or a file deleted by SYSTEM.

    .PARAMETER InputObject
    The diagnosis (NymiDiag.Diagnosis), run record or JSON text to write.

    .PARAMETER Folder
    Folder of the reports, a literal path (no wildcards; '[' and ']' are
    part of the name); relative paths are taken from the current location.
    A blank path is refused. Default: the configured ReportFolder (policy
    or configuration file, Get-NymiDiagConfiguration), else
    %ProgramData%\NymiDiag (elsewhere than Windows: <temp>/NymiDiag).

    .PARAMETER Prefix
    First part of the file name, and the set of files rotated together:
    diagnosis, remediation, startup or another word (letters, digits, '.',
    '_', '-'). Default: diagnosis.

    .PARAMETER Keep
    How many reports of this prefix to keep, newest first, the new one
    included. Default 10.

    .PARAMETER MaxTotalMB
    Size cap, in MB, of the kept reports of this prefix together; older
    ones are deleted first, the new one is always kept. Default 20.

    .EXAMPLE
    Invoke-NymiDiagnosis -NesUri https://nes.corp.example/nes | Save-NymiReport -Folder C:\ProgramData\NymiDiag

    Writes the diagnosis to C:\ProgramData\NymiDiag\diagnosis-<time>.json and
    keeps the newest 10.

    .EXAMPLE
    Save-NymiReport -InputObject @{ kind = 'site.check'; diagnosis = (Invoke-NymiDiagnosis) } -Folder .\reports -Prefix site -Keep 30

    A record of a site's own script with the whole diagnosis embedded.

    .OUTPUTS
    System.IO.FileInfo
    #>
    [CmdletBinding()]
    [OutputType([System.IO.FileInfo])]
    param(
        [Parameter(Mandatory = $true, Position = 0, ValueFromPipeline = $true)]
        [AllowEmptyString()]
        [object] $InputObject,

        [Alias('LiteralPath', 'PSPath')]
        [ValidateScript({ TestNymiPathParameter $_ })]
        [string] $Folder = '',

        [ValidatePattern('^[A-Za-z0-9_.-]{1,64}$')]
        [string] $Prefix = 'diagnosis',

        [ValidateRange(1, 10000)]
        [int] $Keep = 10,

        [ValidateRange(1, 100000)]
        [int] $MaxTotalMB = 20
    )
    process {
        $problem = GetNymiReportInputProblem $InputObject
        if ($problem) {
            $exception = New-Object System.ArgumentException ("NymiDiag: Save-NymiReport writes reports only: $problem.")
            $PSCmdlet.ThrowTerminatingError((New-Object System.Management.Automation.ErrorRecord ($exception, 'NymiDiag.NotAReport', [System.Management.Automation.ErrorCategory]::InvalidArgument, $null)))
        }
        if (-not $PSBoundParameters.ContainsKey('Folder')) {
            # The configured ReportFolder (policy or configuration file).
            $Folder = (GetNymiConfiguredSettings -Cmdlet $PSCmdlet)['ReportFolder']
        }
        try {
            $path = ResolveNymiReportFolder -Folder $Folder -Cmdlet $PSCmdlet
            $text = ConvertToNymiReportText $InputObject
            WriteNymiReportFile -Folder $path -Prefix $Prefix -Text $text -Keep $Keep -MaxBytes ([long]$MaxTotalMB * 1MB)
        }
        catch {
            $PSCmdlet.ThrowTerminatingError((New-Object System.Management.Automation.ErrorRecord ($_.Exception, 'NymiReportNotWritten', [System.Management.Automation.ErrorCategory]::WriteError, $Folder)))
        }
    }
}
