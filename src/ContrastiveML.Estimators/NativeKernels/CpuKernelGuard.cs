namespace ContrastiveML.NativeKernels;

/// <summary>
/// The once-per-process check that libtorch's CPU kernels compute correct results here, made before the first
/// training step. Every Fit and every encoder the library builds calls <see cref="EnsureVerified"/>; an application
/// that uses TorchSharp itself before its first Fit can call it first, so that oneDNN's ISA cap (read when oneDNN is
/// first used) can still be applied. See <see cref="CpuKernelPolicy"/> for the decision.
/// </summary>
public static class CpuKernelGuard
{
    private static readonly object Gate = new();
    private static CpuKernelStatus? status;
    private static string? failure;

    /// <summary>The status once <see cref="EnsureVerified"/> has succeeded in this process; null before.</summary>
    public static CpuKernelStatus? Status
    {
        get { lock (Gate) return status; }
    }

    /// <summary>
    /// Configures and checks libtorch's CPU kernels the first time it is called (well under a second) and returns what
    /// was found; later calls return the same status, or throw the same error when the check failed.
    /// </summary>
    /// <exception cref="InvalidOperationException">No configuration of the CPU kernels passed the self-check.</exception>
    public static CpuKernelStatus EnsureVerified()
    {
        lock (Gate)
        {
            if (status is not null) return status;
            if (failure is not null) throw new InvalidOperationException(failure);
            try
            {
                status = CpuKernelPolicy.Decide(CpuFacts.Read(), new ProcessCpuKernelControls(), KernelSelfCheck.Run);
                return status;
            }
            catch (InvalidOperationException e)
            {
                failure = e.Message;
                throw;
            }
        }
    }
}
