namespace ContrastiveML.NativeKernels;

/// <summary>What <see cref="CpuKernelGuard"/> found and did in this process.</summary>
/// <param name="Facts">The CPU facts the decision read.</param>
/// <param name="OneDnnIsa">The instruction set oneDNN may use, and who chose it.</param>
/// <param name="OneDnnEnabled">False when the self-check failed with oneDNN and ATen's own kernels are used instead.</param>
/// <param name="NnpackEnabled">False where NNPACK was turned off (it refuses CPUs that report no cache topology).</param>
/// <param name="Check">The self-check run that the final configuration passed.</param>
/// <param name="Notes">What was changed and why, in the words logged to the MLContext and printed by the CLI; empty when nothing was.</param>
public sealed record CpuKernelStatus(CpuFacts Facts, string OneDnnIsa, bool OneDnnEnabled, bool NnpackEnabled,
                                     KernelCheckResult Check, IReadOnlyList<string> Notes)
{
    /// <summary>One line: the configuration and the check.</summary>
    public string Summary =>
        $"CPU kernels: {(OneDnnEnabled ? $"oneDNN ISA {OneDnnIsa}" : "oneDNN off (ATen kernels)")}; self-check {Check}.";
}
