// P/Invoke shim over the nymidiag C ABI. Compiled by Add-Type at import
// time with the library's absolute path substituted for the placeholder.
// Must stay C# 5 / .NET Framework 4.5 compatible (Windows PowerShell 5.1
// compiles it with the framework's csc) and run on .NET 8+ (PowerShell 7):
// no string interpolation, no nameof, no expression-bodied members.
using System;
using System.Runtime.InteropServices;
using System.Text;

namespace NymiDiag.Native
{
    public static class NATIVE_CLASS_NAME
    {
        private const string LibraryPath = @"NATIVE_LIBRARY_PATH";

        [DllImport(LibraryPath, EntryPoint = "nymidiag_abi_version", CallingConvention = CallingConvention.Cdecl)]
        private static extern uint NativeAbiVersion();

        [DllImport(LibraryPath, EntryPoint = "nymidiag_version", CallingConvention = CallingConvention.Cdecl)]
        private static extern IntPtr NativeVersion();

        [DllImport(LibraryPath, EntryPoint = "nymidiag_buffer_free", CallingConvention = CallingConvention.Cdecl)]
        private static extern void NativeBufferFree(IntPtr ptr, UIntPtr len);

        [DllImport(LibraryPath, EntryPoint = "nymidiag_describe", CallingConvention = CallingConvention.Cdecl)]
        private static extern int NativeDescribe(byte[] request, UIntPtr requestLen, out IntPtr output, out UIntPtr outputLen);

        /// <summary>The library path this class was compiled for.</summary>
        public static string Path
        {
            get { return LibraryPath; }
        }

        /// <summary>C ABI version of the loaded library.</summary>
        public static uint AbiVersion()
        {
            return NativeAbiVersion();
        }

        /// <summary>Library version (static NUL-terminated UTF-8; never freed).</summary>
        public static string Version()
        {
            IntPtr ptr = NativeVersion();
            if (ptr == IntPtr.Zero)
            {
                return string.Empty;
            }
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

        /// <summary>
        /// Calls a capability export with a UTF-8 JSON request and returns its
        /// status; the JSON document it wrote is copied into response and the
        /// native buffer is freed before returning, whatever happens.
        /// </summary>
        public static int Call(string export, byte[] request, out byte[] response)
        {
            if (request == null)
            {
                request = new byte[0];
            }
            UIntPtr requestLen = new UIntPtr((uint)request.Length);
            IntPtr output = IntPtr.Zero;
            UIntPtr outputLen = UIntPtr.Zero;
            int status;
            try
            {
                switch (export)
                {
                    case "nymidiag_describe":
                        status = NativeDescribe(request, requestLen, out output, out outputLen);
                        break;
                    default:
                        throw new ArgumentException("Unknown nymidiag export: " + export, "export");
                }
                response = CopyBuffer(output, outputLen);
            }
            finally
            {
                if (output != IntPtr.Zero)
                {
                    NativeBufferFree(output, outputLen);
                }
            }
            return status;
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
}
