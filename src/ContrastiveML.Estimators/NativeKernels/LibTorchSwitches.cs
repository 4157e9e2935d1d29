using System.Runtime.InteropServices;

namespace ContrastiveML.NativeKernels;

/// <summary>
/// libtorch's process-wide backend switches that TorchSharp does not expose: <c>at::globalContext().setUserEnabledMkldnn</c>
/// (whether ATen routes convolutions and pooling to oneDNN) and <c>setUserEnabledNNPACK</c>.
/// </summary>
/// <remarks>
/// These are C++ member functions of <c>at::Context</c>, exported by libtorch_cpu under their mangled names (Itanium ABI on
/// Linux and macOS, MSVC on Windows); the context object comes from the exported <c>at::globalContext()</c>. On x64 both
/// ABIs pass <c>this</c> as the first integer argument, so an unmanaged function pointer of (context, bool) calls them.
/// Where a name is not found (another libtorch build) the switch reports that it is unavailable instead of guessing.
/// </remarks>
internal static class LibTorchSwitches
{
    private static readonly string[] LibraryNames = { "libtorch_cpu.so", "libtorch_cpu.dylib", "torch_cpu.dll" };
    private static readonly string[] GlobalContextNames = { "_ZN2at13globalContextEv", "?globalContext@at@@YAAEAVContext@1@XZ" };
    private static readonly string[] SetMkldnnNames = { "_ZN2at7Context20setUserEnabledMkldnnEb", "?setUserEnabledMkldnn@Context@at@@QEAAX_N@Z" };
    private static readonly string[] SetNnpackNames = { "_ZN2at7Context20setUserEnabledNNPACKEb", "?setUserEnabledNNPACK@Context@at@@QEAAX_N@Z" };

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate IntPtr GlobalContext();

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void SetFlag(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool enabled);

    /// <summary>Turns ATen's use of oneDNN on or off for this process; false when libtorch does not export the switch.</summary>
    public static bool TrySetOneDnnEnabled(bool enabled) => TrySet(SetMkldnnNames, enabled);

    /// <summary>Turns ATen's use of NNPACK on or off for this process; false when libtorch does not export the switch.</summary>
    public static bool TrySetNnpackEnabled(bool enabled) => TrySet(SetNnpackNames, enabled);

    private static bool TrySet(string[] setterNames, bool enabled)
    {
        // Any TorchSharp call loads libtorch; after that the loader hands back the same library by name.
        _ = TorchSharp.torch.get_num_threads();
        foreach (string library in LibraryNames)
        {
            if (!NativeLibrary.TryLoad(library, typeof(LibTorchSwitches).Assembly, DllImportSearchPath.SafeDirectories, out IntPtr handle)
                && !NativeLibrary.TryLoad(library, out handle))
            {
                continue;
            }
            IntPtr context = Export(handle, GlobalContextNames);
            IntPtr setter = Export(handle, setterNames);
            if (context == IntPtr.Zero || setter == IntPtr.Zero) return false;
            IntPtr instance = Marshal.GetDelegateForFunctionPointer<GlobalContext>(context)();
            Marshal.GetDelegateForFunctionPointer<SetFlag>(setter)(instance, enabled);
            return true;
        }
        return false;
    }

    private static IntPtr Export(IntPtr library, string[] names)
    {
        foreach (string name in names)
        {
            if (NativeLibrary.TryGetExport(library, name, out IntPtr address)) return address;
        }
        return IntPtr.Zero;
    }
}
