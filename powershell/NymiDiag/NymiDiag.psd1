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
    # The precompiled shim (bin/NymiDiag.Native.dll) targets .NET Framework
    # 4.7.2 (build.ps1 compiles Private/NativeMethods.cs against its reference
    # assemblies); Windows PowerShell checks this, PowerShell 7 ignores it.
    DotNetFrameworkVersion = '4.7.2'
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
        'ConvertFrom-NymiStatusLine'
        'Get-NymiFleetReport'
        'Send-NymiReport'
        # NES server side.
        'Get-NymiNesClientReport'
    )
    CmdletsToExport = @()
    VariablesToExport = @()
    AliasesToExport = @()
    PrivateData = @{
        PSData = @{
            # Windows is where the terminals are; Linux runs the analysis
            # (offline key stores, logs and reports copied from a terminal).
            Tags = @('PSEdition_Desktop', 'PSEdition_Core', 'Windows', 'Linux', 'Nymi', 'Evidian', 'NES', 'NEA',
                'Certificates', 'Diagnostics', 'Intune', 'GPO', 'Troubleshooting')
            ProjectUri = 'https://github.com/nymidiag/nymidiag'
            LicenseUri = 'https://github.com/nymidiag/nymidiag/blob/main/LICENSE'
            # build.ps1 -Task Package replaces this with the newest section of
            # CHANGELOG.md in the packaged manifest.
            ReleaseNotes = 'See CHANGELOG.md in the project.'
        }
    }
}
