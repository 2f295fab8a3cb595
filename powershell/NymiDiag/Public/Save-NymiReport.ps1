function Save-NymiReport {
    <#
    .SYNOPSIS
    Writes a diagnosis or a run record to a rotated JSON report file.

    .DESCRIPTION
    Writes -InputObject as JSON to <Folder>\<Prefix>-<yyyyMMdd-HHmmss>.json
    (UTC time; -2, -3, ... added when a report of that second exists) and
    returns the file. The text goes to <name>.partial first and is then
    renamed, so a reader never sees half a report. Afterwards the newest
    -Keep files of that prefix are kept, at most -MaxTotalMB together; the
    new report always stays, other files in the folder are left alone.

    A diagnosis from Invoke-NymiDiagnosis is written as the JSON the library
    returned. A hashtable (a run record such as the Intune and GPO scripts
    write) is converted to JSON, and any diagnosis among its values is
    embedded the same way. A string is written as given (JSON text, for
    example from Invoke-NymiDiagnosis -Raw).

    The folder is created when missing. A folder that is a link (symbolic
    link or junction) is refused, so that a link planted under ProgramData
    cannot redirect a report written or a file deleted by SYSTEM.

    .PARAMETER InputObject
    The diagnosis (NymiDiag.Diagnosis), hashtable, object or JSON text to
    write.

    .PARAMETER Folder
    Folder of the reports; relative paths are taken from the current
    location. Default: %ProgramData%\NymiDiag (elsewhere than Windows:
    <temp>/NymiDiag).

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

        [string] $Folder = '',

        [ValidatePattern('^[A-Za-z0-9_.-]{1,64}$')]
        [string] $Prefix = 'diagnosis',

        [ValidateRange(1, 10000)]
        [int] $Keep = 10,

        [ValidateRange(1, 100000)]
        [int] $MaxTotalMB = 20
    )
    process {
        try {
            $path = ResolveNymiReportFolder -Folder $Folder -Cmdlet $PSCmdlet
            $text = ConvertToNymiReportText $InputObject
            if (-not $text) { $text = 'null' }
            WriteNymiReportFile -Folder $path -Prefix $Prefix -Text $text -Keep $Keep -MaxBytes ([long]$MaxTotalMB * 1MB)
        }
        catch {
            $PSCmdlet.ThrowTerminatingError((New-Object System.Management.Automation.ErrorRecord ($_.Exception, 'NymiReportNotWritten', [System.Management.Automation.ErrorCategory]::WriteError, $Folder)))
        }
    }
}
