# Send-NymiReport against a loopback Logs Ingestion endpoint started here:
# a small HTTP/1.1 server on 127.0.0.1 (TcpListener in its own runspace, so
# it can also accept and never answer) that records every request and
# answers from a script the test sets: 204 by default, 413 above a size the
# test sets, else the scripted codes in order.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    Import-Module $ManifestPath -Force

    $script:TablePath = Join-Path $RepoRoot 'powershell/Fleet/NymiDiagFleet_CL.table.json'
    $script:TableColumns = @((Get-Content -Raw $TablePath | ConvertFrom-Json).properties.schema.columns)
    $script:Dcr = 'dcr-00112233445566778899aabbccddeeff'
    $script:TokenText = 'tok-' + [guid]::NewGuid().ToString('N')
    $script:Token = ConvertTo-SecureString -String $TokenText -AsPlainText -Force

    $serverScript = {
        param($Listener, $State)
        $held = New-Object System.Collections.ArrayList
        $ascii = [System.Text.Encoding]::ASCII
        while (-not $State.Stop) {
            if (-not $Listener.Pending()) { Start-Sleep -Milliseconds 5; continue }
            $client = $Listener.AcceptTcpClient()
            try {
                $stream = $client.GetStream()
                $stream.ReadTimeout = 10000
                $data = New-Object System.IO.MemoryStream
                $buffer = New-Object byte[] 65536
                $headEnd = -1
                while ($headEnd -lt 0) {
                    $n = $stream.Read($buffer, 0, $buffer.Length)
                    if ($n -le 0) { break }
                    $data.Write($buffer, 0, $n)
                    $headEnd = $ascii.GetString($data.ToArray()).IndexOf("`r`n`r`n")
                }
                if ($headEnd -lt 0) { continue }
                $all = $data.ToArray()
                $lines = $ascii.GetString($all, 0, $headEnd).Split(@("`r`n"), [System.StringSplitOptions]::None)
                $requestLine = $lines[0].Split(' ')
                $headers = New-Object 'System.Collections.Generic.Dictionary[string,string]' ([System.StringComparer]::OrdinalIgnoreCase)
                foreach ($line in $lines[1..($lines.Length - 1)]) {
                    $colon = $line.IndexOf(':')
                    if ($colon -gt 0) { $headers[$line.Substring(0, $colon).Trim()] = $line.Substring($colon + 1).Trim() }
                }
                $length = 0
                if ($headers.ContainsKey('Content-Length')) { $length = [int]$headers['Content-Length'] }
                $body = New-Object System.IO.MemoryStream
                $body.Write($all, $headEnd + 4, $all.Length - $headEnd - 4)
                while ($body.Length -lt $length) {
                    $n = $stream.Read($buffer, 0, $buffer.Length)
                    if ($n -le 0) { break }
                    $body.Write($buffer, 0, $n)
                }
                $raw = $body.ToArray()
                $plain = $raw
                if ($headers.ContainsKey('Content-Encoding') -and $headers['Content-Encoding'] -eq 'gzip') {
                    $gzip = New-Object System.IO.Compression.GZipStream ((New-Object System.IO.MemoryStream (, $raw)), [System.IO.Compression.CompressionMode]::Decompress)
                    $out = New-Object System.IO.MemoryStream
                    $gzip.CopyTo($out)
                    $gzip.Dispose()
                    $plain = $out.ToArray()
                }
                $target = $requestLine[1]
                $query = ''
                $mark = $target.IndexOf('?')
                if ($mark -ge 0) { $query = $target.Substring($mark + 1); $target = $target.Substring(0, $mark) }
                [void]$State.Requests.Add([PSCustomObject]@{
                        Method = $requestLine[0]; Path = $target; Query = $query; Headers = $headers
                        RawLength = $raw.Length; Length = $plain.Length; Text = [System.Text.Encoding]::UTF8.GetString($plain)
                    })
                $action = $null
                if ($State.Script.Count -gt 0) { $action = [string]$State.Script.Dequeue() }
                if (-not $action) {
                    $action = '204'
                    if ($State.TooLarge -gt 0 -and $plain.Length -gt $State.TooLarge) { $action = '413' }
                }
                if ($action -eq 'stall') {
                    # Keep the connection open, never answer.
                    [void]$held.Add($client)
                    $client = $null
                    continue
                }
                $parts = $action.Split(':')
                $code = [int]$parts[0]
                $extra = ''
                if ($parts.Length -gt 1) { $extra = "Retry-After: $($parts[1])`r`n" }
                $text = ''
                if ($code -ge 400) { $text = '{"error":{"code":"Test' + $code + '","message":"scripted answer ' + $code + '"}}' }
                $payload = [System.Text.Encoding]::UTF8.GetBytes($text)
                $head = "HTTP/1.1 $code Scripted`r`nContent-Type: application/json`r`nContent-Length: $($payload.Length)`r`nConnection: close`r`n$extra`r`n"
                $headBytes = $ascii.GetBytes($head)
                $stream.Write($headBytes, 0, $headBytes.Length)
                $stream.Write($payload, 0, $payload.Length)
                $stream.Flush()
            }
            catch { [void]$State.Errors.Add($_.ToString()) }
            finally { if ($null -ne $client) { $client.Close() } }
        }
        foreach ($c in $held) { $c.Close() }
    }

    $script:Listener = New-Object System.Net.Sockets.TcpListener ([System.Net.IPAddress]::Loopback, 0)
    $Listener.Start()
    $script:Port = $Listener.LocalEndpoint.Port
    $script:Endpoint = "http://127.0.0.1:$Port"
    $script:State = [hashtable]::Synchronized(@{
            Stop = $false
            Requests = [System.Collections.ArrayList]::Synchronized((New-Object System.Collections.ArrayList))
            Errors = [System.Collections.ArrayList]::Synchronized((New-Object System.Collections.ArrayList))
            Script = [System.Collections.Queue]::Synchronized((New-Object System.Collections.Queue))
            TooLarge = 0
        })
    $script:Server = [powershell]::Create()
    [void]$Server.AddScript($serverScript.ToString()).AddArgument($Listener).AddArgument($State)
    $script:ServerHandle = $Server.BeginInvoke()

    function Reset-Endpoint {
        param([string[]] $Script = @(), [int] $TooLarge = 0)
        $State.Requests.Clear()
        $State.Script.Clear()
        foreach ($step in $Script) { $State.Script.Enqueue($step) }
        $State.TooLarge = $TooLarge
    }

    function New-FleetRow {
        # A row with every property of the fleet contract, typed as the
        # FleetDevice class types them.
        param([int] $Index)
        $now = [datetime]::SpecifyKind([datetime]'2026-12-01T10:00:00', 'Utc')
        [PSCustomObject]@{
            DeviceName = 'TERM-{0:d5}' -f $Index; DeviceId = [guid]::NewGuid().ToString(); Status = 'ISSUE'
            Code = 'NES_UNREACHABLE'; ParseStatus = 'ok'; ParseProblem = $null; Version = 1; Ksp = '8/20'
            KspFound = 8; KspExpected = 20; Nes = 'nes.corp.example:443'; Stage = 'tls'; Finding = 'tls.handshake_failed'
            Confidence = 'high'; Expiry = $now.Date.AddDays(23); ExpiresInDays = 23; Site = 'plant-a'
            Logs = 'wgss.tls_fail'; Detail = $null; Repair = $null; Detection = 'fail'; LastSeen = $now
            Source = 'csv'; Origin = "C:\exports\runstates.csv:$Index"
            Line = 'STATUS=ISSUE v=1 code=NES_UNREACHABLE ksp=8/20 nes=nes.corp.example:443 stage=tls finding=tls.handshake_failed confidence=high expiry=2026-12-24 site=plant-a logs=wgss.tls_fail'
        }
    }

    function New-FleetRows {
        # $Count rows, TERM-00001 onwards: copies of one row (New-FleetRow
        # for each would cost more than the sending under test).
        param([int] $Count)
        $template = New-FleetRow 0
        foreach ($i in 1..$Count) {
            $row = $template.PSObject.Copy()
            $row.DeviceName = 'TERM-{0:d5}' -f $i
            $row.Origin = "C:\exports\runstates.csv:$i"
            $row
        }
    }

    function Get-SendArguments {
        # The parameters most tests send with, and $Extra.
        param([hashtable] $Extra = @{})
        $arguments = @{ Endpoint = $Endpoint; DcrImmutableId = $Dcr; AccessToken = $Token; TimeoutSec = 5; MaxRetries = 2 }
        foreach ($key in $Extra.Keys) { $arguments[$key] = $Extra[$key] }
        $arguments
    }

    function Send-Rows {
        param([object[]] $Rows, [hashtable] $Extra = @{})
        $arguments = Get-SendArguments $Extra
        $Rows | Send-NymiReport @arguments
    }

    $script:Rows2000 = @(New-FleetRows 2000)

    function Get-SentDevice {
        # The DeviceName of every row of every request (or of $Requests),
        # read by a pattern: ConvertFrom-Json of 12,000 rows would take
        # longer than sending them.
        param([object[]] $Requests = @($State.Requests))
        foreach ($request in $Requests) {
            foreach ($match in [regex]::Matches($request.Text, '"DeviceName":"(TERM-\d+)"')) { $match.Groups[1].Value }
        }
    }

    function Get-DistinctCount {
        param([string[]] $Names)
        $set = New-Object 'System.Collections.Generic.HashSet[string]' (, $Names)
        $set.Count
    }
}

AfterAll {
    $State.Stop = $true
    $Listener.Stop()
    [void]$Server.EndInvoke($ServerHandle)
    $Server.Dispose()
}

Describe 'Send-NymiReport request shape' {
    BeforeAll {
        Reset-Endpoint
        $script:Result = Send-Rows -Rows @(1..3 | ForEach-Object { New-FleetRow $_ })
        $script:Request = @($State.Requests)[0]
        $script:Parsed = @($Request.Text | ConvertFrom-Json)
    }

    It 'sends every row in one request and says so' {
        @($State.Requests).Count | Should -Be 1
        $Result.PSObject.TypeNames[0] | Should -Be 'NymiDiag.SendResult'
        $Result.Rows | Should -Be 3
        $Result.Sent | Should -Be 3
        $Result.Failed | Should -Be 0
        $Result.Batches | Should -Be 1
        $Result.Retries | Should -Be 0
        @($Result.Errors).Count | Should -Be 0
    }

    It 'posts to the documented path with api-version 2023-01-01' {
        $Request.Method | Should -Be 'POST'
        $Request.Path | Should -Be "/dataCollectionRules/$Dcr/streams/Custom-NymiDiagFleet_CL"
        $Request.Query | Should -Be 'api-version=2023-01-01'
    }

    It 'sends the bearer token, application/json and a gzip body' {
        $Request.Headers['Authorization'] | Should -BeExactly "Bearer $TokenText"
        $Request.Headers['Content-Type'] | Should -Be 'application/json'
        $Request.Headers['Content-Encoding'] | Should -Be 'gzip'
        $Request.RawLength | Should -BeLessThan $Request.Length
    }

    It 'sends a JSON array of at most 1 MB whose rows have exactly the table''s columns' {
        $Request.Length | Should -BeLessOrEqual 1000000
        $Request.Text | Should -Match '^\['
        $Parsed.Count | Should -Be 3
        $expected = @($TableColumns | ForEach-Object name)
        foreach ($row in $Parsed) {
            @($row.PSObject.Properties.Name) | Should -Be $expected
        }
    }

    It 'writes TimeGenerated on every row as ISO 8601 UTC, the time of sending' {
        $times = [regex]::Matches($Request.Text, '"TimeGenerated":"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)"')
        $times.Count | Should -Be 3
        $sent = [datetime]::Parse($times[0].Groups[1].Value, [cultureinfo]::InvariantCulture, 'AdjustToUniversal')
        ([datetime]::UtcNow - $sent).TotalMinutes | Should -BeLessThan 5
    }

    It 'writes each column as its type: int as a number, datetime as ISO 8601 UTC, string as text, null as null' {
        $Request.Text | Should -Match '"Version":1,'
        $Request.Text | Should -Match '"KspFound":8,"KspExpected":20,'
        $Request.Text | Should -Match '"Expiry":"2026-12-24T00:00:00\.0000000Z"'
        $Request.Text | Should -Match '"LastSeen":"2026-12-01T10:00:00\.0000000Z"'
        $Request.Text | Should -Match '"ParseProblem":null,'
        $Request.Text | Should -Match ('"Collector":"' + [regex]::Escape([System.Environment]::MachineName) + '"')
        $Parsed[0].Origin | Should -Be 'C:\exports\runstates.csv:1'
    }
}

Describe 'Send-NymiReport input' {
    It 'sends the Devices of a fleet report' {
        Reset-Endpoint
        $report = [PSCustomObject]@{ PSTypeName = 'NymiDiag.FleetReport'; Devices = @(New-FleetRow 1; New-FleetRow 2); Total = 2 }
        $result = $report | Send-NymiReport -Endpoint $Endpoint -DcrImmutableId $Dcr -AccessToken $Token
        $result.Sent | Should -Be 2
        @(Get-SentDevice) | Should -Be @('TERM-00001', 'TERM-00002')
    }

    It 'converts the text of an exported CSV to the column types; a value that does not convert is sent as null and counted' {
        Reset-Endpoint
        $csv = Join-Path $TestDrive 'devices.csv'
        @(New-FleetRow 1; New-FleetRow 2) | Export-Csv -Path $csv -NoTypeInformation
        $rows = @(Import-Csv $csv)
        $rows[1].KspFound = 'eight'
        $warnings = $null
        $result = $rows | Send-NymiReport -Endpoint $Endpoint -DcrImmutableId $Dcr -AccessToken $Token -WarningVariable warnings -WarningAction SilentlyContinue
        $result.Sent | Should -Be 2
        $result.Unconverted | Should -Be 1
        "$warnings" | Should -Match 'KspFound 1'
        $text = @($State.Requests)[0].Text
        $text | Should -Match '"DeviceName":"TERM-00001","DeviceId":"[^"]+","Status":"ISSUE","Code":"NES_UNREACHABLE","ParseStatus":"ok","ParseProblem":"","Version":1,'
        $text | Should -Match '"KspFound":8,'
        $text | Should -Match '"KspFound":null,'
        ([regex]::Matches($text, '"Expiry":"2026-12-24T00:00:00\.0000000Z"')).Count | Should -Be 2
    }

    It 'takes hashtables, escapes JSON text and keeps non-ASCII text' {
        Reset-Endpoint
        $zurich = 'Z' + [char]0x00FC + 'rich'
        $row = @{ DeviceName = "T`"1\x`t"; Site = $zurich; KspFound = '12'; Expiry = [datetimeoffset]'2026-12-24T01:00:00+01:00' }
        $result = $row | Send-NymiReport -Endpoint $Endpoint -DcrImmutableId $Dcr -AccessToken $Token
        $result.Sent | Should -Be 1
        $parsed = @(@($State.Requests)[0].Text | ConvertFrom-Json)
        $parsed[0].DeviceName | Should -BeExactly "T`"1\x`t"
        $parsed[0].Site | Should -BeExactly $zurich
        $parsed[0].KspFound | Should -Be 12
        @($State.Requests)[0].Text | Should -Match '"Expiry":"2026-12-24T00:00:00\.0000000Z"'
    }

    It 'counts an input that is not a device row as failed and sends the others' {
        Reset-Endpoint
        $result = @('just text', (New-FleetRow 1), [PSCustomObject]@{ Name = 'x' }) |
            Send-NymiReport -Endpoint $Endpoint -DcrImmutableId $Dcr -AccessToken $Token -ErrorVariable problems -ErrorAction SilentlyContinue
        $result.Rows | Should -Be 3
        $result.Sent | Should -Be 1
        $result.Failed | Should -Be 2
        $result.Errors | Should -Match 'not a fleet device row'
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'NymiDiag.RowsNotSent*'
    }
}

Describe 'Send-NymiReport batches' {
    It 'sends 12,000 rows exactly once each, in several batches of at most 1 MB' {
        Reset-Endpoint
        $rows = New-FleetRows 12000
        $result = Send-Rows -Rows $rows
        $result.Sent | Should -Be 12000
        $result.Failed | Should -Be 0
        $result.Batches | Should -BeGreaterThan 1
        @($State.Requests).Count | Should -Be $result.Batches
        foreach ($request in @($State.Requests)) { $request.Length | Should -BeLessOrEqual 1000000 }
        $names = @(Get-SentDevice)
        $names.Count | Should -Be 12000
        Get-DistinctCount $names | Should -Be 12000
    }

    It 'splits a batch the endpoint refuses as too large (413) and sends each half' {
        Reset-Endpoint -TooLarge 150000
        $rows = New-FleetRows 1000
        $result = Send-Rows -Rows $rows
        $result.Sent | Should -Be 1000
        $result.Failed | Should -Be 0
        $refused = @(@($State.Requests) | Where-Object { $_.Length -gt 150000 })
        $refused.Count | Should -BeGreaterThan 0
        $accepted = @(@($State.Requests) | Where-Object { $_.Length -le 150000 })
        $accepted.Count | Should -Be $result.Batches
        $names = @(Get-SentDevice -Requests $accepted)
        $names.Count | Should -Be 1000
        Get-DistinctCount $names | Should -Be 1000
    }

    It 'fails a single row the endpoint refuses as too large, and sends the rest' {
        Reset-Endpoint -TooLarge 1500
        $rows = @(New-FleetRow 1; New-FleetRow 2)
        $rows[1].Line = 'x' * 2000
        $result = Send-Rows -Rows $rows -Extra @{ ErrorAction = 'SilentlyContinue' }
        $result.Sent | Should -Be 1
        $result.Failed | Should -Be 1
        $result.Errors | Should -Match '413'
    }

    It 'fails a row over 1 MB without sending it' {
        Reset-Endpoint
        $rows = @(New-FleetRow 1; New-FleetRow 2)
        $rows[0].Line = 'x' * 1000001
        $result = Send-Rows -Rows $rows -Extra @{ ErrorAction = 'SilentlyContinue' }
        $result.Sent | Should -Be 1
        $result.Failed | Should -Be 1
        $result.Errors | Should -Match 'larger than the 1000000-byte limit'
        @(Get-SentDevice) | Should -Be @('TERM-00002')
    }
}

Describe 'Send-NymiReport answers' {
    BeforeEach {
        Mock -ModuleName NymiDiag WaitNymiRetry { }
    }

    It 'waits for Retry-After after a 429, then sends once' {
        Reset-Endpoint -Script '429:7'
        $result = Send-Rows -Rows @(New-FleetRow 1)
        $result.Sent | Should -Be 1
        $result.Retries | Should -Be 1
        $result.Requests | Should -Be 2
        Should -Invoke -ModuleName NymiDiag WaitNymiRetry -Times 1 -Exactly -ParameterFilter { $Seconds -eq 7 }
        @(Get-SentDevice) | Should -Be @('TERM-00001', 'TERM-00001')
        @($State.Requests)[1].Headers['Authorization'] | Should -BeExactly "Bearer $TokenText"
    }

    It 'caps a long Retry-After' {
        Reset-Endpoint -Script '429:3600'
        $result = Send-Rows -Rows @(New-FleetRow 1)
        $result.Sent | Should -Be 1
        Should -Invoke -ModuleName NymiDiag WaitNymiRetry -Times 1 -Exactly -ParameterFilter { $Seconds -eq 60 }
    }

    It 'backs off within a bound after a 429 without Retry-After' {
        Reset-Endpoint -Script '429', '429'
        $result = Send-Rows -Rows @(New-FleetRow 1)
        $result.Sent | Should -Be 1
        $result.Retries | Should -Be 2
        Should -Invoke -ModuleName NymiDiag WaitNymiRetry -Times 1 -Exactly -ParameterFilter { $Seconds -eq 1 }
        Should -Invoke -ModuleName NymiDiag WaitNymiRetry -Times 1 -Exactly -ParameterFilter { $Seconds -eq 2 }
    }

    It 'retries after a 500 and sends' {
        Reset-Endpoint -Script '500'
        $result = Send-Rows -Rows @(New-FleetRow 1)
        $result.Sent | Should -Be 1
        $result.Failed | Should -Be 0
        $result.Retries | Should -Be 1
    }

    It 'fails the batch when 5xx outlasts the retries, with the reason, and sends the next batch' {
        Reset-Endpoint -Script '503', '503', '503'
        $rows = $Rows2000
        $arguments = Get-SendArguments
        $result = $rows | Send-NymiReport @arguments -ErrorVariable problems -ErrorAction SilentlyContinue
        $result.Batches | Should -Be 1
        $result.Failed | Should -Be ($result.Rows - $result.Sent)
        $result.Sent | Should -BeGreaterThan 0
        $result.Failed | Should -BeGreaterThan 0
        $result.Retries | Should -Be 2
        $result.Errors | Should -Match 'HTTP 503 .*after 2 retries.*scripted answer 503'
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'NymiDiag.RowsNotSent*'
    }

    It 'stops at once on 401 with a clear error, without retrying' {
        Reset-Endpoint -Script '401'
        $rows = $Rows2000
        $arguments = Get-SendArguments
        $result = $rows | Send-NymiReport @arguments -ErrorVariable problems -ErrorAction SilentlyContinue
        @($State.Requests).Count | Should -Be 1
        $result.Sent | Should -Be 0
        $result.Failed | Should -Be 2000
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'NymiDiag.IngestionUnauthorized*'
        "$($problems[0])" | Should -Match 'https://monitor.azure.com'
        Should -Invoke -ModuleName NymiDiag WaitNymiRetry -Times 0 -Exactly
    }

    It 'stops at once on 403 and names the role and the 30-minute delay' {
        Reset-Endpoint -Script '403'
        $arguments = Get-SendArguments
        $result = @(New-FleetRow 1; New-FleetRow 2) | Send-NymiReport @arguments -ErrorVariable problems -ErrorAction SilentlyContinue
        @($State.Requests).Count | Should -Be 1
        $result.Failed | Should -Be 2
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'NymiDiag.IngestionForbidden*'
        "$($problems[0])" | Should -Match 'Monitoring Metrics Publisher'
        "$($problems[0])" | Should -Match '30 minutes'
        "$($problems[0])" | Should -Match $Dcr
    }

    It 'ends a stalled endpoint at TimeoutSec per request and counts the rows failed' {
        Reset-Endpoint -Script 'stall', 'stall'
        $rows = $Rows2000
        $watch = [System.Diagnostics.Stopwatch]::StartNew()
        $arguments = Get-SendArguments @{ TimeoutSec = 1; MaxRetries = 1 }
        $result = $rows | Send-NymiReport @arguments -ErrorVariable problems -ErrorAction SilentlyContinue
        $watch.Stop()
        $result.Sent | Should -Be 0
        $result.Failed | Should -Be 2000
        $result.Retries | Should -Be 1
        # Two requests of 1 s; the later batches are not tried.
        @($State.Requests).Count | Should -Be 2
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 30
        $result.Errors | Should -Match 'no answer within 1 s'
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'NymiDiag.RowsNotSent*'
    }
}

Describe 'Send-NymiReport safety' {
    It '-WhatIf sends nothing and says how many rows and batches it would send' {
        Reset-Endpoint
        $rows = $Rows2000
        $result = Send-Rows -Rows $rows -Extra @{ WhatIf = $true }
        @($State.Requests).Count | Should -Be 0
        $result.Rows | Should -Be 2000
        $result.Sent | Should -Be 0
        $result.Batches | Should -BeGreaterThan 1
        $result.Requests | Should -Be 0
    }

    It 'refuses <Endpoint> before connecting' -ForEach @(
        @{ Endpoint = 'http://ingest.example.invalid' }
        @{ Endpoint = 'http://10.1.2.3:8080' }
        @{ Endpoint = 'ftp://127.0.0.1' }
        @{ Endpoint = 'https://ingest.example.invalid/?sig=1' }
        @{ Endpoint = 'not a uri' }
    ) {
        Reset-Endpoint
        { New-FleetRow 1 | Send-NymiReport -Endpoint $Endpoint -DcrImmutableId $Dcr -AccessToken $Token } |
            Should -Throw -ErrorId 'NymiDiag.InsecureEndpoint,Send-NymiReport'
        @($State.Requests).Count | Should -Be 0
    }

    It 'accepts plain http to a loopback address: <Name>' -ForEach @(
        @{ Name = '127.0.0.1' }
        @{ Name = 'localhost' }
    ) {
        Reset-Endpoint
        $result = New-FleetRow 1 | Send-NymiReport -Endpoint "http://$($Name):$Port/" -DcrImmutableId $Dcr -AccessToken $Token -TimeoutSec 5 -MaxRetries 0 -ErrorAction SilentlyContinue
        # localhost may resolve to ::1 first, where nothing listens here; what
        # matters is that it was not refused as insecure.
        $result.Endpoint | Should -Be "http://$($Name):$Port/dataCollectionRules/$Dcr/streams/Custom-NymiDiagFleet_CL"
    }

    It 'never writes the token to the verbose, warning or error streams' {
        Reset-Endpoint -Script '500', '401'
        Mock -ModuleName NymiDiag WaitNymiRetry { }
        $bearer = ConvertTo-SecureString -String "Bearer $TokenText" -AsPlainText -Force
        $records = @(New-FleetRow 1 | Send-NymiReport -Endpoint $Endpoint -DcrImmutableId $Dcr -AccessToken $bearer -Verbose -ErrorAction Continue 4>&1 3>&1 2>&1)
        $verbose = @($records | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] })
        $verbose.Count | Should -BeGreaterThan 1
        @($records | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] }).Count | Should -Be 1
        foreach ($record in $records) { ($record | Out-String) | Should -Not -Match $TokenText }
        # A leading 'Bearer ' in the given token is not doubled.
        @($State.Requests)[0].Headers['Authorization'] | Should -BeExactly "Bearer $TokenText"
    }

    It 'gets a managed identity token through the metadata service function' {
        Reset-Endpoint
        Mock -ModuleName NymiDiag GetNymiManagedIdentityToken { ConvertTo-SecureString -String 'from-imds' -AsPlainText -Force }
        $result = New-FleetRow 1 | Send-NymiReport -Endpoint $Endpoint -DcrImmutableId $Dcr -ManagedIdentity
        $result.Sent | Should -Be 1
        @($State.Requests)[0].Headers['Authorization'] | Should -BeExactly 'Bearer from-imds'
    }

    It 'sends nothing and says why when the managed identity gives no token' {
        Reset-Endpoint
        Mock -ModuleName NymiDiag GetNymiManagedIdentityToken { throw 'no route to 169.254.169.254' }
        $result = New-FleetRow 1 | Send-NymiReport -Endpoint $Endpoint -DcrImmutableId $Dcr -ManagedIdentity -ErrorVariable problems -ErrorAction SilentlyContinue
        $result.Failed | Should -Be 1
        @($State.Requests).Count | Should -Be 0
        # The caught failure of the token function is recorded too.
        @($problems | Where-Object { $_.FullyQualifiedErrorId -like 'NymiDiag.ManagedIdentityUnavailable*' }).Count | Should -Be 1
        "$problems" | Should -Match 'no route to 169.254.169.254'
    }

    It 'left the loopback server without errors' {
        @($State.Errors) | Should -BeNullOrEmpty
    }
}

Describe 'Send-NymiReport columns' {
    It 'knows the table''s columns, names and types, in order' {
        $columns = InModuleScope NymiDiag { @($script:NymiFleetColumns | ForEach-Object { '{0}:{1}' -f $_.Name, $_.Type }) }
        $columns | Should -Be @($TableColumns | ForEach-Object { '{0}:{1}' -f $_.name, $_.type })
    }
}

Describe 'Send-NymiReport on Windows PowerShell 5.1' {
    # The syntax is checked by Compatibility.Tests.ps1; what 5.1 could still
    # lack is a .NET member. Every member the sender calls is used once
    # below and compiled against the .NET Framework 4.7.2 reference
    # assemblies, the runtime of Windows PowerShell 5.1.
    BeforeAll {
        $versions = @{}
        foreach ($line in Get-Content (Join-Path $RepoRoot 'tools/versions.env')) {
            if ($line -match '^\s*([A-Z_]+)=(\S+)') { $versions[$Matches[1]] = $Matches[2] }
        }
        $packages = $env:NUGET_PACKAGES
        if (-not $packages) { $packages = Join-Path ([System.Environment]::GetFolderPath('UserProfile')) '.nuget/packages' }
        $script:Csc = Join-Path $packages "microsoft.net.compilers.toolset/$($versions.ROSLYN_TOOLSET_VERSION)/tasks/netcore/bincore/csc.dll"
        $script:Refs = Join-Path $packages "microsoft.netframework.referenceassemblies.net472/$($versions.NETFX_REFERENCE_ASSEMBLIES_VERSION)/build/.NETFramework/v4.7.2"
    }

    It 'uses only .NET members that .NET Framework 4.7.2 has' {
        $source = @'
using System;
using System.IO;
using System.IO.Compression;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Security;
using System.Threading.Tasks;
public static class SenderMembers {
    public static void Use(SecureString secure, byte[] body) {
        var handler = new HttpClientHandler();
        handler.AllowAutoRedirect = false; handler.UseCookies = false; handler.UseProxy = false;
        var client = new HttpClient(handler, true);
        client.Timeout = TimeSpan.FromSeconds(1);
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri("https://127.0.0.1/"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "x");
        request.Headers.ExpectContinue = false;
        request.Headers.TryAddWithoutValidation("x-ms-client-request-id", Guid.NewGuid().ToString());
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        content.Headers.ContentEncoding.Add("gzip");
        request.Content = content;
        Task<HttpResponseMessage> task = client.SendAsync(request);
        Task.WaitAny(new Task[] { task });
        if (task.IsCanceled || task.IsFaulted) { Exception e = task.Exception; }
        HttpResponseMessage response = task.Result;
        int status = (int)response.StatusCode; string reason = response.ReasonPhrase; bool ok = response.IsSuccessStatusCode;
        RetryConditionHeaderValue retry = response.Headers.RetryAfter;
        TimeSpan? delta = retry.Delta; DateTimeOffset? date = retry.Date;
        string text = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
        var buffer = new MemoryStream();
        var gzip = new GZipStream(buffer, CompressionMode.Compress);
        gzip.Write(body, 0, body.Length); gzip.Dispose();
        byte[] compressed = buffer.ToArray();
        string plain = new NetworkCredential("", secure).Password;
        ServicePointManager.SecurityProtocol = (SecurityProtocolType)((int)ServicePointManager.SecurityProtocol | 3072);
        IPAddress address; bool loopback = IPAddress.TryParse("::1", out address) && IPAddress.IsLoopback(address);
        Uri uri; bool absolute = Uri.TryCreate("https://x/", UriKind.Absolute, out uri);
        string left = uri.GetLeftPart(UriPartial.Path);
        int size = new System.Text.UTF8Encoding(false).GetByteCount("x");
        response.Dispose(); request.Dispose(); client.Dispose();
    }
}
'@
        $file = Join-Path $TestDrive 'SenderMembers.cs'
        [System.IO.File]::WriteAllText($file, $source)
        $output = & dotnet exec $Csc -nologo -noconfig -nostdlib+ -langversion:5 -target:library "-out:$file.dll" `
            "-r:$Refs/mscorlib.dll" "-r:$Refs/System.dll" "-r:$Refs/System.Core.dll" "-r:$Refs/System.Net.Http.dll" $file 2>&1
        ($output | Out-String) | Should -Not -Match 'error CS'
        $LASTEXITCODE | Should -Be 0
    }
}
