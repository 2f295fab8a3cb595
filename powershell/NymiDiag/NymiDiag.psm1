# NymiDiag: diagnoses why a Windows terminal cannot get its NEA certificates
# from the Nymi Enterprise Server. The analysis runs in the native library
# (bin/<rid>/); this module loads it, turns its JSON reports into objects
# and adds what only Windows APIs know.

Set-StrictMode -Version 3.0

# The C ABI version this module was written for (NYMIDIAG_ABI_VERSION in
# include/nymidiag.h).
$script:NymiAbiVersion = [uint32]1

foreach ($folder in 'Private', 'Public') {
    $files = @(Get-ChildItem -Path (Join-Path $PSScriptRoot $folder) -Filter '*.ps1' -File -ErrorAction SilentlyContinue)
    foreach ($file in $files) {
        . $file.FullName
    }
}

# Fails the import with one actionable line when the library is missing,
# built for another architecture, or of another ABI version.
$script:NymiNative = ImportNymiNative -ModuleRoot $PSScriptRoot -ExpectedAbiVersion $script:NymiAbiVersion

# The module's own version is not known yet while the psm1 runs; the
# manifest is the source of truth.
$moduleVersion = (Import-PowerShellDataFile (Join-Path $PSScriptRoot 'NymiDiag.psd1')).ModuleVersion
$script:NymiCaller = 'NymiDiag {0}; PowerShell {1} {2}; {3}-bit' -f $moduleVersion, $PSVersionTable.PSVersion, $PSVersionTable.PSEdition, ([IntPtr]::Size * 8)

Export-ModuleMember -Function @(
    'Get-NymiDiagEnvironment'
    'Get-NymiNeaCertificate'
    'Test-NymiNesConnection'
    'Search-NymiLog'
    'Get-NymiDiagnosticRule'
    'Invoke-NymiDiagnosis'
    'Export-NymiSupportBundle'
    'Repair-NymiNeaCertificate'
    'Save-NymiReport'
)
