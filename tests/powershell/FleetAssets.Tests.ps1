# The Azure Monitor assets of the fleet view: the KQL queries in
# powershell/Fleet/queries and the workbook built from them. No Kusto parser
# runs offline, so the queries go through a syntax check of our own:
# balanced brackets and quotes, the NymiDiagFleet_CL table first, known
# tabular operators only, and no column that the table does not have
# (unless the query computes it).
BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    $queryFiles = @(Get-ChildItem (Join-Path $RepoRoot 'powershell/Fleet/queries') -Filter '*.kql' | Sort-Object Name |
            ForEach-Object { @{ Name = $_.BaseName; Path = $_.FullName } })
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    $script:FleetRoot = Join-Path $RepoRoot 'powershell/Fleet'
    $script:TablePath = Join-Path $FleetRoot 'NymiDiagFleet_CL.table.json'
    $script:WorkbookPath = Join-Path $FleetRoot 'workbook.json'
    $script:Generator = Join-Path $RepoRoot 'tools/New-FleetWorkbook.ps1'
    $script:TableName = 'NymiDiagFleet_CL'
    $script:Columns = @((Get-Content -Raw $TablePath | ConvertFrom-Json).properties.schema.columns | ForEach-Object { $_.name })
    # The site filter line of a query file, and what it becomes in the workbook.
    $script:SiteLine = 'let Sites = dynamic(["*"]);'
    $script:SiteParameterLine = 'let Sites = dynamic([{Site}]);'

    # Tabular operators a query may use after '|'.
    $script:KnownOperators = @(
        'as', 'count', 'distinct', 'extend', 'join', 'limit', 'lookup', 'make-series', 'mv-expand', 'order', 'parse',
        'project', 'project-away', 'project-keep', 'project-rename', 'project-reorder', 'render', 'sample', 'serialize',
        'sort', 'summarize', 'take', 'top', 'union', 'where'
    )
    # Words of the language that are neither columns nor functions.
    $script:Keywords = @(
        'and', 'asc', 'between', 'by', 'contains', 'desc', 'endswith', 'false', 'first', 'has', 'in', 'kind', 'last',
        'let', 'not', 'nulls', 'on', 'or', 'startswith', 'to', 'true', 'with'
    )

    function Get-KqlToken {
        # The tokens of $Text (comments dropped): ident, number, string,
        # open, close, pipe, semi, op (runs of = ! < > ~), punct; problems
        # for unbalanced brackets and unterminated strings.
        param([string] $Text)
        $tokens = New-Object System.Collections.Generic.List[object]
        $problems = New-Object System.Collections.Generic.List[string]
        $stack = New-Object System.Collections.Generic.Stack[char]
        $pairs = @{ [char]')' = [char]'('; [char]']' = [char]'['; [char]'}' = [char]'{' }
        $i = 0
        $n = $Text.Length
        while ($i -lt $n) {
            $c = $Text[$i]
            if ([char]::IsWhiteSpace($c)) { $i++; continue }
            if ($c -eq '/' -and $i + 1 -lt $n -and $Text[$i + 1] -eq '/') {
                while ($i -lt $n -and $Text[$i] -ne "`n") { $i++ }
                continue
            }
            if ($c -eq '"' -or $c -eq "'" -or ($c -eq '@' -and $i + 1 -lt $n -and ($Text[$i + 1] -eq '"' -or $Text[$i + 1] -eq "'"))) {
                $verbatim = $c -eq '@'
                if ($verbatim) { $i++ }
                $quote = $Text[$i]
                $start = $i
                $i++
                $closed = $false
                while ($i -lt $n) {
                    $d = $Text[$i]
                    if ($d -eq "`n") { break }
                    if (-not $verbatim -and $d -eq '\') { $i += 2; continue }
                    if ($d -eq $quote) {
                        if ($verbatim -and $i + 1 -lt $n -and $Text[$i + 1] -eq $quote) { $i += 2; continue }
                        $closed = $true
                        $i++
                        break
                    }
                    $i++
                }
                if (-not $closed) { $problems.Add("unterminated string at offset $start") }
                $tokens.Add([PSCustomObject]@{ Kind = 'string'; Text = $Text.Substring($start, $i - $start); At = $start })
                continue
            }
            if ($c -match '[A-Za-z_]') {
                $start = $i
                while ($i -lt $n -and $Text[$i] -match '[A-Za-z0-9_]') { $i++ }
                $tokens.Add([PSCustomObject]@{ Kind = 'ident'; Text = $Text.Substring($start, $i - $start); At = $start })
                continue
            }
            if ($c -match '[0-9]') {
                # Numbers and timespans (30d, 1.5h).
                $start = $i
                while ($i -lt $n -and $Text[$i] -match '[A-Za-z0-9_.]') { $i++ }
                $tokens.Add([PSCustomObject]@{ Kind = 'number'; Text = $Text.Substring($start, $i - $start); At = $start })
                continue
            }
            if ('([{'.Contains([string]$c)) { $stack.Push($c); $tokens.Add([PSCustomObject]@{ Kind = 'open'; Text = [string]$c; At = $i }); $i++; continue }
            if (')]}'.Contains([string]$c)) {
                if ($stack.Count -eq 0 -or $stack.Pop() -ne $pairs[$c]) { $problems.Add("unbalanced '$c' at offset $i") }
                $tokens.Add([PSCustomObject]@{ Kind = 'close'; Text = [string]$c; At = $i })
                $i++
                continue
            }
            if ('=!<>~'.Contains([string]$c)) {
                $start = $i
                while ($i -lt $n -and '=!<>~'.Contains([string]$Text[$i])) { $i++ }
                $tokens.Add([PSCustomObject]@{ Kind = 'op'; Text = $Text.Substring($start, $i - $start); At = $start })
                continue
            }
            $kind = 'punct'
            if ($c -eq '|') { $kind = 'pipe' }
            elseif ($c -eq ';') { $kind = 'semi' }
            $tokens.Add([PSCustomObject]@{ Kind = $kind; Text = [string]$c; At = $i })
            $i++
        }
        if ($stack.Count -gt 0) { $problems.Add("unclosed '$($stack.Peek())'") }
        [PSCustomObject]@{ Tokens = $tokens; Problems = $problems }
    }

    function Test-KqlQuery {
        # Problems found in a query ($null when none). Workbook parameters
        # ({Name}) are read as string literals.
        param([string] $Text)
        $Text = [regex]::Replace($Text, '\{[A-Za-z_][A-Za-z0-9_]*(:[A-Za-z]+)?\}', '"parameter"')
        $lexed = Get-KqlToken -Text $Text
        $problems = New-Object System.Collections.Generic.List[string]
        foreach ($p in $lexed.Problems) { $problems.Add($p) }
        # ToArray, not @(): @() of a List[object] fails in PowerShell 7.6
        # ("Argument types do not match").
        $tokens = $lexed.Tokens.ToArray()
        if ($tokens.Count -eq 0) { return 'empty query' }

        # Statements: let bindings, then one tabular expression from the table.
        $statements = New-Object System.Collections.Generic.List[object]
        $current = New-Object System.Collections.Generic.List[object]
        $depth = 0
        foreach ($token in $tokens) {
            if ($token.Kind -eq 'open') { $depth++ }
            if ($token.Kind -eq 'close') { $depth-- }
            if ($token.Kind -eq 'semi' -and $depth -eq 0) { $statements.Add($current); $current = New-Object System.Collections.Generic.List[object]; continue }
            $current.Add($token)
        }
        if ($current.Count -gt 0) { $statements.Add($current) }
        $computed = New-Object 'System.Collections.Generic.HashSet[string]' ([System.StringComparer]::Ordinal)
        for ($s = 0; $s -lt $statements.Count; $s++) {
            $statement = $statements[$s].ToArray()
            $last = $s -eq $statements.Count - 1
            if (-not $last) {
                if ($statement.Count -lt 3 -or $statement[0].Text -cne 'let' -or $statement[1].Kind -ne 'ident' -or $statement[2].Text -ne '=') {
                    $problems.Add("statement $($s + 1) is not a let binding")
                }
                else { [void]$computed.Add($statement[1].Text) }
            }
            elseif ($statement[0].Kind -ne 'ident' -or $statement[0].Text -cne $TableName) {
                $problems.Add("the query does not start from $TableName but from '$($statement[0].Text)'")
            }
        }

        # Operators after '|', and the names the query computes (Name = ...).
        $operatorAt = @{}
        for ($t = 0; $t -lt $tokens.Count; $t++) {
            $token = $tokens[$t]
            if ($token.Kind -eq 'pipe') {
                $next = $t + 1
                if ($next -ge $tokens.Count -or $tokens[$next].Kind -ne 'ident') { $problems.Add("no operator after '|' at offset $($token.At)"); continue }
                $name = $tokens[$next].Text
                $operatorAt[$next] = $true
                # Dashed operator names (project-away): ident '-' ident, adjacent.
                while ($next + 2 -lt $tokens.Count -and $tokens[$next + 1].Text -eq '-' -and $tokens[$next + 2].Kind -eq 'ident' -and
                    $tokens[$next + 1].At -eq $tokens[$next].At + $tokens[$next].Text.Length -and $tokens[$next + 2].At -eq $tokens[$next + 1].At + 1) {
                    $name = $name + '-' + $tokens[$next + 2].Text
                    $operatorAt[$next + 2] = $true
                    $next += 2
                }
                if ($KnownOperators -cnotcontains $name) { $problems.Add("unknown tabular operator '$name'") }
            }
            if ($token.Kind -eq 'ident' -and $t + 1 -lt $tokens.Count -and $tokens[$t + 1].Kind -eq 'op' -and $tokens[$t + 1].Text -eq '=') {
                [void]$computed.Add($token.Text)
            }
        }

        # Every other name is a keyword, a function, or a column.
        for ($t = 0; $t -lt $tokens.Count; $t++) {
            $token = $tokens[$t]
            if ($token.Kind -ne 'ident' -or $operatorAt.ContainsKey($t)) { continue }
            if ($token.Text -ceq $TableName -or $Keywords -ccontains $token.Text -or $computed.Contains($token.Text)) { continue }
            if ($t + 1 -lt $tokens.Count -and $tokens[$t + 1].Text -eq '(') { continue }
            if ($t -gt 0 -and $tokens[$t - 1].Text -eq '.') { continue }
            if ($Columns -ccontains $token.Text) { continue }
            $problems.Add("'$($token.Text)' is not a column of $TableName")
        }
        if ($problems.Count -gt 0) { return $problems.ToArray() }
        $null
    }

    function Get-WorkbookQuery {
        # name -> query text of every query in the workbook (items and
        # parameters).
        param([object] $Workbook)
        $queries = [ordered]@{}
        foreach ($item in $Workbook.items) {
            if ($item.type -eq 3) { $queries[$item.name] = $item.content.query }
            if ($item.type -eq 9) {
                foreach ($parameter in $item.content.parameters) {
                    if ($parameter.PSObject.Properties['query']) { $queries['parameter ' + $parameter.name] = $parameter.query }
                }
            }
        }
        $queries
    }

    function Read-KqlFile {
        param([string] $Path)
        ([System.IO.File]::ReadAllText($Path) -replace "`r`n", "`n").TrimEnd("`n")
    }
}

Describe 'the KQL check itself' {
    It 'accepts a query that follows the rules' {
        Test-KqlQuery -Text "// ok`nlet X = 3;`nNymiDiagFleet_CL | where Site == 'a' | extend Y = X + 1 | project-away Line | summarize Z = count() by Y" | Should -BeNullOrEmpty
    }

    It 'finds <Problem>' -ForEach @(
        @{ Problem = 'an unknown column'; Query = 'NymiDiagFleet_CL | where Colour == "red"'; Expected = '*Colour*not a column*' }
        @{ Problem = 'a column in the wrong case'; Query = 'NymiDiagFleet_CL | where site == "a"'; Expected = '*site*not a column*' }
        @{ Problem = 'an unclosed bracket'; Query = 'NymiDiagFleet_CL | where (Site == "a"'; Expected = "*unclosed '('*" }
        @{ Problem = 'a mismatched bracket'; Query = 'NymiDiagFleet_CL | where isnotempty(Site]'; Expected = "*unbalanced ']'*" }
        @{ Problem = 'an unterminated string'; Query = 'NymiDiagFleet_CL | where Site == "a'; Expected = '*unterminated string*' }
        @{ Problem = 'an unknown operator'; Query = 'NymiDiagFleet_CL | frobnicate Site'; Expected = "*unknown tabular operator 'frobnicate'*" }
        @{ Problem = 'another table'; Query = 'SecurityEvent | take 10'; Expected = '*does not start from NymiDiagFleet_CL*' }
        @{ Problem = 'a statement that is not a let'; Query = 'print 1; NymiDiagFleet_CL'; Expected = '*statement 1 is not a let binding*' }
        @{ Problem = 'a pipe with no operator'; Query = 'NymiDiagFleet_CL | | take 1'; Expected = "*no operator after '|'*" }
    ) {
        (@(Test-KqlQuery -Text $Query) -join "`n") | Should -BeLike $Expected
    }

    It 'does not read names inside strings or comments as columns' {
        Test-KqlQuery -Text "NymiDiagFleet_CL // Colour`n| where Site == 'Colour // x' and Line has @`"Shade`"`"s`"" | Should -BeNullOrEmpty
    }
}

Describe 'the query <Name>.kql' -ForEach $queryFiles {
    BeforeAll {
        $text = Read-KqlFile -Path $Path
    }

    It 'starts with a comment line that says what it answers' {
        ($text -split "`n")[0] | Should -Match '^// \S.{20,}$'
    }

    It 'passes the syntax check against the table definition' {
        Test-KqlQuery -Text $text | Should -BeNullOrEmpty
    }

    It 'is ASCII, so it reads the same in every editor and portal' {
        [System.IO.File]::ReadAllBytes($Path) | Where-Object { $_ -gt 0x7F } | Should -BeNullOrEmpty
    }
}

Describe 'the per-terminal query <Name>.kql' -ForEach @($queryFiles | Where-Object { $_.Name -ne 'sites' }) {
    It 'takes the latest row per terminal, then filters by the Sites list' {
        $text = Read-KqlFile -Path $Path
        $text | Should -Match ([regex]::Escape('| summarize arg_max(TimeGenerated, *) by Device'))
        @([regex]::Matches($text, [regex]::Escape($SiteLine))).Count | Should -Be 1
        $text.IndexOf('| where "*" in (Sites) or Site in (Sites)') | Should -BeGreaterThan $text.IndexOf('arg_max(')
    }
}

Describe 'the fleet queries' {
    It 'has one for each question the dashboard answers' {
        $names = @(Get-ChildItem (Join-Path $FleetRoot 'queries') -Filter '*.kql' | ForEach-Object { $_.BaseName } | Sort-Object)
        $names | Should -Be @('by-cause', 'by-nes', 'by-site', 'expiring', 'sites', 'stale', 'unparsed')
    }

    It 'finds expiry within 7 days or passed, and silence over 8 days' {
        Read-KqlFile (Join-Path $FleetRoot 'queries/expiring.kql') | Should -Match '\| where DaysLeft <= 7\b'
        Read-KqlFile (Join-Path $FleetRoot 'queries/stale.kql') | Should -Match '\| where LastSeen < ago\(8d\)'
        Read-KqlFile (Join-Path $FleetRoot 'queries/unparsed.kql') | Should -Match '\| where ParseStatus != "ok"'
    }
}

Describe 'the workbook' {
    BeforeAll {
        $raw = Get-Content -Raw $WorkbookPath
        $workbook = $raw | ConvertFrom-Json
        $queries = Get-WorkbookQuery -Workbook $workbook
    }

    It 'is a Notebook/1.0 workbook whose items have the fields the schema requires' {
        $workbook.version | Should -Be 'Notebook/1.0'
        $workbook.'$schema' | Should -Be 'https://github.com/Microsoft/Application-Insights-Workbooks/blob/master/schema/workbook.json'
        @($workbook.items).Count | Should -BeGreaterThan 0
        foreach ($item in $workbook.items) {
            # Int32 from ConvertFrom-Json in 5.1, Int64 in 7.
            ($item.type -is [int] -or $item.type -is [long]) | Should -BeTrue -Because 'an item type is an integer'
            $item.content | Should -Not -BeNullOrEmpty
            $item.name | Should -Not -BeNullOrEmpty
        }
        @($workbook.items.name | Sort-Object -Unique).Count | Should -Be @($workbook.items).Count
    }

    It 'asks Log Analytics with every query item' {
        foreach ($item in @($workbook.items | Where-Object { $_.type -eq 3 })) {
            $item.content.version | Should -Be 'KqlItem/1.0'
            $item.content.queryType | Should -Be 0
            $item.content.resourceType | Should -Be 'microsoft.operationalinsights/workspaces'
            $item.content.query | Should -Not -BeNullOrEmpty
            @('barchart', 'table') | Should -Contain $item.content.visualization
        }
    }

    It 'has a multi-select Site parameter with All as "*"' {
        $parameter = @($workbook.items | Where-Object { $_.type -eq 9 } | ForEach-Object { $_.content.parameters } | Where-Object { $_.name -eq 'Site' })
        $parameter.Count | Should -Be 1
        $parameter[0].version | Should -Be 'KqlParameterItem/1.0'
        $parameter[0].type | Should -Be 2
        $parameter[0].multiSelect | Should -BeTrue
        $parameter[0].quote | Should -Be '"'
        $parameter[0].typeSettings.selectAllValue | Should -Be '*'
        [guid]::Parse($parameter[0].id) | Should -Not -BeNullOrEmpty
    }

    It 'shows causes as a bar chart and expiring and stale terminals as grids' {
        ($workbook.items | Where-Object { $_.name -eq 'by-cause' }).content.visualization | Should -Be 'barchart'
        ($workbook.items | Where-Object { $_.name -eq 'expiring' }).content.visualization | Should -Be 'table'
        ($workbook.items | Where-Object { $_.name -eq 'stale' }).content.visualization | Should -Be 'table'
    }

    It 'passes the syntax check with every query: <_>' -ForEach @('by-cause', 'by-nes', 'by-site', 'expiring', 'stale', 'unparsed', 'parameter Site') {
        Test-KqlQuery -Text $queries[$_] | Should -BeNullOrEmpty
    }

    It 'uses only parameters it defines' {
        $defined = @($workbook.items | Where-Object { $_.type -eq 9 } | ForEach-Object { $_.content.parameters.name })
        foreach ($query in $queries.Values) {
            foreach ($match in [regex]::Matches($query, '\{([A-Za-z_][A-Za-z0-9_]*)(:[A-Za-z]+)?\}')) {
                $defined | Should -Contain $match.Groups[1].Value
            }
        }
    }

    It 'holds the text of the .kql files, with only the site filter bound to the Site parameter' {
        $files = @(Get-ChildItem (Join-Path $FleetRoot 'queries') -Filter '*.kql')
        $queries.Count | Should -Be $files.Count -Because 'every query file is a tile or the parameter list, and nothing else'
        foreach ($file in $files) {
            $key = $file.BaseName
            if ($key -eq 'sites') { $key = 'parameter Site' }
            $queries.Contains($key) | Should -BeTrue -Because "$($file.Name) is in the workbook"
            $queries[$key] | Should -BeExactly ((Read-KqlFile $file.FullName).Replace($SiteLine, $SiteParameterLine))
        }
    }

    It 'is what tools/New-FleetWorkbook.ps1 writes from the queries' {
        $out = Join-Path $TestDrive 'workbook.json'
        & $Generator -OutFile $out
        $expected = ConvertTo-Json -InputObject (Get-Content -Raw $out | ConvertFrom-Json) -Depth 30 -Compress
        $actual = ConvertTo-Json -InputObject $workbook -Depth 30 -Compress
        $actual | Should -BeExactly $expected -Because 'run pwsh -NoProfile -File tools/New-FleetWorkbook.ps1 after editing a query'
    }
}
