namespace ContrastiveML.NativeKernels;

/// <summary>
/// Decides how libtorch's CPU kernels are configured on this machine, verifies the result with
/// <see cref="KernelSelfCheck"/>, and refuses to go on when no configuration passes. Pure apart from the injected
/// controls and check, so the decision is tested with made-up machines.
/// </summary>
/// <remarks>
/// The order matters because oneDNN reads its ISA cap once, when first used, and cannot change it afterwards:
/// <list type="number">
/// <item>A cap the user set (<c>ONEDNN_MAX_CPU_ISA</c> or <c>DNNL_MAX_CPU_ISA</c>) is left as it is. Otherwise, on x86
/// CPUs that report no cache topology, oneDNN is capped at <see cref="SafeIsa"/> before its first use: on such a
/// machine (AMD family 26 under a hypervisor) its AVX-512 kernels gave wrong, changing convolution input gradients and
/// its AVX2 kernels a wrong one for 16→4 channels every time, while AVX and SSE4.1 were right.</item>
/// <item>On x86 CPUs that report no cache topology, NNPACK is turned off: it refuses such CPUs anyway, and prints
/// "Could not initialize NNPACK! Reason: Unsupported hardware." into the user's output when it does.</item>
/// <item>The self-check runs. If it fails, oneDNN can no longer be re-capped in this process, so it is turned off
/// (ATen's own kernels) and the check runs again; the notes say how to keep oneDNN at a lower ISA next time.</item>
/// <item>If it still fails, an <see cref="InvalidOperationException"/> names the operation, the difference and what to set.</item>
/// </list>
/// Machines that report their caches keep every ISA the CPU offers unless the check fails there.
/// </remarks>
internal static class CpuKernelPolicy
{
    /// <summary>The variable oneDNN reads for its ISA cap (the <c>ONEDNN_</c> spelling takes precedence in oneDNN).</summary>
    public const string IsaVariable = "DNNL_MAX_CPU_ISA";

    /// <summary>The newer spelling of <see cref="IsaVariable"/>.</summary>
    public const string IsaVariableNew = "ONEDNN_MAX_CPU_ISA";

    /// <summary>The cap set where the CPU reports no cache topology.</summary>
    public const string SafeIsa = "AVX";

    /// <summary>Configures, checks and returns the status; throws when no configuration passes the check.</summary>
    public static CpuKernelStatus Decide(CpuFacts facts, ICpuKernelControls controls, Func<KernelCheckResult> check)
    {
        var notes = new List<string>();
        bool noTopology = facts.IsX86 && !facts.ReportsCacheTopology;

        string isa;
        // The user's cap, under the spelling oneDNN itself would read first.
        (string? userVariable, string? userValue) = new[] { IsaVariableNew, IsaVariable }
            .Select(name => (Name: (string?)name, Value: controls.GetEnvironment(name)))
            .FirstOrDefault(v => v.Value is not null);
        if (userVariable is not null)
        {
            isa = $"{userValue} (set in the environment as {userVariable})";
        }
        else if (noTopology)
        {
            controls.SetEnvironment(IsaVariable, SafeIsa);
            isa = $"{SafeIsa} (capped by ContrastiveML)";
            notes.Add($"CPU kernels: this CPU ({facts}) is of a kind where libtorch's oneDNN AVX2 and AVX-512 convolution kernels " +
                      $"were seen to compute wrong gradients, so ContrastiveML limited oneDNN to {SafeIsa} for this process. " +
                      $"Set {IsaVariable} in the environment to choose otherwise; the self-check still runs.");
        }
        else
        {
            isa = "every ISA the CPU offers";
        }
        // After the cap: switching NNPACK off loads libtorch, and the cap must be in the environment before anything in it runs.
        bool nnpack = !(noTopology && controls.TryDisableNnpack());

        KernelCheckResult first = check();
        if (first.Passed) return new CpuKernelStatus(facts, isa, OneDnnEnabled: true, nnpack, first, notes);

        string what = $"libtorch's CPU kernels failed ContrastiveML's self-check on this machine ({facts}) with oneDNN ISA {isa}: {first}";
        if (userVariable is null && controls.TryDisableOneDnn())
        {
            KernelCheckResult second = check();
            if (second.Passed)
            {
                notes.Add($"{what}. oneDNN cannot be re-capped once used, so ContrastiveML turned it off for this process " +
                          $"(ATen's own kernels pass the check; training is slower). To keep oneDNN, set {IsaVariable}={SafeIsa} " +
                          "(or SSE41) in the environment before the process starts.");
                return new CpuKernelStatus(facts, isa, OneDnnEnabled: false, nnpack, second, notes);
            }
            what += $"; with oneDNN off: {second}";
        }
        throw new InvalidOperationException(
            $"{what}. Training here would give wrong results, so it stops before the first step. What you can set: " +
            $"{IsaVariable}=AVX or {IsaVariable}=SSE41 in the environment before the process starts" +
            (userVariable is not null ? $" (now {userVariable}={userValue}, which is respected)" : "") +
            ", or train with Device = Cuda on a machine with a GPU.");
    }
}
