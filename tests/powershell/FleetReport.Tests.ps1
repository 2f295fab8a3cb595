# Get-NymiFleetReport: every source (CSV, zip, report folder, pipeline,
# Graph through its private wrapper, mocked), the typed rows, Export-Csv of
# the devices, the format views and the errors. Everything is under
# TestDrive; no server is used.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    Import-Module $ManifestPath -Force

    $script:Now = [datetime]::new(2026, 5, 30, 12, 0, 0, [System.DateTimeKind]::Utc)

    function New-Line {
        param([string] $Status = 'ISSUE', [string] $Code = 'NEA_CERTS_NOT_RETRIEVED_DNS', [string] $Stage = 'dns', [string] $Expiry = '2026-06-02', [string] $Site = 'plant1', [string] $Nes = 'nes01:443')
        'STATUS={0} v=1 code={1} ksp=8/20 nes={2} stage={3} finding=NES_DNS_FAILED confidence=high expiry={4} site={5} logs=none' -f $Status, $Code, $Nes, $Stage, $Expiry, $Site
    }

    function New-ExportCsv {
        # The export report's columns, as Intune writes them; one device
        # twice (the newer wins), one healthy device seen long ago, one row
        # whose line was cut.
        param([string] $Path, [string] $Delimiter = ',')
        $rows = @(
            [PSCustomObject]@{ DeviceName = 'PC-001'; DeviceId = 'id-1'; PreRemediationDetectionScriptOutput = (New-Line -Code 'NEA_CERTS_NOT_RETRIEVED_TCP_BLOCKED' -Stage 'tcp'); PostRemediationDetectionScriptOutput = ''; DetectionStatus = 'With issues'; ModifiedTime = '2026-05-20T08:00:00Z' }
            [PSCustomObject]@{ DeviceName = 'PC-001'; DeviceId = 'ID-1'; PreRemediationDetectionScriptOutput = (New-Line); PostRemediationDetectionScriptOutput = ''; DetectionStatus = 'With issues'; ModifiedTime = '2026-05-29T08:00:00Z' }
            [PSCustomObject]@{ DeviceName = 'Ward "B", bed 3'; DeviceId = 'id-2'; PreRemediationDetectionScriptOutput = (New-Line -Status 'OK' -Code 'HEALTHY' -Stage 'none' -Expiry '2026-07-01' -Site 'plant2'); PostRemediationDetectionScriptOutput = ''; DetectionStatus = 'Without issues'; ModifiedTime = '2026-05-01T08:00:00Z' }
            [PSCustomObject]@{ DeviceName = 'PC-003'; DeviceId = 'id-3'; PreRemediationDetectionScriptOutput = 'TRIEVED_DNS ksp=8/20 nes=nes01:443 stage=dns'; PostRemediationDetectionScriptOutput = ''; DetectionStatus = 'With issues'; ModifiedTime = '2026-05-29T09:00:00Z' }
        )
        $rows | Export-Csv -LiteralPath $Path -NoTypeInformation -Delimiter $Delimiter -Encoding UTF8
    }

    function New-DiagnoseReport {
        param([string] $HostName, [string] $Started, [string] $Line)
        '{"schema_version": 1, "capability": "diagnose", "started_utc": "' + $Started + '", "context": {"host": "' + $HostName + '"}, "status": "issue", "findings": [], "data": {"status_line": "' + $Line + '", "inputs": {"cert_inventory": null}, "site": null}, "coverage": {}, "warnings": []}'
    }
}

Describe 'Get-NymiFleetReport' {
    Context 'an export CSV' {
        BeforeAll {
            $script:csv = Join-Path $TestDrive 'export.csv'
            New-ExportCsv -Path $script:csv
            $script:report = Get-NymiFleetReport -Path $script:csv -Now $script:Now
        }

        It 'returns one FleetReport with one typed row per device' {
            $report | Should -BeOfType ([NymiDiag.FleetReport])
            $report.Source | Should -Be 'csv'
            $report.Rows | Should -Be 4
            $report.Total | Should -Be 3
            $report.Duplicates | Should -Be 1
            $report.Now | Should -Be $script:Now
            $report.ExpiringDays | Should -Be 7
            $report.StaleDays | Should -Be 8
            $report.Devices.Count | Should -Be 3
            $report.Devices[0] | Should -BeOfType ([NymiDiag.FleetDevice])
            $pc = $report.Devices | Where-Object DeviceName -eq 'PC-001'
            $pc.Code | Should -Be 'NEA_CERTS_NOT_RETRIEVED_DNS'
            $pc.DeviceId | Should -Be 'ID-1'
            $pc.Status | Should -Be 'ISSUE'
            $pc.Version | Should -Be 1
            $pc.KspFound | Should -Be 8
            $pc.KspExpected | Should -Be 20
            $pc.Expiry | Should -Be ([datetime]::new(2026, 6, 2, 0, 0, 0, [System.DateTimeKind]::Utc))
            $pc.Expiry.Kind | Should -Be 'Utc'
            $pc.ExpiresInDays | Should -Be 3
            $pc.LastSeen | Should -Be ([datetime]::new(2026, 5, 29, 8, 0, 0, [System.DateTimeKind]::Utc))
            $pc.Detection | Should -Be 'With issues'
            $pc.Source | Should -Be 'csv'
            $pc.Origin | Should -Match 'export\.csv:3$'
            $pc.ParseStatus | Should -Be 'ok'
        }

        It 'groups by verdict, stage, NES and site, most first' {
            $report.ByVerdict[0] | Should -BeOfType ([NymiDiag.FleetGroup])
            @($report.ByVerdict | ForEach-Object { '{0}={1}' -f $_.Name, $_.Count }) | Should -Be @('(none)=1', 'HEALTHY=1', 'NEA_CERTS_NOT_RETRIEVED_DNS=1')
            ($report.ByNes | Where-Object Name -eq 'nes01:443').Count | Should -Be 3
            @($report.BySite.Name) | Should -Contain 'plant2'
        }

        It 'picks the expiring, stale and unparsed devices' {
            @($report.Expiring.DeviceName) | Should -Be @('PC-001')
            @($report.Stale.DeviceName) | Should -Be @('Ward "B", bed 3')
            @($report.Unparsed.DeviceName) | Should -Be @('PC-003')
            $report.Unparsed[0].ParseStatus | Should -Be 'truncated'
            $report.Unparsed[0].ParseProblem | Should -Not -BeNullOrEmpty
        }

        It 'exports the devices with Export-Csv, and the export reads back through the pipeline' {
            $out = Join-Path $TestDrive 'devices.csv'
            $report.Devices | Export-Csv -LiteralPath $out -NoTypeInformation
            $back = @(Import-Csv -LiteralPath $out)
            $back.Count | Should -Be 3
            @($back[0].PSObject.Properties.Name) | Should -Be @('DeviceName', 'DeviceId', 'Status', 'Code', 'ParseStatus', 'ParseProblem', 'Version', 'Ksp', 'KspFound', 'KspExpected', 'Nes', 'Stage', 'Finding', 'Confidence', 'Expiry', 'ExpiresInDays', 'Site', 'Logs', 'Detail', 'Repair', 'Detection', 'LastSeen', 'Source', 'Origin', 'Line')
            $again = $back | Get-NymiFleetReport -Now $script:Now
            $again.Source | Should -Be 'pipeline'
            @($again.Devices.Code) | Should -Be @($report.Devices.Code)
            @($again.Devices.DeviceName) | Should -Be @($report.Devices.DeviceName)
        }

        It 'reads the same table separated by semicolons and in UTF-16 (Excel Unicode text)' {
            $semi = Join-Path $TestDrive 'semi.csv'
            New-ExportCsv -Path $semi -Delimiter ';'
            $r = Get-NymiFleetReport -Path $semi -Now $script:Now
            @($r.Devices.Code) | Should -Be @($report.Devices.Code)
            $unicode = Join-Path $TestDrive 'unicode.txt'
            $text = (Get-Content -Raw -LiteralPath $script:csv).Replace('","', "`"`t`"")
            [System.IO.File]::WriteAllText($unicode, $text, [System.Text.Encoding]::Unicode)
            $r = Get-NymiFleetReport -Path $unicode -Now $script:Now
            @($r.Devices.Code) | Should -Be @($report.Devices.Code)
        }

        It 'reads the CSV inside a zip' {
            $zip = Join-Path $TestDrive 'export.zip'
            Compress-Archive -LiteralPath $script:csv -DestinationPath $zip
            $r = Get-NymiFleetReport -Path $zip -Now $script:Now
            $r.Total | Should -Be 3
            $r.Devices[0].Origin | Should -Match 'export\.zip!export\.csv:\d+$'
        }

        It 'renders the summary and the device table' {
            $summary = $report | Out-String -Width 200
            $summary | Should -Match 'Devices\s+: 3 from 4 rows read \(1 older duplicates replaced\), source csv'
            $summary | Should -Match 'Top verdicts\s+: 1 '
            $summary | Should -Match 'Expiring\s+: 1 \(certificates expire within 7 days'
            $summary | Should -Match 'Unparsed\s+: 1 '
            $table = $report.Devices | Out-String -Width 200
            $table | Should -Match 'Device\s+Status\s+Code'
            $table | Should -Match 'PC-001\s+ISSUE\s+NEA_CERTS_NOT_RETRIEVED_DNS\s+8/20\s+2026-06-02\s+2026-05-29 08:00'
            ($report.ByVerdict | Out-String) | Should -Match 'Count\s+Name'
        }
    }

    Context 'a folder of reports' {
        It 'keeps the newest report per terminal and lists every bad file with its reason' {
            $folder = Join-Path $TestDrive 'share'
            $null = New-Item -ItemType Directory -Path (Join-Path $folder 'a/b') -Force
            Set-Content -LiteralPath (Join-Path $folder 'a/old.json') -Value (New-DiagnoseReport 'PC-1' '2026-05-01T08:00:00.000Z' (New-Line -Code 'OLD')) -Encoding UTF8
            Set-Content -LiteralPath (Join-Path $folder 'a/b/new.json') -Value (New-DiagnoseReport 'PC-1' '2026-05-29T08:00:00.000Z' (New-Line)) -Encoding UTF8
            $record = [ordered]@{ kind = 'detect'; started_utc = '2026-05-29T07:00:00.000Z'; computer = 'PC-2'; status_line = (New-Line -Status 'OK' -Code 'HEALTHY' -Stage 'none'); diagnosis = $null }
            Save-NymiReport -InputObject $record -Folder (Join-Path $folder 'gpo') -Prefix 'NymiDiag-startup' | Out-Null
            Set-Content -LiteralPath (Join-Path $folder 'partial.json') -Value '{"schema_version": 1, "capability": "diag' -Encoding UTF8
            $r = Get-NymiFleetReport -Path $folder -Now $script:Now
            $r.Source | Should -Be 'reports'
            $r.Rows | Should -Be 4
            $r.Duplicates | Should -Be 1
            ($r.Devices | Where-Object DeviceName -eq 'PC-1').Code | Should -Be 'NEA_CERTS_NOT_RETRIEVED_DNS'
            ($r.Devices | Where-Object DeviceName -eq 'PC-2').Status | Should -Be 'OK'
            $r.Unparsed.Count | Should -Be 1
            $r.Unparsed[0].ParseStatus | Should -Be 'unreadable'
            $r.Unparsed[0].ParseProblem | Should -Match 'partial JSON'
            $r.Unparsed[0].Origin | Should -Match 'partial\.json$'
        }
    }

    Context 'the pipeline' {
        It 'reads strings and objects, Graph-shaped ones too, and never drops one' {
            $items = @(
                (New-Line)
                [PSCustomObject]@{ ComputerName = 'PC-A'; StatusLine = (New-Line -Code 'HEALTHY' -Status 'OK'); LastSeen = [datetime]::new(2026, 5, 29, 0, 0, 0, [System.DateTimeKind]::Utc) }
                @{ managedDevice = @{ deviceName = 'PC-B'; azureADDeviceId = 'aad-b' }; preRemediationDetectionScriptOutput = (New-Line); postRemediationDetectionScriptOutput = (New-Line -Code 'FIXED' -Status 'OK'); detectionState = 'fail'; lastStateUpdateDateTime = '2026-05-28T00:00:00Z' }
                ''
            )
            $r = $items | Get-NymiFleetReport -Now $script:Now
            $r.Rows | Should -Be 4
            $r.Total | Should -Be 4
            $b = $r.Devices | Where-Object DeviceName -eq 'PC-B'
            $b.DeviceId | Should -Be 'aad-b'
            $b.Code | Should -Be 'FIXED'
            $b.Detection | Should -Be 'fail'
            $b.LastSeen | Should -Be ([datetime]::new(2026, 5, 28, 0, 0, 0, [System.DateTimeKind]::Utc))
            ($r.Devices | Where-Object DeviceName -eq 'PC-A').Code | Should -Be 'HEALTHY'
            # The string and the empty item name no device: counted, listed as unparsed.
            @($r.Unparsed | ForEach-Object ParseStatus) | Should -Be @('no_device', 'no_device')
            @($r.Unparsed.Origin) | Should -Be @('pipeline[0]', 'pipeline[3]')
        }

        It 'takes -ExpiringDays and -StaleDays' {
            $r = [PSCustomObject]@{ Name = 'PC-1'; Output = (New-Line -Expiry '2026-06-12'); ModifiedTime = '2026-05-25T00:00:00Z' } | Get-NymiFleetReport -Now $script:Now -ExpiringDays 14 -StaleDays 3
            $r.Expiring.Count | Should -Be 1
            $r.Stale.Count | Should -Be 1
            $r.ExpiringDays | Should -Be 14
        }
    }

    Context 'a remediation through Graph' {
        BeforeAll {
            # The Graph wrapper is the module's own once it has one; until
            # then a stand-in of the same name is found from the module.
            $script:standIn = -not (InModuleScope NymiDiag { [bool](Get-Command GetNymiFleetGraphRows -CommandType Function -ErrorAction SilentlyContinue) })
            if ($script:standIn) {
                function global:GetNymiFleetGraphRows { param([guid] $RemediationId, [string] $ApiVersion, $Cmdlet) }
            }
        }
        AfterAll {
            if ($script:standIn) { Remove-Item Function:\GetNymiFleetGraphRows -ErrorAction SilentlyContinue }
        }

        It 'rolls up the run states with the remediation id as origin' {
            Mock -ModuleName NymiDiag GetNymiFleetGraphRows {
                [PSCustomObject]@{ DeviceName = 'PC-1'; DeviceId = 'd-1'; Output = (New-Line); PostOutput = $null; LastSeen = [datetime]::new(2026, 5, 29, 0, 0, 0, [System.DateTimeKind]::Utc); Detection = 'fail' }
                [PSCustomObject]@{ DeviceName = 'PC-2'; DeviceId = 'd-2'; Output = ''; PostOutput = $null; LastSeen = $null; Detection = 'pending' }
            }
            $id = '0f6c1f7e-5d1a-4d55-9a39-3a8e3b1c2d4e'
            $r = Get-NymiFleetReport -RemediationId $id -Now $script:Now
            Should -Invoke -ModuleName NymiDiag GetNymiFleetGraphRows -Times 1 -ParameterFilter { [string]$RemediationId -eq $id -and $ApiVersion -eq 'beta' }
            $r.Source | Should -Be 'graph'
            $r.Total | Should -Be 2
            @($r.Devices.Origin) | Should -Be @($id, $id)
            @($r.Devices.Source) | Should -Be @('graph', 'graph')
            ($r.Devices | Where-Object DeviceName -eq 'PC-2').ParseStatus | Should -Be 'empty'
        }
    }

    Context 'errors' {
        It 'names a path that does not exist' {
            { Get-NymiFleetReport -Path (Join-Path $TestDrive 'nope.csv') } | Should -Throw -ErrorId 'NymiDiag.PathNotFound,Get-NymiFleetReport'
        }

        It 'names the columns found when the device or output column is missing' {
            $bad = Join-Path $TestDrive 'bad.csv'
            Set-Content -LiteralPath $bad -Value "Serial,Result2`n1,x" -Encoding UTF8
            $err = $null
            try { Get-NymiFleetReport -Path $bad } catch { $err = $_ }
            $err | Should -Not -BeNullOrEmpty
            $err.FullyQualifiedErrorId | Should -Be 'NymiDiag.RequestInvalid,Get-NymiFleetReport'
            $err.Exception.Message | Should -Match 'has no device column \(DeviceName'
            $err.Exception.Message | Should -Match "columns found: 'Serial', 'Result2'"
        }

        It 'refuses windows out of range' {
            { Get-NymiFleetReport -Path $TestDrive -ExpiringDays 5000 } | Should -Throw
        }
    }
}
