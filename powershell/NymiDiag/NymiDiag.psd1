@{
    RootModule = 'NymiDiag.psm1'
    ModuleVersion = '0.1.0'
    GUID = '2f86257f-1ad5-43d1-b862-82ad81bc6a08'
    Author = 'nymidiag developers'
    CompanyName = 'nymidiag'
    Copyright = '(c) nymidiag developers. MIT licence.'
    Description = 'Diagnoses why a Windows terminal running Nymi and Evidian software cannot get its NEA certificates from the Nymi Enterprise Server (NES): certificate store, NES connectivity and logs.'
    PowerShellVersion = '5.1'
    CompatiblePSEditions = @('Desktop', 'Core')
    DotNetFrameworkVersion = '4.5'
    FormatsToProcess = @('NymiDiag.Format.ps1xml')
    FunctionsToExport = @(
        'Get-NymiDiagEnvironment'
        'Get-NymiDiagConfiguration'
        'Get-NymiNeaCertificate'
        'Test-NymiNesConnection'
        'Search-NymiLog'
        'Get-NymiDiagnosticRule'
        'Invoke-NymiDiagnosis'
        'Export-NymiSupportBundle'
        'Repair-NymiNeaCertificate'
        'Save-NymiReport'
        'Invoke-NymiUnattendedCheck'
    )
    CmdletsToExport = @()
    VariablesToExport = @()
    AliasesToExport = @()
    PrivateData = @{
        PSData = @{
            Tags = @('Nymi', 'Evidian', 'NES', 'NEA', 'Certificates', 'Diagnostics', 'Intune', 'Windows', 'Linux')
            LicenseUri = 'https://opensource.org/licenses/MIT'
        }
    }
}
