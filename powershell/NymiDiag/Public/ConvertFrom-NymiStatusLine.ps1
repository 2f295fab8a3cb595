function ConvertFrom-NymiStatusLine {
    <#
    .SYNOPSIS
    Reads nymidiag status lines back into objects, as a fleet collects them.

    .DESCRIPTION
    Turns the one-line summaries the Intune detection script, the GPO
    startup script and Invoke-NymiUnattendedCheck print (STATUS=OK v=1
    code=HEALTHY ksp=20/20 nes=... expiry=2026-12-14 ...) into one
    NymiDiag.StatusLine object each, with Status, Code, Version, Ksp,
    KspFound, KspExpected, Nes, Stage, Finding, Confidence, Expiry, Site,
    Logs, Detail, Repair, RepairBefore, RepairAfter, RepairReason, Line,
    ParseStatus and ParseProblem.

    The library reads the lines, with the same definition of the format its
    writer uses, so ERROR lines with Windows paths in detail= (which
    ConvertFrom-StringData cannot read) and lines written before the format
    had a version (no v=, Version 0) read too.

    A line never stops the command. ParseStatus says how far to trust the
    fields: ok; truncated (no STATUS= at the start: Intune keeps only the
    last 2,048 characters of the output, so the start was cut; the fields
    after the cut are read); empty (no output); malformed (not a status
    line, or a field that does not read; ParseProblem says why). For a
    multi-line output the last non-blank line is read, as Intune does.

    One object comes out per input, in order. The lines are read in
    batches of 2,000 at the end of the pipeline (or of each batch), so
    100,000 lines take one call per batch, not one per line.

    .PARAMETER InputObject
    A line, a whole script output, or an object that carries one: a
    property StatusLine, Line or Output, or Intune's
    PostRemediationDetectionScriptOutput (used when not empty) and
    PreRemediationDetectionScriptOutput, as in a deviceRunStates item or
    an export report row from Import-Csv. An object with none of them reads
    as empty.

    .EXAMPLE
    ConvertFrom-NymiStatusLine 'STATUS=ISSUE v=1 code=NEA_CERTS_NOT_RETRIEVED_TCP_BLOCKED ksp=8/20 nes=nes.corp.example:443 stage=tcp finding=NES_TCP_TIMEOUT confidence=high expiry=2026-12-14 site=WARD-3 logs=none'

    Reads one line: Status ISSUE, Code NEA_CERTS_NOT_RETRIEVED_TCP_BLOCKED,
    KspFound 8, Expiry 14 December 2026, Site WARD-3.

    .EXAMPLE
    Import-Csv .\DeviceRunStates.csv | ConvertFrom-NymiStatusLine | Group-Object Code | Sort-Object Count -Descending

    Counts the verdicts of an Intune export report (for the whole roll-up,
    with one row per device, use Get-NymiFleetReport -Path).

    .EXAMPLE
    Get-Content .\lines.txt | ConvertFrom-NymiStatusLine | Where-Object ParseStatus -ne 'ok'

    Lists the lines that could not be read, with ParseProblem saying why.

    .INPUTS
    System.String, or any object with one of the properties above.

    .OUTPUTS
    NymiDiag.StatusLine
    #>
    [CmdletBinding()]
    [OutputType('NymiDiag.StatusLine')]
    param(
        [Parameter(Mandatory = $true, Position = 0, ValueFromPipeline = $true)]
        [AllowNull()][AllowEmptyString()]
        [object[]] $InputObject
    )
    begin {
        $batch = New-Object System.Collections.Generic.List[string]
    }
    process {
        # -InputObject $null binds as $null, not as one null item.
        if ($null -eq $InputObject) { $InputObject = @($null) }
        foreach ($item in $InputObject) {
            # Strings skip the function call: it costs more than the parse.
            if ($item -is [string]) { $batch.Add($item) } else { $batch.Add((GetNymiStatusLineText $item)) }
            if ($batch.Count -ge $script:NymiStatusLineBatch) {
                ConvertNymiStatusLines -Lines $batch.ToArray() -Cmdlet $PSCmdlet
                $batch.Clear()
            }
        }
    }
    end {
        if ($batch.Count -gt 0) { ConvertNymiStatusLines -Lines $batch.ToArray() -Cmdlet $PSCmdlet }
    }
}
