using ContrastiveML.NativeKernels;

namespace ContrastiveML.Samples;

/// <summary>Runs the library's CPU kernel check at the start of a command that trains, and prints what it changed.</summary>
/// <remarks>
/// First, before the command touches libtorch, so that a cap on oneDNN's instruction set can still take effect (oneDNN
/// reads it once, at first use). Prints the notes only: on a machine where nothing had to change the output is as before.
/// </remarks>
internal static class CpuKernelNotice
{
    public static CpuKernelStatus Print(TextWriter output)
    {
        CpuKernelStatus status = CpuKernelGuard.EnsureVerified();
        foreach (string note in status.Notes) output.WriteLine(note);
        return status;
    }
}
