namespace ContrastiveML.NativeKernels;

/// <summary>The outcome of one run of <see cref="KernelSelfCheck"/>.</summary>
/// <param name="Passed">Whether every compared tensor was within the tolerance and two identical runs agreed bit for bit.</param>
/// <param name="Operation">The first operation that disagreed (forward order, then backward), or null when the check passed.</param>
/// <param name="MaxAbsDifference">The largest |libtorch - reference| of <paramref name="Operation"/> (of the worst tensor when passed); NaN or infinity when libtorch produced them.</param>
/// <param name="Tolerance">The largest difference allowed for that tensor: <see cref="KernelSelfCheck.RelativeTolerance"/> times its largest reference magnitude.</param>
/// <param name="Elapsed">How long the check took.</param>
public sealed record KernelCheckResult(bool Passed, string? Operation, double MaxAbsDifference, double Tolerance, TimeSpan Elapsed)
{
    /// <summary>One line for logs and errors.</summary>
    public override string ToString() => Passed
        ? $"passed (largest difference {MaxAbsDifference:G3}, within tolerance; {Elapsed.TotalMilliseconds:F0} ms)"
        : $"failed: {Operation} differs from the reference by {MaxAbsDifference:G3} (tolerance {Tolerance:G3})";
}
