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
