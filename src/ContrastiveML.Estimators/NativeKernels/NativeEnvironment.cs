using System.Runtime.InteropServices;

namespace ContrastiveML.NativeKernels;

/// <summary>
/// Reads and writes the process environment that native code sees through getenv.
/// </summary>
/// <remarks>
/// On Linux and macOS .NET keeps its own copy of the environment: <see cref="Environment.SetEnvironmentVariable(string, string)"/>
/// does not reach the C library's environ, so oneDNN (which calls getenv when first used) would never see the value.
/// libc's setenv does. On Windows, oneDNN reads GetEnvironmentVariable, which .NET's setter writes.
/// </remarks>
internal static class NativeEnvironment
{
    /// <summary>The value native code would read, or null when unset.</summary>
    public static string? Get(string name)
    {
        if (OperatingSystem.IsWindows()) return Environment.GetEnvironmentVariable(name);
        IntPtr value = getenv(name);
        return value == IntPtr.Zero ? null : Marshal.PtrToStringUTF8(value);
    }

    /// <summary>Sets <paramref name="name"/> for native code (and for .NET's view of the environment).</summary>
    public static void Set(string name, string value)
    {
        Environment.SetEnvironmentVariable(name, value);
        if (OperatingSystem.IsWindows()) return;
        if (setenv(name, value, 1) != 0)
        {
            throw new InvalidOperationException($"setenv({name}) failed with errno {Marshal.GetLastPInvokeError()}.");
        }
    }

    [DllImport("libc", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false)]
    private static extern IntPtr getenv(string name);

    [DllImport("libc", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false)]
    private static extern int setenv(string name, string value, int overwrite);
}
