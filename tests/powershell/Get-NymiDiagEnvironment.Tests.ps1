BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    Import-Module $ManifestPath -Force
}

Describe 'Get-NymiDiagEnvironment' {
    BeforeAll {
        $environment = Get-NymiDiagEnvironment
    }

    It 'returns one typed NymiDiag.Environment object' {
        @($environment).Count | Should -Be 1
        $environment.PSObject.TypeNames[0] | Should -Be 'NymiDiag.Environment'
    }

    It 'uses real .NET types' {
        $environment.ProcessBits | Should -BeOfType [int]
        $environment.AbiVersion | Should -BeOfType [int]
        $environment.Generated | Should -BeOfType [datetime]
        $environment.Generated.Kind | Should -Be ([System.DateTimeKind]::Utc)
        $environment.PowerShellVersion | Should -BeOfType [version]
        , $environment.Exports | Should -BeOfType [string[]]
    }

    It 'describes this process' {
        $environment.ProcessBits | Should -Be ([IntPtr]::Size * 8)
        $environment.ProcessId | Should -Be $PID
        $environment.ComputerName | Should -Be ([System.Net.Dns]::GetHostName())
        $environment.ToolVersion | Should -Be (Get-CrateVersion)
        $environment.AbiVersion | Should -Be 1
        $environment.Exports | Should -Contain 'nymidiag_describe'
        ([datetime]::UtcNow - $environment.Generated).TotalMinutes | Should -BeLessThan 5
    }

    It 'reports elevation as the operating system sees it' -Skip:([System.Environment]::OSVersion.Platform -eq 'Win32NT') {
        # Off Windows the library reads the effective uid; root is elevated.
        $uid = [int](& id -u)
        $environment.IsElevated | Should -Be ($uid -eq 0)
        $environment.IsSystem | Should -BeFalse
    }

    It 'tells the library who called' {
        $environment.Report.context.caller | Should -BeLike "NymiDiag $(Get-CrateVersion); PowerShell $($PSVersionTable.PSVersion)*"
    }

    It 'returns the JSON report unchanged with -Raw' {
        $raw = Get-NymiDiagEnvironment -Raw
        $raw | Should -BeOfType [string]
        $doc = $raw | ConvertFrom-Json
        $doc.capability | Should -Be 'describe'
        $doc.schema_version | Should -Be 1
        $doc.status | Should -Be 'ok'
    }

    It 'shows a short list by default' {
        $text = $environment | Out-String
        $text | Should -Match "Library\s+: $([regex]::Escape((Get-CrateVersion))) \(ABI 1, "
        $text | Should -Not -Match 'Report\s+:'
    }
}

Describe 'errors from the library' {
    BeforeAll {
        # A stand-in for a public command: an advanced function inside the
        # module that calls an export with whatever request it is given.
        InModuleScope NymiDiag {
            function script:Invoke-BadRequest {
                [CmdletBinding()]
                param([hashtable] $Request)
                InvokeNymiExport -Export 'nymidiag_describe' -Request $Request -Cmdlet $PSCmdlet
            }
        }
    }

    It 'an invalid request becomes an ErrorRecord with a stable ErrorId' {
        InModuleScope NymiDiag {
            $record = $null
            try { Invoke-BadRequest -Request @{ unexpected = 1 } } catch { $record = $_ }
            $record | Should -Not -BeNullOrEmpty
            $record.FullyQualifiedErrorId | Should -BeLike 'NymiDiag.RequestInvalid*'
            $record.CategoryInfo.Category | Should -Be 'InvalidArgument'
            $record.TargetObject['unexpected'] | Should -Be 1
            $record.Exception.Message | Should -BeLike '*nymidiag_describe*unknown field*unexpected*'
            $record.Exception.Data['NymiDiagStatus'] | Should -Be 202
        }
    }

    It 'names the request field that has the wrong type' {
        InModuleScope NymiDiag {
            $record = $null
            try { Invoke-BadRequest -Request @{ caller = 42 } } catch { $record = $_ }
            $record.FullyQualifiedErrorId | Should -BeLike 'NymiDiag.RequestInvalid*'
            $record.Exception.Message | Should -BeLike '*(request field: caller)*'
        }
    }

    It 'respects -ErrorAction SilentlyContinue on the public command path' {
        InModuleScope NymiDiag {
            # A terminating error from ThrowTerminatingError still stops the
            # command; callers catch it like any cmdlet's.
            { Invoke-BadRequest -Request @{ nope = $true } -ErrorAction SilentlyContinue } | Should -Throw -ErrorId 'NymiDiag.RequestInvalid*'
        }
    }

    It 'maps every library error id to a category' -ForEach @(
        @{ Id = 'NULL_ARGUMENT'; Status = 100; Category = 'InvalidArgument'; ErrorId = 'NymiDiag.NullArgument' }
        @{ Id = 'REQUEST_NOT_JSON'; Status = 201; Category = 'InvalidData'; ErrorId = 'NymiDiag.RequestNotJson' }
        @{ Id = 'IO_ERROR'; Status = 300; Category = 'ReadError'; ErrorId = 'NymiDiag.IoError' }
        @{ Id = 'PANIC'; Status = 901; Category = 'NotSpecified'; ErrorId = 'NymiDiag.Panic' }
    ) {
        InModuleScope NymiDiag -Parameters $_ {
            param($Id, $Status, $Category, $ErrorId)
            $doc = '{"schema_version":1,"tool_version":"0","capability":"x","error":{"id":"' + $Id + '","status":' + $Status + ',"message":"m"}}'
            $record = NewNymiErrorRecord -Status $Status -Document $doc -Export 'nymidiag_x'
            $record.FullyQualifiedErrorId | Should -Be $ErrorId
            [string]$record.CategoryInfo.Category | Should -Be $Category
        }
    }

    It 'the shim refuses names that are not nymidiag exports' {
        InModuleScope NymiDiag {
            $response = $null
            { $script:NymiNative.Library.Call('nymidiag_nothing', [byte[]]@(), [ref]$response) } | Should -Throw '*Unknown nymidiag export: nymidiag_nothing*'
            { $script:NymiNative.Library.Call('free', [byte[]]@(), [ref]$response) } | Should -Throw '*Not a nymidiag export*'
        }
    }

    It 'the shim serves calls from several runspaces at once' {
        $results = InModuleScope NymiDiag {
            $library = $script:NymiNative.Library
            $pool = [runspacefactory]::CreateRunspacePool(1, 4)
            $pool.Open()
            try {
                $jobs = foreach ($i in 1..8) {
                    $ps = [powershell]::Create()
                    $ps.RunspacePool = $pool
                    [void]$ps.AddScript({
                            param($Library, $I)
                            $response = $null
                            $request = [System.Text.Encoding]::UTF8.GetBytes('{"caller":"runspace ' + $I + '"}')
                            $status = $Library.Call('nymidiag_describe', $request, [ref]$response)
                            '{0}|{1}' -f $status, ([System.Text.Encoding]::UTF8.GetString($response) | ConvertFrom-Json).context.caller
                        }).AddArgument($library).AddArgument($i)
                    [PSCustomObject]@{ PowerShell = $ps; Handle = $ps.BeginInvoke() }
                }
                foreach ($job in $jobs) { $job.PowerShell.EndInvoke($job.Handle); $job.PowerShell.Dispose() }
            }
            finally { $pool.Dispose() }
        }
        @($results).Count | Should -Be 8
        foreach ($i in 1..8) { $results | Should -Contain "0|runspace $i" }
    }
}
