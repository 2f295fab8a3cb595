# Where the log scan looks by default, as the library reports it
# (searched_locations), for the process it runs in. Intune's default host is
# 32-bit Windows PowerShell: there System32 is redirected to SysWOW64 and
# %ProgramFiles% is the x86 folder, so the native folders are read through
# Sysnative and %ProgramW6432%. The environment seam itself is tested in
# Rust (src/windows_folders.rs, src/logs/input/default_locations.rs); these
# run the module in whichever process the suite runs in (the Windows CI runs
# it in 32-bit and 64-bit Windows PowerShell too).
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    $onWindows = [System.Environment]::OSVersion.Platform -eq [System.PlatformID]::Win32NT
    $wow64 = $onWindows -and [IntPtr]::Size -eq 4 -and [bool]$env:PROCESSOR_ARCHITEW6432
    $native = $onWindows -and -not $wow64
    Import-Module $ManifestPath -Force
    $report = Search-NymiLog -Raw | ConvertFrom-Json
    $folders = @($report.data.searched_locations | ForEach-Object { [string]$_.folder })
}

Describe 'the default log locations' {
    It 'include the LocalSystem profile, the firewall log and both Program Files views' {
        @($folders | Where-Object { $_ -like '*\config\systemprofile\AppData\Roaming\Nymi' }).Count | Should -BeGreaterThan 0
        @($folders | Where-Object { $_ -like '*\LogFiles\Firewall' }).Count | Should -Be 1
        @($folders | Where-Object { $_ -like '*\Evidian' -and $_ -like '*Program Files*' }).Count | Should -BeGreaterOrEqual 1
        # Each folder is listed once.
        @($folders | Group-Object | Where-Object Count -GT 1 | ForEach-Object Name) | Should -BeNullOrEmpty
    }

    It 'are the documented default install elsewhere than Windows' {
        if ($onWindows) { Set-ItResult -Skipped -Because 'on Windows the library lists the folders of this process instead (the next two tests)'; return }
        # Off Windows the library ignores the environment and lists a
        # default 64-bit install on C: so that an empty result says what
        # was looked for.
        $folders | Should -Contain 'C:\Windows\System32\config\systemprofile\AppData\Roaming\Nymi'
        $folders | Should -Contain 'C:\Windows\System32\LogFiles\Firewall'
        $folders | Should -Contain 'C:\Program Files\Evidian'
        $folders | Should -Contain 'C:\Program Files (x86)\Evidian'
        @($folders | Where-Object { $_ -like '*\Sysnative\*' }) | Should -BeNullOrEmpty
    }

    It 'read the native System32 through Sysnative and the native Program Files in a 32-bit host on 64-bit Windows' {
        if (-not $wow64) { Set-ItResult -Skipped -Because 'needs a 32-bit PowerShell on 64-bit Windows (the Windows CI runs one); the Rust tests cover the decision through the environment seam'; return }
        $windows = $env:SystemRoot
        $folders | Should -Contain ([System.IO.Path]::Combine($windows, 'Sysnative', 'config', 'systemprofile', 'AppData', 'Roaming', 'Nymi'))
        $folders | Should -Contain ([System.IO.Path]::Combine($windows, 'Sysnative', 'LogFiles', 'Firewall'))
        $folders | Should -Contain ([System.IO.Path]::Combine($env:ProgramW6432, 'Evidian'))
        # System32 here would be SysWOW64 in disguise.
        @($folders | Where-Object { $_ -like '*\System32\*' }) | Should -BeNullOrEmpty
    }

    It 'read System32 itself in a native host' {
        if (-not $native) { Set-ItResult -Skipped -Because 'needs a native-bitness PowerShell on Windows (the Windows CI runs one)'; return }
        $folders | Should -Contain ([System.IO.Path]::Combine($env:SystemRoot, 'System32', 'LogFiles', 'Firewall'))
        @($folders | Where-Object { $_ -like '*\Sysnative\*' }) | Should -BeNullOrEmpty
    }
}
