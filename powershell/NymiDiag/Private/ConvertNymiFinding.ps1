# Findings are the same shape for every capability: one converter, one type.

function ConvertToNymiFinding {
    [CmdletBinding()]
    [OutputType('NymiDiag.Finding')]
    param([Parameter(Mandatory = $true, ValueFromPipeline = $true)][object] $Finding)
    process {
        $remediation = $null
        if ($Finding.PSObject.Properties['remediation']) { $remediation = [string]$Finding.remediation }
        $refs = [string[]]@($Finding.refs)
        $evidence = $Finding.evidence
        SetNymiText -InputObject $evidence -Text (ConvertToNymiCompactJson -Value $evidence)
        [PSCustomObject]@{
            PSTypeName = 'NymiDiag.Finding'
            Id = [string]$Finding.id
            Severity = [string]$Finding.severity
            Title = [string]$Finding.title
            Detail = [string]$Finding.detail
            Remediation = $remediation
            Refs = ConvertToNymiTextList -Value $refs -Text ($refs -join '; ')
            Evidence = $evidence
        }
    }
}

function WriteNymiFindingWarning {
    # Warning and error findings also reach the warning stream, so that an
    # admin who only looks at the objects still sees that something is off.
    [CmdletBinding()]
    param([object[]] $Finding)
    foreach ($f in @($Finding)) {
        if ($f.Severity -eq 'warning' -or $f.Severity -eq 'error') {
            Write-Warning ('{0}: {1}' -f $f.Id, $f.Title)
        }
    }
}
