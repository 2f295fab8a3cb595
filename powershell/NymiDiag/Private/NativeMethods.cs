// P/Invoke shim over the nymidiag C ABI.
//
// The build compiles this file once, with Roslyn as C# 5 against the .NET
// Framework 4.7.2 reference assemblies, into bin/NymiDiag.Native.dll, which
// both Windows PowerShell 5.1 (.NET Framework 4.5+) and PowerShell 7
// (.NET 8+) load in milliseconds; without that file the module compiles
// this source with Add-Type instead, which costs a second or more.
//
// The library is loaded by absolute path through the operating system's
// own loader (LoadLibraryExW or dlopen) and its exports are called through
// Cdecl function pointers, so one compiled shim serves every install
// location and every capability export: Call("nymidiag_x", ...) works for
// any export with the capability signature, without a change here.
//
// Must stay C# 5: no string interpolation, no nameof, no expression-bodied
// members, no null-conditional operators.
//
// The one PowerShell type used here, HiddenAttribute, comes from
// System.Management.Automation: the build compiles against the
// PowerShellStandard.Library reference assembly (version 3.0.0.0, which
// Windows PowerShell 5.1 has and PowerShell 7 binds to its own), and
// Add-Type references that assembly by default.
using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Runtime.InteropServices;
using System.Text;

namespace NymiDiag
{
    /// <summary>
    /// One status line read back (ConvertFrom-NymiStatusLine): the library
    /// parses it (src/diagnose/status_line/parse.rs, next to the writer), this
    /// class only carries the fields.
    /// </summary>
    public sealed class StatusLine
    {
        /// <summary>OK, ISSUE or ERROR.</summary>
        public string Status { get; set; }
        /// <summary>The verdict, or the ERROR code.</summary>
        public string Code { get; set; }
        /// <summary>The line's v=; 0 for a line written before versions.</summary>
        public int? Version { get; set; }
        /// <summary>NEA certificates found/expected, as written.</summary>
        public string Ksp { get; set; }
        /// <summary>NEA certificates found.</summary>
        public int? KspFound { get; set; }
        /// <summary>NEA certificates expected.</summary>
        public int? KspExpected { get; set; }
        /// <summary>NES host:port, or none.</summary>
        public string Nes { get; set; }
        /// <summary>The first failing stage.</summary>
        public string Stage { get; set; }
        /// <summary>The finding behind the verdict.</summary>
        public string Finding { get; set; }
        /// <summary>high, medium or low.</summary>
        public string Confidence { get; set; }
        /// <summary>The earliest NEA certificate expiry (a UTC date).</summary>
        public DateTime? Expiry { get; set; }
        /// <summary>The configured site.</summary>
        public string Site { get; set; }
        /// <summary>The log signatures behind the verdict.</summary>
        public string Logs { get; set; }
        /// <summary>The ERROR line's detail.</summary>
        public string Detail { get; set; }
        /// <summary>The repair a remediation made.</summary>
        public string Repair { get; set; }
        /// <summary>The count before the repair.</summary>
        public string RepairBefore { get; set; }
        /// <summary>The count after the repair.</summary>
        public string RepairAfter { get; set; }
        /// <summary>Why the repair did what it did.</summary>
        public string RepairReason { get; set; }
        /// <summary>ok, truncated, empty or malformed.</summary>
        public string ParseStatus { get; set; }
        /// <summary>Why the line is not ok.</summary>
        public string ParseProblem { get; set; }
        /// <summary>The line read.</summary>
        public string Line { get; set; }

        /// <summary>The rows of a status_lines table.</summary>
        public static StatusLine[] FromTable(NymiDiag.Native.TextTable table)
        {
            string[] names = { "status", "code", "version", "ksp", "ksp_found", "ksp_expected", "nes", "stage",
                "finding", "confidence", "expiry", "site", "logs", "detail", "repair", "repair_before",
                "repair_after", "repair_reason", "parse_status", "parse_problem", "line" };
            int[] at = new int[names.Length];
            for (int i = 0; i < names.Length; i++)
            {
                at[i] = table.IndexOf(names[i]);
            }
            StatusLine[] lines = new StatusLine[table.Rows.Count];
            for (int r = 0; r < lines.Length; r++)
            {
                string[] row = table.Rows[r];
                StatusLine l = new StatusLine();
                l.Status = table.Value(row, at[0]);
                l.Code = table.Value(row, at[1]);
                l.Version = NymiDiag.Native.TextTable.ToInt(table.Value(row, at[2]));
                l.Ksp = table.Value(row, at[3]);
                l.KspFound = NymiDiag.Native.TextTable.ToInt(table.Value(row, at[4]));
                l.KspExpected = NymiDiag.Native.TextTable.ToInt(table.Value(row, at[5]));
                l.Nes = table.Value(row, at[6]);
                l.Stage = table.Value(row, at[7]);
                l.Finding = table.Value(row, at[8]);
                l.Confidence = table.Value(row, at[9]);
                l.Expiry = NymiDiag.Native.TextTable.ToUtc(table.Value(row, at[10]));
                l.Site = table.Value(row, at[11]);
                l.Logs = table.Value(row, at[12]);
                l.Detail = table.Value(row, at[13]);
                l.Repair = table.Value(row, at[14]);
                l.RepairBefore = table.Value(row, at[15]);
                l.RepairAfter = table.Value(row, at[16]);
                l.RepairReason = table.Value(row, at[17]);
                l.ParseStatus = table.Value(row, at[18]);
                l.ParseProblem = table.Value(row, at[19]);
                l.Line = table.Value(row, at[20]);
                lines[r] = l;
            }
            return lines;
        }
    }
}

namespace NymiDiag.Native
{
    /// <summary>uint32_t nymidiag_abi_version(void)</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    public delegate uint AbiVersionFunction();

    /// <summary>const char *nymidiag_version(void)</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    public delegate IntPtr VersionFunction();

    /// <summary>void nymidiag_buffer_free(uint8_t *ptr, size_t len)</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    public delegate void BufferFreeFunction(IntPtr ptr, UIntPtr len);

    /// <summary>int32_t nymidiag_capability(const uint8_t *request, size_t request_len, uint8_t **out, size_t *out_len)</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    public delegate int CapabilityFunction(byte[] request, UIntPtr requestLen, out IntPtr output, out UIntPtr outputLen);

    /// <summary>One loaded nymidiag library.</summary>
    public sealed class Library
    {
        private readonly string path;
        private readonly IntPtr handle;
        private readonly string platform;
        private readonly BufferFreeFunction bufferFree;
        private readonly Dictionary<string, CapabilityFunction> capabilities = new Dictionary<string, CapabilityFunction>();
        private readonly object gate = new object();

        private Library(string path, IntPtr handle, string platform)
        {
            this.path = path;
            this.handle = handle;
            this.platform = platform;
            this.bufferFree = (BufferFreeFunction)Bind("nymidiag_buffer_free", typeof(BufferFreeFunction));
        }

        /// <summary>
        /// Loads the library at an absolute path. platform is "Windows",
        /// "Linux" or "OSX". Throws DllNotFoundException with the loader's
        /// own reason when it cannot be loaded (missing, wrong architecture).
        /// </summary>
        public static Library Load(string path, string platform)
        {
            IntPtr handle;
            string reason;
            if (platform == "Windows")
            {
                // LOAD_WITH_ALTERED_SEARCH_PATH: dependencies are looked up
                // beside the library, not in the current directory.
                handle = WindowsLoader.LoadLibraryExW(path, IntPtr.Zero, 0x00000008);
                reason = handle == IntPtr.Zero ? "Win32 error " + Marshal.GetLastWin32Error() : null;
            }
            else
            {
                handle = platform == "OSX" ? MacLoader.dlopen(path, 2) : LinuxLoader.dlopen(path, 2);
                reason = handle == IntPtr.Zero ? UnixError(platform) : null;
            }
            if (handle == IntPtr.Zero)
            {
                throw new DllNotFoundException(path + ": " + reason);
            }
            return new Library(path, handle, platform);
        }

        /// <summary>Absolute path the library was loaded from.</summary>
        public string Path
        {
            get { return path; }
        }

        /// <summary>C ABI version of the library.</summary>
        public uint AbiVersion()
        {
            return ((AbiVersionFunction)Bind("nymidiag_abi_version", typeof(AbiVersionFunction)))();
        }

        /// <summary>Library version (static NUL-terminated UTF-8, never freed).</summary>
        public string Version()
        {
            IntPtr ptr = ((VersionFunction)Bind("nymidiag_version", typeof(VersionFunction)))();
            return ptr == IntPtr.Zero ? string.Empty : ReadNulTerminatedUtf8(ptr);
        }

        /// <summary>Whether the library exports a symbol of this name.</summary>
        public bool HasExport(string name)
        {
            return Symbol(name) != IntPtr.Zero;
        }

        /// <summary>
        /// Calls a capability export with a UTF-8 JSON request and returns its
        /// status; the JSON document it wrote is copied into response, and the
        /// native buffer is freed before returning, whatever happens.
        /// </summary>
        public int Call(string export, byte[] request, out byte[] response)
        {
            if (request == null)
            {
                request = new byte[0];
            }
            CapabilityFunction function = Capability(export);
            IntPtr output = IntPtr.Zero;
            UIntPtr outputLen = UIntPtr.Zero;
            try
            {
                int status = function(request, new UIntPtr((uint)request.Length), out output, out outputLen);
                response = CopyBuffer(output, outputLen);
                return status;
            }
            finally
            {
                if (output != IntPtr.Zero)
                {
                    bufferFree(output, outputLen);
                }
            }
        }

        private CapabilityFunction Capability(string export)
        {
            if (export == null || !export.StartsWith("nymidiag_", StringComparison.Ordinal))
            {
                throw new ArgumentException("Not a nymidiag export: " + export, "export");
            }
            // Runspaces may call from several threads at once.
            lock (gate)
            {
                CapabilityFunction function;
                if (!capabilities.TryGetValue(export, out function))
                {
                    function = (CapabilityFunction)Bind(export, typeof(CapabilityFunction));
                    capabilities[export] = function;
                }
                return function;
            }
        }

        private Delegate Bind(string name, Type delegateType)
        {
            IntPtr symbol = Symbol(name);
            if (symbol == IntPtr.Zero)
            {
                throw new EntryPointNotFoundException("Unknown nymidiag export: " + name + " (not in " + path + ")");
            }
            return Marshal.GetDelegateForFunctionPointer(symbol, delegateType);
        }

        private IntPtr Symbol(string name)
        {
            if (platform == "Windows")
            {
                return WindowsLoader.GetProcAddress(handle, name);
            }
            return platform == "OSX" ? MacLoader.dlsym(handle, name) : LinuxLoader.dlsym(handle, name);
        }

        private static string UnixError(string platform)
        {
            IntPtr message = platform == "OSX" ? MacLoader.dlerror() : LinuxLoader.dlerror();
            return message == IntPtr.Zero ? "dlopen failed" : ReadNulTerminatedUtf8(message);
        }

        private static string ReadNulTerminatedUtf8(IntPtr ptr)
        {
            // Marshal.PtrToStringUTF8 does not exist on .NET Framework.
            int len = 0;
            while (Marshal.ReadByte(ptr, len) != 0)
            {
                len++;
            }
            byte[] bytes = new byte[len];
            Marshal.Copy(ptr, bytes, 0, len);
            return Encoding.UTF8.GetString(bytes);
        }

        private static byte[] CopyBuffer(IntPtr ptr, UIntPtr len)
        {
            ulong size = len.ToUInt64();
            if (ptr == IntPtr.Zero || size == 0)
            {
                return new byte[0];
            }
            if (size > int.MaxValue)
            {
                throw new InvalidOperationException("nymidiag returned a buffer larger than 2 GB.");
            }
            byte[] bytes = new byte[(int)size];
            Marshal.Copy(ptr, bytes, 0, (int)size);
            return bytes;
        }
    }

    /// <summary>
    /// The object Invoke-NymiDiagnosis returns (PSTypeName NymiDiag.Diagnosis):
    /// the library's JSON report, which Save-NymiReport and the support
    /// bundle write unchanged, and, as note properties the module adds, the
    /// verdict and everything else the views show.
    /// </summary>
    /// <remarks>
    /// A C# type rather than a PowerShell class: Constrained Language Mode
    /// refuses to parse the class keyword, so a module holding one could not
    /// even report why it does not load. The JSON (tens of kilobytes) is a
    /// hidden property: Export-Csv and Format-List * leave it out, while
    /// $diagnosis.Json, PSObject.Properties['Json'] and ToJson() find it.
    /// </remarks>
    public sealed class Diagnosis
    {
        private readonly string json;

        /// <summary>Holds the library's JSON report, unchanged.</summary>
        public Diagnosis(string json)
        {
            if (json == null)
            {
                throw new ArgumentNullException("json");
            }
            this.json = json;
        }

        /// <summary>The library's JSON report, unchanged (hidden from listings).</summary>
        [Hidden]
        public string Json
        {
            get { return json; }
        }

        /// <summary>The library's JSON report, unchanged.</summary>
        public string ToJson()
        {
            return json;
        }
    }

    /// <summary>
    /// Rows the library returns by the thousand, as one text (Rust:
    /// src/report/table.rs): the first line holds the column names, each next
    /// line one row, fields separated by TAB; escapes \\ \t \n \r, \e for an
    /// empty string, and an empty field for null.
    /// </summary>
    /// <remarks>
    /// Reading 10,000 rows this way costs milliseconds; ConvertFrom-Json of
    /// as many objects costs more than Import-Csv of them, and Windows
    /// PowerShell 5.1 refuses JSON over 2,097,152 characters, so the table is
    /// taken out of the report text (TakeJsonString) before the rest is
    /// converted.
    /// </remarks>
    public sealed class TextTable
    {
        private readonly string[] columns;
        private readonly List<string[]> rows;

        private TextTable(string[] columns, List<string[]> rows)
        {
            this.columns = columns;
            this.rows = rows;
        }

        /// <summary>The column names.</summary>
        public string[] Columns { get { return columns; } }

        /// <summary>The rows; a null entry is a null value.</summary>
        public List<string[]> Rows { get { return rows; } }

        /// <summary>The index of a column, or -1.</summary>
        public int IndexOf(string column)
        {
            return Array.IndexOf(columns, column);
        }

        /// <summary>A row's value of a column (null when the column is absent).</summary>
        public string Value(string[] row, int index)
        {
            return index >= 0 && index < row.Length ? row[index] : null;
        }

        /// <summary>Reads a table's text.</summary>
        public static TextTable Read(string text)
        {
            if (text == null)
            {
                throw new ArgumentNullException("text");
            }
            string[] lines = text.Split('\n');
            string[] columns = lines[0].Split('\t');
            List<string[]> rows = new List<string[]>(lines.Length - 1);
            for (int i = 1; i < lines.Length; i++)
            {
                string[] fields = lines[i].Split('\t');
                string[] row = new string[columns.Length];
                for (int j = 0; j < row.Length && j < fields.Length; j++)
                {
                    row[j] = Unescape(fields[j]);
                }
                rows.Add(row);
            }
            return new TextTable(columns, rows);
        }

        private static string Unescape(string field)
        {
            if (field.Length == 0)
            {
                return null;
            }
            if (field.IndexOf('\\') < 0)
            {
                return field;
            }
            StringBuilder sb = new StringBuilder(field.Length);
            for (int i = 0; i < field.Length; i++)
            {
                char c = field[i];
                if (c != '\\' || i + 1 == field.Length)
                {
                    sb.Append(c);
                    continue;
                }
                char next = field[++i];
                switch (next)
                {
                    case 't': sb.Append('\t'); break;
                    case 'n': sb.Append('\n'); break;
                    case 'r': sb.Append('\r'); break;
                    case 'e': break;
                    default: sb.Append(next); break;
                }
            }
            return sb.ToString();
        }

        /// <summary>
        /// Takes the string value of the first "name": "..." member out of
        /// compact or indented JSON text: returns it decoded and leaves an
        /// empty string in its place, so the rest converts quickly and within
        /// Windows PowerShell 5.1's JSON length limit. Null when absent. Safe
        /// because a quote inside a JSON string is always escaped: an
        /// unescaped "name" followed by a colon is a member name.
        /// </summary>
        public static string TakeJsonString(ref string json, string name)
        {
            if (json == null || name == null)
            {
                return null;
            }
            string key = "\"" + name + "\"";
            int at = 0;
            while ((at = json.IndexOf(key, at, StringComparison.Ordinal)) >= 0)
            {
                int i = at + key.Length;
                while (i < json.Length && char.IsWhiteSpace(json[i])) { i++; }
                if (i < json.Length && json[i] == ':')
                {
                    i++;
                    while (i < json.Length && char.IsWhiteSpace(json[i])) { i++; }
                    if (i < json.Length && json[i] == '"')
                    {
                        int start = i + 1;
                        StringBuilder sb = new StringBuilder();
                        int end = DecodeString(json, start, sb);
                        if (end < 0)
                        {
                            return null;
                        }
                        json = json.Substring(0, start) + json.Substring(end);
                        return sb.ToString();
                    }
                }
                at += key.Length;
            }
            return null;
        }

        // Decodes a JSON string body from start; returns the index of its
        // closing quote, or -1 when the text ends first.
        private static int DecodeString(string json, int start, StringBuilder sb)
        {
            for (int i = start; i < json.Length; i++)
            {
                char c = json[i];
                if (c == '"')
                {
                    return i;
                }
                if (c != '\\')
                {
                    sb.Append(c);
                    continue;
                }
                if (++i >= json.Length)
                {
                    return -1;
                }
                switch (json[i])
                {
                    case 'n': sb.Append('\n'); break;
                    case 't': sb.Append('\t'); break;
                    case 'r': sb.Append('\r'); break;
                    case 'b': sb.Append('\b'); break;
                    case 'f': sb.Append('\f'); break;
                    case 'u':
                        if (i + 4 >= json.Length)
                        {
                            return -1;
                        }
                        sb.Append((char)Convert.ToInt32(json.Substring(i + 1, 4), 16));
                        i += 4;
                        break;
                    default: sb.Append(json[i]); break;
                }
            }
            return -1;
        }

        /// <summary>A value as an integer, or null.</summary>
        public static int? ToInt(string value)
        {
            int n;
            if (value != null && int.TryParse(value, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out n))
            {
                return n;
            }
            return null;
        }

        /// <summary>A date or an RFC 3339 time as UTC, or null.</summary>
        public static DateTime? ToUtc(string value)
        {
            DateTime t;
            if (value != null && DateTime.TryParse(value, System.Globalization.CultureInfo.InvariantCulture,
                System.Globalization.DateTimeStyles.AdjustToUniversal | System.Globalization.DateTimeStyles.AssumeUniversal, out t))
            {
                return t;
            }
            return null;
        }
    }

    internal static class WindowsLoader
    {
        [DllImport("kernel32.dll", CharSet = CharSet.Unicode, SetLastError = true)]
        internal static extern IntPtr LoadLibraryExW(string path, IntPtr file, uint flags);

        [DllImport("kernel32.dll", CharSet = CharSet.Ansi, ExactSpelling = true)]
        internal static extern IntPtr GetProcAddress(IntPtr module, string name);
    }

    internal static class LinuxLoader
    {
        // libdl.so.2 exists on every glibc, also after dlopen moved into libc.
        [DllImport("libdl.so.2", CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr dlopen(string path, int flags);

        [DllImport("libdl.so.2", CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr dlsym(IntPtr handle, string name);

        [DllImport("libdl.so.2", CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr dlerror();
    }

    internal static class MacLoader
    {
        [DllImport("libSystem.dylib", CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr dlopen(string path, int flags);

        [DllImport("libSystem.dylib", CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr dlsym(IntPtr handle, string name);

        [DllImport("libSystem.dylib", CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr dlerror();
    }
}

namespace NymiDiag
{
    /// <summary>
    /// One device of a fleet report (Get-NymiFleetReport): its newest
    /// status line, parsed, and where it came from. Flat, so Export-Csv and
    /// Format-Table show every field; the property order is the column
    /// order of the library's device table and of the Log Analytics table.
    /// </summary>
    public sealed class FleetDevice
    {
        /// <summary>The device's name.</summary>
        public string DeviceName { get; set; }
        /// <summary>The device's id (Intune or Entra), when the source has one.</summary>
        public string DeviceId { get; set; }
        /// <summary>OK, ISSUE or ERROR.</summary>
        public string Status { get; set; }
        /// <summary>The verdict code (NEA_CERTS_NOT_RETRIEVED_DNS, ...).</summary>
        public string Code { get; set; }
        /// <summary>ok, truncated, empty, malformed, unreadable or no_device.</summary>
        public string ParseStatus { get; set; }
        /// <summary>Why ParseStatus is not ok.</summary>
        public string ParseProblem { get; set; }
        /// <summary>The line's version (v=); null for version 0 lines.</summary>
        public int? Version { get; set; }
        /// <summary>Key-store files against expected, as written (8/20).</summary>
        public string Ksp { get; set; }
        /// <summary>Key-store files found; null when unknown (?).</summary>
        public int? KspFound { get; set; }
        /// <summary>Key-store files expected.</summary>
        public int? KspExpected { get; set; }
        /// <summary>The NES host:port, or none.</summary>
        public string Nes { get; set; }
        /// <summary>The first failing stage.</summary>
        public string Stage { get; set; }
        /// <summary>The finding behind the verdict.</summary>
        public string Finding { get; set; }
        /// <summary>high, medium or low.</summary>
        public string Confidence { get; set; }
        /// <summary>The earliest NEA certificate expiry (a date, UTC midnight).</summary>
        public DateTime? Expiry { get; set; }
        /// <summary>Whole days from the report's Now to Expiry; negative once expired.</summary>
        public int? ExpiresInDays { get; set; }
        /// <summary>The terminal's site.</summary>
        public string Site { get; set; }
        /// <summary>The log signatures on the line.</summary>
        public string Logs { get; set; }
        /// <summary>The host script's error detail (ERROR lines).</summary>
        public string Detail { get; set; }
        /// <summary>The remediation's repair action.</summary>
        public string Repair { get; set; }
        /// <summary>Intune's detection state, when the source has one.</summary>
        public string Detection { get; set; }
        /// <summary>When the result was reported (UTC).</summary>
        public DateTime? LastSeen { get; set; }
        /// <summary>graph, csv, reports or pipeline.</summary>
        public string Source { get; set; }
        /// <summary>The file and row, report path or remediation id the row came from.</summary>
        public string Origin { get; set; }
        /// <summary>The line as read.</summary>
        public string Line { get; set; }

        /// <summary>
        /// The devices of the library's device table, each field taken by
        /// its column name (snake_case), so a column the library adds or
        /// moves changes nothing here.
        /// </summary>
        public static FleetDevice[] FromTable(NymiDiag.Native.TextTable table)
        {
            if (table == null)
            {
                throw new ArgumentNullException("table");
            }
            Dictionary<string, int> at = new Dictionary<string, int>(StringComparer.Ordinal);
            for (int i = 0; i < table.Columns.Length; i++)
            {
                at[table.Columns[i]] = i;
            }
            int deviceName = Index(at, "device_name");
            int deviceId = Index(at, "device_id");
            int status = Index(at, "status");
            int code = Index(at, "code");
            int parseStatus = Index(at, "parse_status");
            int parseProblem = Index(at, "parse_problem");
            int version = Index(at, "version");
            int ksp = Index(at, "ksp");
            int kspFound = Index(at, "ksp_found");
            int kspExpected = Index(at, "ksp_expected");
            int nes = Index(at, "nes");
            int stage = Index(at, "stage");
            int finding = Index(at, "finding");
            int confidence = Index(at, "confidence");
            int expiry = Index(at, "expiry");
            int expiresInDays = Index(at, "expires_in_days");
            int site = Index(at, "site");
            int logs = Index(at, "logs");
            int detail = Index(at, "detail");
            int repair = Index(at, "repair");
            int detection = Index(at, "detection");
            int lastSeen = Index(at, "last_seen");
            int source = Index(at, "source");
            int origin = Index(at, "origin");
            int line = Index(at, "line");
            FleetDevice[] devices = new FleetDevice[table.Rows.Count];
            for (int r = 0; r < devices.Length; r++)
            {
                string[] row = table.Rows[r];
                FleetDevice d = new FleetDevice();
                d.DeviceName = Field(row, deviceName);
                d.DeviceId = Field(row, deviceId);
                d.Status = Field(row, status);
                d.Code = Field(row, code);
                d.ParseStatus = Field(row, parseStatus);
                d.ParseProblem = Field(row, parseProblem);
                d.Version = Int(Field(row, version));
                d.Ksp = Field(row, ksp);
                d.KspFound = Int(Field(row, kspFound));
                d.KspExpected = Int(Field(row, kspExpected));
                d.Nes = Field(row, nes);
                d.Stage = Field(row, stage);
                d.Finding = Field(row, finding);
                d.Confidence = Field(row, confidence);
                d.Expiry = Time(Field(row, expiry), "yyyy-MM-dd");
                d.ExpiresInDays = Int(Field(row, expiresInDays));
                d.Site = Field(row, site);
                d.Logs = Field(row, logs);
                d.Detail = Field(row, detail);
                d.Repair = Field(row, repair);
                d.Detection = Field(row, detection);
                d.LastSeen = Time(Field(row, lastSeen), "yyyy-MM-dd'T'HH:mm:ss.fff'Z'");
                d.Source = Field(row, source);
                d.Origin = Field(row, origin);
                d.Line = Field(row, line);
                devices[r] = d;
            }
            return devices;
        }

        private static int Index(Dictionary<string, int> at, string name)
        {
            int i;
            return at.TryGetValue(name, out i) ? i : -1;
        }

        private static string Field(string[] row, int index)
        {
            return index >= 0 && index < row.Length ? row[index] : null;
        }

        private static int? Int(string text)
        {
            int value;
            if (text != null && int.TryParse(text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out value))
            {
                return value;
            }
            return null;
        }

        private static DateTime? Time(string text, string format)
        {
            DateTime value;
            if (text != null && DateTime.TryParseExact(text, format, System.Globalization.CultureInfo.InvariantCulture,
                System.Globalization.DateTimeStyles.AssumeUniversal | System.Globalization.DateTimeStyles.AdjustToUniversal, out value))
            {
                return value;
            }
            return null;
        }
    }

    /// <summary>Devices of a fleet report sharing one value, like a Group-Object group.</summary>
    public sealed class FleetGroup
    {
        /// <summary>Holds one group.</summary>
        public FleetGroup(string name, int count)
        {
            Name = name;
            Count = count;
        }

        /// <summary>The value; (none) for devices without one.</summary>
        public string Name { get; private set; }
        /// <summary>How many devices have it.</summary>
        public int Count { get; private set; }

        /// <summary>Name: Count.</summary>
        public override string ToString()
        {
            return Name + ": " + Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    /// <summary>
    /// What Get-NymiFleetReport returns: one row per device, the groups by
    /// verdict, stage, NES and site (most first), and the devices whose
    /// certificates expire soon, whose result is old, or whose line could
    /// not be read.
    /// </summary>
    public sealed class FleetReport
    {
        /// <summary>One row per device, the newest, sorted by name.</summary>
        public FleetDevice[] Devices { get; set; }
        /// <summary>Devices per verdict code.</summary>
        public FleetGroup[] ByVerdict { get; set; }
        /// <summary>Devices per failing stage.</summary>
        public FleetGroup[] ByStage { get; set; }
        /// <summary>Devices per NES.</summary>
        public FleetGroup[] ByNes { get; set; }
        /// <summary>Devices per site.</summary>
        public FleetGroup[] BySite { get; set; }
        /// <summary>Devices whose earliest NEA certificate expires within ExpiringDays, or has expired.</summary>
        public FleetDevice[] Expiring { get; set; }
        /// <summary>Devices whose last result is older than StaleDays.</summary>
        public FleetDevice[] Stale { get; set; }
        /// <summary>Devices whose line or report could not be read (ParseProblem says why).</summary>
        public FleetDevice[] Unparsed { get; set; }
        /// <summary>Devices.</summary>
        public int Total { get; set; }
        /// <summary>Rows read.</summary>
        public int Rows { get; set; }
        /// <summary>Older rows of a device that a newer one replaced.</summary>
        public int Duplicates { get; set; }
        /// <summary>The time the report was made at (UTC).</summary>
        public DateTime Now { get; set; }
        /// <summary>The expiry window, in days.</summary>
        public int ExpiringDays { get; set; }
        /// <summary>The age past which a result is stale, in days.</summary>
        public int StaleDays { get; set; }
        /// <summary>graph, csv, reports or pipeline.</summary>
        public string Source { get; set; }
        /// <summary>Soft problems met while reading.</summary>
        public string[] Warnings { get; set; }

        /// <summary>
        /// The devices at the given indices (one of the library's index
        /// lists, as ConvertFrom-Json gives it: numbers of any integer
        /// type). Converted here because PowerShell's own conversion of
        /// 10,000 numbers to int[] costs more than the rest of the list.
        /// </summary>
        public static FleetDevice[] Pick(FleetDevice[] devices, System.Collections.IEnumerable indices)
        {
            List<FleetDevice> picked = new List<FleetDevice>();
            if (devices == null || indices == null)
            {
                return picked.ToArray();
            }
            foreach (object item in indices)
            {
                object value = item is PSObject ? ((PSObject)item).BaseObject : item;
                long i;
                try
                {
                    i = Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture);
                }
                catch (FormatException)
                {
                    continue;
                }
                catch (InvalidCastException)
                {
                    continue;
                }
                catch (OverflowException)
                {
                    continue;
                }
                if (i >= 0 && i < devices.Length)
                {
                    picked.Add(devices[(int)i]);
                }
            }
            return picked.ToArray();
        }
    }
}
