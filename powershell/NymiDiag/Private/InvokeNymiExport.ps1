# The one way public functions call the library: JSON request in, objects
# (or the raw JSON) out, a proper ErrorRecord when the call fails.

function InvokeNymiExport {
    [CmdletBinding()]
    param(
        # Export name, for example 'nymidiag_describe'.
        [Parameter(Mandatory = $true)][string] $Export,
        # Request fields; serialized to JSON.
        [System.Collections.IDictionary] $Request = @{},
        # The request as JSON text, sent as it is (for requests that embed an
        # earlier report, which must not go through ConvertFrom/To-Json).
        [string] $RequestJson,
        # The public function's $PSCmdlet, so the error is raised from it.
        [Parameter(Mandatory = $true)][System.Management.Automation.PSCmdlet] $Cmdlet,
        # Return the JSON text instead of objects.
        [switch] $Raw
    )
    if (-not $script:NymiNative) {
        throw 'NymiDiag: the native library is not loaded; re-import the module.'
    }
    $body = @{}
    foreach ($key in $Request.Keys) { $body[$key] = $Request[$key] }
    if (-not $body.Contains('caller')) { $body['caller'] = $script:NymiCaller }
    if ($RequestJson) {
        $json = $RequestJson
        Write-Verbose ("NymiDiag: $Export ({0} bytes of JSON)" -f $json.Length)
    }
    else {
        $json = ConvertTo-Json -InputObject $body -Depth 20 -Compress
        Write-Verbose "NymiDiag: $Export $json"
    }

    $response = $null
    $status = $script:NymiNative.Library.Call($Export, [System.Text.Encoding]::UTF8.GetBytes($json), [ref]$response)
    $text = [System.Text.Encoding]::UTF8.GetString($response)
    if ($status -ne 0) {
        $Cmdlet.ThrowTerminatingError((NewNymiErrorRecord -Status $status -Document $text -Export $Export -Target $body))
    }
    if ($Raw) { return $text }
    ConvertFrom-Json -InputObject $text
}

function NewNymiErrorRecord {
    [CmdletBinding()]
    [OutputType([System.Management.Automation.ErrorRecord])]
    param(
        [Parameter(Mandatory = $true)][int] $Status,
        # The error document the library wrote (JSON text).
        [Parameter(Mandatory = $true)][AllowEmptyString()][string] $Document,
        [Parameter(Mandatory = $true)][string] $Export,
        [object] $Target
    )
    $id = 'UNKNOWN'
    $message = "nymidiag returned status $Status."
    try {
        $doc = ConvertFrom-Json -InputObject $Document
        $id = [string]$doc.error.id
        $message = [string]$doc.error.message
        if ($doc.error.PSObject.Properties['path'] -and $doc.error.path) {
            $message = "$message (request field: $($doc.error.path))"
        }
    }
    catch {
        Write-Verbose "NymiDiag: the error document could not be read: $Document"
    }
    $category = switch ($id) {
        'NULL_ARGUMENT' { [System.Management.Automation.ErrorCategory]::InvalidArgument }
        'INVALID_ARGUMENT' { [System.Management.Automation.ErrorCategory]::InvalidArgument }
        'REQUEST_NOT_UTF8' { [System.Management.Automation.ErrorCategory]::InvalidData }
        'REQUEST_NOT_JSON' { [System.Management.Automation.ErrorCategory]::InvalidData }
        'REQUEST_INVALID' { [System.Management.Automation.ErrorCategory]::InvalidArgument }
        'IO_ERROR' { [System.Management.Automation.ErrorCategory]::ReadError }
        default { [System.Management.Automation.ErrorCategory]::NotSpecified }
    }
    # REQUEST_INVALID -> NymiDiag.RequestInvalid: stable, and reads like the
    # ErrorIds of built-in cmdlets.
    $pascal = -join ($id.ToLowerInvariant().Split('_') | ForEach-Object {
            if ($_.Length -gt 0) { $_.Substring(0, 1).ToUpperInvariant() + $_.Substring(1) }
        })
    $exception = New-Object System.InvalidOperationException ("NymiDiag: ${Export}: $message")
    $exception.Data['NymiDiagStatus'] = $Status
    $exception.Data['NymiDiagErrorId'] = $id
    New-Object System.Management.Automation.ErrorRecord ($exception, "NymiDiag.$pascal", $category, $Target)
}
