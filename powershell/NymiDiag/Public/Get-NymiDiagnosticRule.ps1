function Get-NymiDiagnosticRule {
    <#
    .SYNOPSIS
    Lists the log rules Search-NymiLog applies, with their ids, severities and remediation.

    .DESCRIPTION
    Returns the rules of the built-in pack and of any packs given with
    -RulePath: id, title, severity, the log kinds or file names they apply
    to, the literals that preselect lines (rules without one are marked
    slow), the regular expression and sequence conditions, the explanation,
    the remediation with the troubleshooting step it refers to, and sample
    lines. A pack that does not load stops the command with the file, line
    and reason, so a new pack can be checked before it is deployed.

    .PARAMETER RulePath
    Additional rule packs (TOML files) to load and list.

    .PARAMETER Id
    Only the rules with these ids (wildcards allowed). An id without
    wildcards that names no rule writes a non-terminating error
    (NymiDiag.RuleNotFound) naming it; the rules that were found are still
    returned.

    .PARAMETER ErrorCode
    Return the table of known error codes (0x8101201c, 2148074254, ...) with
    their names and meaning instead of the rules.

    .EXAMPLE
    Get-NymiDiagnosticRule

    The built-in rules: severity, id, log kinds and title.

    .EXAMPLE
    Get-NymiDiagnosticRule -Id LOG_NEA_CERTS_NOT_RETRIEVED | Format-List Explanation, Remediation, Refs

    What a rule means and what to do about it.

    .EXAMPLE
    Get-NymiDiagnosticRule -RulePath .\site-rules.toml -Id 'SITE_*'

    Loads a site pack, checks its syntax and samples, and lists its rules.

    .OUTPUTS
    NymiDiag.LogRule, or NymiDiag.ErrorCode with -ErrorCode.

    .LINK
    Search-NymiLog
    #>
    [CmdletBinding()]
    [OutputType('NymiDiag.LogRule')]
    [OutputType('NymiDiag.ErrorCode')]
    param(
        [ValidateNotNullOrEmpty()]
        [string[]] $RulePath,

        [ValidateNotNullOrEmpty()]
        [string[]] $Id = @('*'),

        [switch] $ErrorCode
    )
    $request = @{}
    if ($RulePath) { $request['rule_paths'] = [string[]]@($RulePath | ForEach-Object { ResolveNymiRequestPath -Cmdlet $PSCmdlet -Path $_ }) }
    $report = InvokeNymiExport -Export 'nymidiag_rule_list' -Request $request -Cmdlet $PSCmdlet

    if ($ErrorCode) {
        foreach ($code in @($report.data.error_codes)) {
            $properties = [ordered]@{ PSTypeName = 'NymiDiag.ErrorCode' }
            foreach ($p in $code.PSObject.Properties) { $properties[(ConvertToNymiPascalCase $p.Name)] = $p.Value }
            [PSCustomObject]$properties
        }
        return
    }
    $found = @{}
    foreach ($rule in @($report.data.rules)) {
        $matched = $false
        foreach ($pattern in $Id) {
            if ($rule.id -like $pattern) { $matched = $true; $found[$pattern] = $true }
        }
        if (-not $matched) { continue }
        [PSCustomObject]@{
            PSTypeName = 'NymiDiag.LogRule'
            Id = [string]$rule.id
            Title = [string]$rule.title
            Severity = [string]$rule.severity
            Pack = [string]$rule.pack
            Kinds = [string[]]@($rule.kinds)
            Files = [string[]]@($rule.files)
            Literals = [string[]]@($rule.literals)
            Slow = [bool]$rule.slow
            Regex = [string]$rule.regex
            Sequence = $rule.sequence
            Reported = [bool]$rule.reported
            Explanation = [string]$rule.explanation
            Remediation = [string]$rule.remediation
            Refs = [string[]]@($rule.refs)
            PositiveSamples = [string[]]@($rule.samples.positive)
            NegativeSamples = [string[]]@($rule.samples.negative)
        }
    }
    # As Get-Service does: an exact id that names no rule is an error, a
    # wildcard that matches nothing is not.
    foreach ($pattern in $Id) {
        if ($found.ContainsKey($pattern) -or [System.Management.Automation.WildcardPattern]::ContainsWildcardCharacters($pattern)) { continue }
        $exception = New-Object System.Management.Automation.ItemNotFoundException ("NymiDiag: no rule with id '$pattern'; Get-NymiDiagnosticRule lists the ids (add -RulePath for a site pack).")
        $PSCmdlet.WriteError((New-Object System.Management.Automation.ErrorRecord ($exception, 'NymiDiag.RuleNotFound', [System.Management.Automation.ErrorCategory]::ObjectNotFound, $pattern)))
    }
}
