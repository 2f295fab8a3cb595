# The Graph reader of the fleet view (Private/FleetGraph.ps1): synthetic
# deviceRunStates pages shaped like Invoke-MgGraphRequest's hashtable
# output, served by a mock of InvokeNymiGraphRequest; retries sleep through
# a mock of WaitNymiGraphRetry, so no test waits for real.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    Import-Module $ManifestPath -Force

    $script:RemediationId = '6f1d2c3b-4a59-4e68-8d7c-0b1a2f3e4d5c'
    $script:FirstUri = '/beta/deviceManagement/deviceHealthScripts/{0}/deviceRunStates?$expand=managedDevice($select=id,deviceName,azureADDeviceId)' -f $RemediationId

    # The exception Invoke-MgGraphRequest throws for an HTTP error
    # (Microsoft.Graph.PowerShell.Authentication.Helpers.HttpResponseException:
    # an HttpRequestException with the HttpResponseMessage in Response), and
    # a WebException-style one whose Response has Headers indexed by name.
    if (-not ('NymiTest.GraphResponseException' -as [type])) {
        $references = @()
        if ($PSVersionTable.PSEdition -eq 'Desktop') {
            # .NET Framework keeps HttpClient's types in an assembly that
            # Windows PowerShell does not load by itself.
            Add-Type -AssemblyName System.Net.Http
            $references = @('System.Net.Http')
        }
        $source = @'
namespace NymiTest {
    public sealed class GraphResponseException : System.Net.Http.HttpRequestException {
        public GraphResponseException(string message, System.Net.Http.HttpResponseMessage response) : base(message) { Response = response; }
        public System.Net.Http.HttpResponseMessage Response { get; private set; }
    }
    public sealed class WebStyleResponse {
        public System.Net.HttpStatusCode StatusCode { get; set; }
        public System.Net.WebHeaderCollection Headers { get; set; }
    }
    public sealed class WebStyleException : System.Exception {
        public WebStyleException(string message, WebStyleResponse response) : base(message) { Response = response; }
        public WebStyleResponse Response { get; private set; }
    }
}
'@
        if ($references.Count -gt 0) { Add-Type -TypeDefinition $source -ReferencedAssemblies $references }
        else { Add-Type -TypeDefinition $source }
    }

    function New-RunState {
        # One deviceHealthScriptDeviceState as Invoke-MgGraphRequest's
        # hashtable output holds it (times already DateTime, UTC).
        param([int] $Index, [switch] $NoDevice)
        $deviceId = '{0:x8}-0000-4000-8000-{1:x12}' -f $Index, $Index
        $item = @{
            '@odata.type' = '#microsoft.graph.deviceHealthScriptDeviceState'
            id = '{0}:{1}' -f $RemediationId, $deviceId
            detectionState = 'fail'
            remediationState = 'skipped'
            lastStateUpdateDateTime = [datetime]::SpecifyKind(([datetime]'2026-11-30T08:00:00').AddMinutes($Index), 'Utc')
            preRemediationDetectionScriptOutput = 'STATUS=ISSUE v=1 code=NES_UNREACHABLE ksp=0/20 nes=nes.corp.example:443 stage=tcp finding=tcp_refused confidence=high expiry=none logs=none'
            postRemediationDetectionScriptOutput = $null
        }
        if (-not $NoDevice) {
            $item['managedDevice'] = @{ id = $deviceId; deviceName = ('TERM-{0:d5}' -f $Index); azureADDeviceId = [guid]::NewGuid().ToString() }
        }
        $item
    }

    function New-GraphPages {
        # uri -> page for $Count devices, $PageSize per page; pages listed in
        # $Empty (0-based) hold no item. The first page is at $FirstUri,
        # the others at absolute nextLinks.
        param([int] $Count, [int] $PageSize = 100, [int[]] $Empty = @())
        $pages = [ordered]@{}
        $uri = $FirstUri
        $index = 0
        $number = 0
        do {
            $items = @()
            if ($Empty -notcontains $number) {
                $take = [math]::Min($PageSize, $Count - $index)
                $items = @(for ($i = 0; $i -lt $take; $i++) { New-RunState -Index ($index + $i) })
                $index += $take
            }
            $page = @{ '@odata.context' = 'https://graph.microsoft.com/beta/$metadata#deviceManagement/deviceHealthScripts(''x'')/deviceRunStates'; value = $items }
            $number++
            $more = ($index -lt $Count) -or ($Empty | Where-Object { $_ -ge $number })
            $next = $null
            if ($more) {
                $next = 'https://graph.microsoft.com/beta/deviceManagement/deviceHealthScripts/{0}/deviceRunStates?$expand=managedDevice($select=id,deviceName,azureADDeviceId)&$skiptoken=page{1}' -f $RemediationId, $number
                $page['@odata.nextLink'] = $next
            }
            $pages[$uri] = $page
            $uri = $next
        } while ($uri)
        $pages
    }

    function Set-Graph {
        # What the mock serves: $Pages (uri -> page) and, per uri, errors
        # thrown before the page is served (a queue; 'forever' repeats).
        param([System.Collections.IDictionary] $Pages, [hashtable] $Failures = @{}, [switch] $Forever)
        $script:Graph = @{ Pages = $Pages; Failures = @{}; Forever = [bool]$Forever; Calls = New-Object System.Collections.Generic.List[string] }
        foreach ($key in $Failures.Keys) {
            $queue = New-Object System.Collections.Queue
            foreach ($failure in @($Failures[$key])) { $queue.Enqueue($failure) }
            $script:Graph.Failures[$key] = $queue
        }
    }

    function New-Failure {
        # The normalised error the wrapper throws.
        param([int] $Status, [string] $RetryAfter, [string] $Message = 'synthetic failure')
        InModuleScope NymiDiag -Parameters @{ S = $Status; R = $RetryAfter; M = $Message } {
            param($S, $R, $M)
            NewNymiGraphError -Status $S -RetryAfter $R -Message $M
        }
    }

    function Invoke-GraphRows {
        # GetNymiFleetGraphRows as a public command calls it; returns the
        # rows, or the ErrorRecord it stopped with.
        param([hashtable] $Arguments = @{})
        InModuleScope NymiDiag -Parameters @{ A = $Arguments; Id = $RemediationId } {
            param($A, $Id)
            function Read-TestGraph {
                [CmdletBinding()]
                param([hashtable] $Arguments, [string] $Id)
                GetNymiFleetGraphRows -RemediationId $Id -Cmdlet $PSCmdlet @Arguments
            }
            try { Read-TestGraph -Arguments $A -Id $Id }
            catch { $_ }
        }
    }
}

Describe 'GetNymiFleetGraphRows' {
    BeforeEach {
        $script:Waits = New-Object System.Collections.Generic.List[double]
        Mock -ModuleName NymiDiag WaitNymiGraphRetry { $script:Waits.Add($Seconds) }
        Mock -ModuleName NymiDiag InvokeNymiGraphRequest {
            $script:Graph.Calls.Add($Uri)
            $queue = $script:Graph.Failures[$Uri]
            if ($queue -and $queue.Count -gt 0) {
                $failure = $queue.Dequeue()
                if ($script:Graph.Forever) { $queue.Enqueue($failure) }
                throw $failure
            }
            if (-not $script:Graph.Pages.Contains($Uri)) { throw "no synthetic page at $Uri" }
            $script:Graph.Pages[$Uri]
        }
    }

    Context 'paging' {
        It 'reads <Count> device(s) over <PageCount> page(s)<Note>' -ForEach @(
            @{ Count = 0; PageSize = 100; Empty = @(); PageCount = 1; Note = '' }
            @{ Count = 1; PageSize = 100; Empty = @(); PageCount = 1; Note = '' }
            @{ Count = 250; PageSize = 100; Empty = @(); PageCount = 3; Note = '' }
            @{ Count = 250; PageSize = 100; Empty = @(1, 2); PageCount = 5; Note = ', two empty pages in the middle' }
            @{ Count = 10; PageSize = 5; Empty = @(2); PageCount = 3; Note = ', an empty last page' }
        ) {
            $pages = New-GraphPages -Count $Count -PageSize $PageSize -Empty $Empty
            $pages.Count | Should -Be $PageCount
            Set-Graph -Pages $pages
            $rows = @(Invoke-GraphRows)
            $rows.Count | Should -Be $Count
            @($rows | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] }) | Should -BeNullOrEmpty
            # Every page requested once, in order, the first by its relative URI.
            @($script:Graph.Calls) | Should -Be @($pages.Keys)
            $script:Graph.Calls[0] | Should -Be $FirstUri
            if ($Count -gt 0) {
                $rows[0].DeviceName | Should -Be 'TERM-00000'
                $rows[$Count - 1].DeviceName | Should -Be ('TERM-{0:d5}' -f ($Count - 1))
                @($rows.DeviceName | Sort-Object -Unique).Count | Should -Be $Count
            }
        }

        It 'maps every field of a run state' {
            $item = New-RunState -Index 7
            $item['postRemediationDetectionScriptOutput'] = 'STATUS=OK v=1 code=HEALTHY ksp=20/20'
            Set-Graph -Pages @{ $FirstUri = @{ value = @($item) } }
            $row = Invoke-GraphRows
            $row.DeviceName | Should -Be 'TERM-00007'
            $row.DeviceId | Should -Be $item.managedDevice.id
            $row.Output | Should -Be $item.preRemediationDetectionScriptOutput
            $row.PostOutput | Should -Be 'STATUS=OK v=1 code=HEALTHY ksp=20/20'
            $row.Detection | Should -Be 'fail'
            $row.LastSeen | Should -BeOfType [datetime]
            $row.LastSeen.Kind | Should -Be 'Utc'
            $row.LastSeen | Should -Be ([datetime]::SpecifyKind([datetime]'2026-11-30T08:07:00', 'Utc'))
            @($row.PSObject.Properties.Name) | Should -Be @('DeviceName', 'DeviceId', 'Output', 'PostOutput', 'LastSeen', 'Detection')
        }

        It 'reads times sent as text (<Text>) as UTC' -ForEach @(
            @{ Text = '2026-11-30T08:07:00Z'; Expected = '2026-11-30T08:07:00' }
            @{ Text = '2026-11-30T09:07:00+01:00'; Expected = '2026-11-30T08:07:00' }
            @{ Text = '2026-11-30T08:07:00.1234567Z'; Expected = '2026-11-30T08:07:00.1234567' }
        ) {
            $item = New-RunState -Index 1
            $item['lastStateUpdateDateTime'] = $Text
            Set-Graph -Pages @{ $FirstUri = @{ value = @($item) } }
            $row = Invoke-GraphRows
            $row.LastSeen.Kind | Should -Be 'Utc'
            $row.LastSeen | Should -Be ([datetime]::SpecifyKind([datetime]$Expected, 'Utc'))
        }

        It 'keeps a run state without a managed device, with its device id from the item id' {
            $item = New-RunState -Index 3 -NoDevice
            $bare = New-RunState -Index 4 -NoDevice
            $bare['id'] = 'not-a-pair'
            $bare['lastStateUpdateDateTime'] = $null
            $bare['preRemediationDetectionScriptOutput'] = $null
            Set-Graph -Pages @{ $FirstUri = @{ value = @($item, $bare) } }
            $rows = @(Invoke-GraphRows)
            $rows.Count | Should -Be 2
            $rows[0].DeviceName | Should -BeNullOrEmpty
            $rows[0].DeviceId | Should -Be '00000003-0000-4000-8000-000000000003'
            $rows[1].DeviceId | Should -BeNullOrEmpty
            $rows[1].LastSeen | Should -BeNullOrEmpty
            $rows[1].Output | Should -BeNullOrEmpty
        }

        It 'reads pages and items given as objects (-OutputType PSObject)' {
            $item = New-RunState -Index 9
            $item['managedDevice'] = [PSCustomObject]$item['managedDevice']
            $page = [PSCustomObject]@{ value = @([PSCustomObject]$item) }
            Set-Graph -Pages @{ $FirstUri = $page }
            $row = Invoke-GraphRows
            $row.DeviceName | Should -Be 'TERM-00009'
            $row.Output | Should -BeLike 'STATUS=ISSUE v=1 *'
            $row.LastSeen | Should -Be ([datetime]::SpecifyKind([datetime]'2026-11-30T08:09:00', 'Utc'))
        }

        It 'falls back to azureADDeviceId when the managed device has no id' {
            $item = New-RunState -Index 5
            $item.managedDevice.Remove('id')
            Set-Graph -Pages @{ $FirstUri = @{ value = @($item) } }
            (Invoke-GraphRows).DeviceId | Should -Be $item.managedDevice.azureADDeviceId
        }

        It 'reads 10,000 devices over 100 pages in seconds' {
            $pages = New-GraphPages -Count 10000 -PageSize 100
            Set-Graph -Pages $pages
            $clock = [System.Diagnostics.Stopwatch]::StartNew()
            $rows = @(Invoke-GraphRows)
            $clock.Stop()
            $rows.Count | Should -Be 10000
            $script:Graph.Calls.Count | Should -Be 100
            @($rows.DeviceId | Sort-Object -Unique).Count | Should -Be 10000
            $clock.Elapsed.TotalSeconds | Should -BeLessThan 30
        }

        It 'asks for <ApiVersion> when told' -ForEach @(@{ ApiVersion = 'v1.0' }, @{ ApiVersion = 'beta' }) {
            $uri = $FirstUri -replace '^/beta/', "/$ApiVersion/"
            Set-Graph -Pages @{ $uri = @{ value = @() } }
            @(Invoke-GraphRows -Arguments @{ ApiVersion = $ApiVersion }).Count | Should -Be 0
            $script:Graph.Calls[0] | Should -Be $uri
        }

        It 'stops at a next-page link it has followed before, saying how many devices were read' {
            $pages = New-GraphPages -Count 30 -PageSize 10
            $keys = @($pages.Keys)
            $pages[$keys[2]]['@odata.nextLink'] = $keys[1]
            Set-Graph -Pages $pages
            $record = Invoke-GraphRows
            $record | Should -BeOfType [System.Management.Automation.ErrorRecord]
            $record.FullyQualifiedErrorId | Should -BeLike 'NymiGraphPagingLoop*'
            $record.Exception.Message | Should -BeLike '*30 device(s) read from 3 page(s)*'
            $script:Graph.Calls.Count | Should -Be 3
        }

        It 'stops after -MaxPages pages when more remain' {
            Set-Graph -Pages (New-GraphPages -Count 50 -PageSize 10)
            $record = Invoke-GraphRows -Arguments @{ MaxPages = 3 }
            $record.FullyQualifiedErrorId | Should -BeLike 'NymiGraphPageLimit*'
            $record.Exception.Message | Should -BeLike '*after 3 page(s)*30 device(s) read*-MaxPages*'
            $script:Graph.Calls.Count | Should -Be 3
        }

        It 'reads exactly -MaxPages pages when that is all there is' {
            Set-Graph -Pages (New-GraphPages -Count 30 -PageSize 10)
            @(Invoke-GraphRows -Arguments @{ MaxPages = 3 }).Count | Should -Be 30
        }

        It 'refuses a page without a value list' {
            Set-Graph -Pages @{ $FirstUri = @{ error = 'odd' } }
            (Invoke-GraphRows).FullyQualifiedErrorId | Should -BeLike 'NymiGraphBadPage*'
        }
    }

    Context 'throttling and outages' {
        It 'waits as Retry-After says (<RetryAfter>) after a 429, then goes on' -ForEach @(
            @{ RetryAfter = '7'; Expected = 7 }
            @{ RetryAfter = '3600'; Expected = 60 }
            @{ RetryAfter = '0'; Expected = 1 }
        ) {
            $pages = New-GraphPages -Count 20 -PageSize 10
            $second = @($pages.Keys)[1]
            Set-Graph -Pages $pages -Failures @{ $second = @(New-Failure -Status 429 -RetryAfter $RetryAfter) }
            @(Invoke-GraphRows).Count | Should -Be 20
            @($script:Waits) | Should -Be @($Expected)
            @($script:Graph.Calls | Where-Object { $_ -eq $second }).Count | Should -Be 2
        }

        It 'says in verbose output which pages it read and which it retried' {
            Set-Graph -Pages (New-GraphPages -Count 15 -PageSize 10) -Failures @{ $FirstUri = @(New-Failure -Status 429 -RetryAfter '7') }
            $output = @(Invoke-GraphRows -Arguments @{ Verbose = $true } 4>&1)
            $verbose = @($output | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object { $_.Message })
            @($output | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] }).Count | Should -Be 15
            $verbose | Should -Contain 'NymiDiag: Graph answered 429 for page 1; retry 1 of 4 in 7 s (Retry-After: 7)'
            $verbose | Should -Contain 'NymiDiag: Graph page 2: 5 device(s), 15 in all'
            $verbose[-1] | Should -BeLike 'NymiDiag: read 15 device(s) of remediation * from 2 page(s) with 1 retries (7 s waited)'
        }

        It 'waits until the HTTP date of Retry-After' {
            Set-Graph -Pages (New-GraphPages -Count 5) -Failures @{ $FirstUri = @(New-Failure -Status 429 -RetryAfter ([datetime]::UtcNow.AddSeconds(30).ToString('r'))) }
            @(Invoke-GraphRows).Count | Should -Be 5
            $script:Waits.Count | Should -Be 1
            $script:Waits[0] | Should -BeGreaterThan 20
            $script:Waits[0] | Should -BeLessOrEqual 31
        }

        It 'backs off 2, 4, 8 s after 429s without Retry-After' {
            $failures = @(1..3 | ForEach-Object { New-Failure -Status 429 })
            Set-Graph -Pages (New-GraphPages -Count 5) -Failures @{ $FirstUri = $failures }
            @(Invoke-GraphRows).Count | Should -Be 5
            @($script:Waits) | Should -Be @(2, 4, 8)
        }

        It 'retries a <Status> and goes on' -ForEach @(@{ Status = 503 }, @{ Status = 504 }) {
            Set-Graph -Pages (New-GraphPages -Count 15 -PageSize 10) -Failures @{ $FirstUri = @(New-Failure -Status $Status) }
            @(Invoke-GraphRows).Count | Should -Be 15
            @($script:Waits) | Should -Be @(2)
        }

        It 'gives up after 4 retries of a page that keeps answering <Status>' -ForEach @(
            @{ Status = 503; ErrorId = 'NymiGraphUnavailable' }
            @{ Status = 429; ErrorId = 'NymiGraphThrottled' }
        ) {
            $pages = New-GraphPages -Count 20 -PageSize 10
            $second = @($pages.Keys)[1]
            Set-Graph -Pages $pages -Failures @{ $second = @(New-Failure -Status $Status) } -Forever
            $record = Invoke-GraphRows
            $record.FullyQualifiedErrorId | Should -BeLike "$ErrorId*"
            $record.Exception.Message | Should -BeLike '*after 4 retries*10 device(s) read from 1 page(s)*'
            @($script:Graph.Calls | Where-Object { $_ -eq $second }).Count | Should -Be 5
            @($script:Waits) | Should -Be @(2, 4, 8, 16)
        }

        It 'stops when a wait would pass -TimeoutSec' {
            Set-Graph -Pages (New-GraphPages -Count 5) -Failures @{ $FirstUri = @(New-Failure -Status 429 -RetryAfter '45') }
            $record = Invoke-GraphRows -Arguments @{ TimeoutSec = 30 }
            $record.FullyQualifiedErrorId | Should -BeLike 'NymiGraphTimeout*'
            $record.Exception.Message | Should -BeLike '*longer than 30 s*0 device(s) read*'
            $script:Waits.Count | Should -Be 0
        }
    }

    Context 'the time bound' {
        It 'stops before the next page once -TimeoutSec has passed, saying how many devices were read' {
            $script:Clock = 0
            # Each page takes 40 s of the (mocked) clock.
            Mock -ModuleName NymiDiag GetNymiGraphElapsed { $script:Clock; $script:Clock += 40 }
            Set-Graph -Pages (New-GraphPages -Count 50 -PageSize 10)
            $record = Invoke-GraphRows -Arguments @{ TimeoutSec = 100 }
            $record.FullyQualifiedErrorId | Should -BeLike 'NymiGraphTimeout*'
            $record.Exception.Message | Should -BeLike '*longer than 100 s*30 device(s) read from 3 page(s)*'
            $script:Graph.Calls.Count | Should -Be 3
        }
    }

    Context 'refusals' {
        It 'stops at once on <Status> with the permission or the sign-in to fix' -ForEach @(
            @{ Status = 401; ErrorId = 'NymiGraphUnauthorized'; Text = '*401*Connect-MgGraph -Scopes DeviceManagementConfiguration.Read.All*10 device(s) read*' }
            @{ Status = 403; ErrorId = 'NymiGraphForbidden'; Text = '*403*DeviceManagementConfiguration.Read.All*DeviceManagementManagedDevices.Read.All*10 device(s) read*' }
            @{ Status = 404; ErrorId = 'NymiGraphNotFound'; Text = '*no remediation*6f1d2c3b-4a59-4e68-8d7c-0b1a2f3e4d5c*404*' }
            @{ Status = 400; ErrorId = 'NymiGraphFailed'; Text = '*HTTP 400*synthetic failure*' }
            @{ Status = 0; ErrorId = 'NymiGraphFailed'; Text = '*no HTTP status*Connect-MgGraph*' }
        ) {
            $pages = New-GraphPages -Count 20 -PageSize 10
            $second = @($pages.Keys)[1]
            Set-Graph -Pages $pages -Failures @{ $second = @(New-Failure -Status $Status) } -Forever
            $record = Invoke-GraphRows
            $record.FullyQualifiedErrorId | Should -BeLike "$ErrorId*"
            $record.Exception.Message | Should -BeLike $Text
            @($script:Graph.Calls | Where-Object { $_ -eq $second }).Count | Should -Be 1
            $script:Waits.Count | Should -Be 0
        }
    }
}

Describe 'InvokeNymiGraphRequest' {
    AfterEach {
        Remove-Item Function:\Invoke-MgGraphRequest -ErrorAction SilentlyContinue
    }

    It 'names the module to install and the sign-in when Invoke-MgGraphRequest is missing' {
        Mock -ModuleName NymiDiag GetNymiGraphCommand { $null }
        $record = Invoke-GraphRows
        $record | Should -BeOfType [System.Management.Automation.ErrorRecord]
        $record.FullyQualifiedErrorId | Should -BeLike 'NymiGraphModuleMissing*'
        $record.CategoryInfo.Category | Should -Be 'NotInstalled'
        $record.Exception.Message | Should -BeLike '*Install-Module Microsoft.Graph.Authentication*Connect-MgGraph -Scopes DeviceManagementConfiguration.Read.All*-Path*'
    }

    It 'asks Invoke-MgGraphRequest for a hashtable and passes the page on' {
        function global:Invoke-MgGraphRequest {
            param([string] $Method, [string] $Uri, [string] $OutputType)
            $global:NymiTestGraphCall = @{ Method = $Method; Uri = $Uri; OutputType = $OutputType }
            @{ value = @(@{ id = 'a:b'; detectionState = 'success' }) }
        }
        $page = InModuleScope NymiDiag {
            function Read-TestPage {
                [CmdletBinding()] param()
                InvokeNymiGraphRequest -Uri '/beta/x' -Cmdlet $PSCmdlet
            }
            Read-TestPage
        }
        $page.value[0].detectionState | Should -Be 'success'
        $global:NymiTestGraphCall.Method | Should -Be 'GET'
        $global:NymiTestGraphCall.Uri | Should -Be '/beta/x'
        $global:NymiTestGraphCall.OutputType | Should -Be 'HashTable'
        Remove-Variable -Scope Global -Name NymiTestGraphCall
    }

    It 'turns the HttpResponseException of Invoke-MgGraphRequest into status, Retry-After and Graph''s message' {
        function global:Invoke-MgGraphRequest {
            param([string] $Method, [string] $Uri, [string] $OutputType)
            $response = New-Object System.Net.Http.HttpResponseMessage ([System.Net.HttpStatusCode]429)
            $response.Headers.RetryAfter = New-Object System.Net.Http.Headers.RetryConditionHeaderValue ([timespan]::FromSeconds(12))
            $exception = New-Object NymiTest.GraphResponseException ('Response status code does not indicate success: TooManyRequests (Too Many Requests).', $response)
            $record = New-Object System.Management.Automation.ErrorRecord ($exception, 'InvokeGraphHttpResponseException', 'InvalidOperation', $null)
            $record.ErrorDetails = New-Object System.Management.Automation.ErrorDetails '{"error":{"code":"TooManyRequests","message":"Too many requests, retry later."}}'
            throw $record
        }
        $failure = InModuleScope NymiDiag {
            function Read-TestPage {
                [CmdletBinding()] param()
                InvokeNymiGraphRequest -Uri '/beta/x' -Cmdlet $PSCmdlet
            }
            try { Read-TestPage } catch { $_.Exception }
        }
        $failure.Data['NymiGraphStatus'] | Should -Be 429
        $failure.Data['NymiGraphRetryAfter'] | Should -Be '12'
        $failure.Data['NymiGraphCode'] | Should -Be 'TooManyRequests'
        $failure.Message | Should -Be 'Too many requests, retry later.'
    }
}

Describe 'ConvertNymiGraphError' {
    BeforeAll {
        function Convert-TestError {
            param([System.Exception] $Exception, [string] $Details)
            $record = New-Object System.Management.Automation.ErrorRecord ($Exception, 'X', 'InvalidOperation', $null)
            if ($Details) { $record.ErrorDetails = New-Object System.Management.Automation.ErrorDetails $Details }
            InModuleScope NymiDiag -Parameters @{ R = $record } { param($R) ConvertNymiGraphError -ErrorRecord $R }
        }
    }

    It 'reads an HttpResponseMessage wrapped in another exception, with a Retry-After date' {
        $response = New-Object System.Net.Http.HttpResponseMessage ([System.Net.HttpStatusCode]503)
        $date = [System.DateTimeOffset]::new(2026, 12, 1, 16, 0, 0, [timespan]::Zero)
        $response.Headers.RetryAfter = New-Object System.Net.Http.Headers.RetryConditionHeaderValue ($date)
        $inner = New-Object NymiTest.GraphResponseException ('Response status code does not indicate success: ServiceUnavailable (Service Unavailable).', $response)
        $outer = New-Object System.AggregateException ('One or more errors occurred.', [System.Exception[]]@($inner))
        $failure = Convert-TestError -Exception $outer
        $failure.Data['NymiGraphStatus'] | Should -Be 503
        $failure.Data['NymiGraphRetryAfter'] | Should -Be 'Tue, 01 Dec 2026 16:00:00 GMT'
    }

    It 'reads a response whose headers are indexed by name (Windows PowerShell web cmdlets)' {
        $headers = New-Object System.Net.WebHeaderCollection
        $headers.Add('Retry-After', '5')
        $response = New-Object NymiTest.WebStyleResponse
        $response.StatusCode = [System.Net.HttpStatusCode]429
        $response.Headers = $headers
        $failure = Convert-TestError -Exception (New-Object NymiTest.WebStyleException ('The remote server returned an error: (429).', $response))
        $failure.Data['NymiGraphStatus'] | Should -Be 429
        $failure.Data['NymiGraphRetryAfter'] | Should -Be '5'
    }

    It 'reads the status from the message alone: <Text>' -ForEach @(
        @{ Text = 'Response status code does not indicate success: 429 ().'; Status = 429 }
        @{ Text = 'Response status code does not indicate success: TooManyRequests (Too Many Requests).'; Status = 429 }
        @{ Text = 'Response status code does not indicate success: Forbidden (Forbidden).'; Status = 403 }
        @{ Text = 'Authentication needed. Please call Connect-MgGraph.'; Status = 0 }
    ) {
        $failure = Convert-TestError -Exception (New-Object System.Exception $Text)
        $failure.Data['NymiGraphStatus'] | Should -Be $Status
        $failure.Message | Should -Be $Text
    }

    It 'keeps a body that is not JSON as the message' {
        $failure = Convert-TestError -Exception (New-Object System.Exception 'Response status code does not indicate success: 502 ().') -Details '<html>Bad gateway</html>'
        $failure.Data['NymiGraphStatus'] | Should -Be 502
        $failure.Message | Should -Be '<html>Bad gateway</html>'
    }
}

Describe 'GetNymiGraphRetryDelay' {
    It 'waits <Expected> s before retry <Attempt> with Retry-After <RetryAfter>' -ForEach @(
        @{ Attempt = 1; RetryAfter = ''; Expected = 2 }
        @{ Attempt = 2; RetryAfter = $null; Expected = 4 }
        @{ Attempt = 4; RetryAfter = ''; Expected = 16 }
        @{ Attempt = 9; RetryAfter = ''; Expected = 60 }
        @{ Attempt = 1; RetryAfter = '10'; Expected = 10 }
        @{ Attempt = 1; RetryAfter = '2.5'; Expected = 2.5 }
        @{ Attempt = 3; RetryAfter = '999'; Expected = 60 }
        @{ Attempt = 1; RetryAfter = '-3'; Expected = 1 }
        @{ Attempt = 2; RetryAfter = 'soon'; Expected = 4 }
        @{ Attempt = 1; RetryAfter = 'Tue, 01 Dec 2026 16:00:20 GMT'; Expected = 20 }
        @{ Attempt = 1; RetryAfter = 'Tue, 01 Dec 2026 15:00:00 GMT'; Expected = 1 }
    ) {
        $now = [datetime]::SpecifyKind([datetime]'2026-12-01T16:00:00', 'Utc')
        InModuleScope NymiDiag -Parameters @{ A = $Attempt; R = $RetryAfter; N = $now } {
            param($A, $R, $N)
            GetNymiGraphRetryDelay -Attempt $A -RetryAfter $R -Now $N
        } | Should -Be $Expected
    }
}
