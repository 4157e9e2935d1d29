namespace ContrastiveML.Optimization;

/// <summary>
/// Learning rate with linear warm-up then cosine decay (Loshchilov and Hutter 2017, without restarts), as in
/// SimCLR (Chen et al. 2020: 10 warm-up epochs, then cosine decay).
/// </summary>
/// <remarks>
/// With base rate η, W warm-up steps, T total steps and final fraction f, the rate for step s (0-based) is
/// <code>
/// s &lt; W :  η·(s + 1)/W                                  (η/W at step 0, η at the last warm-up step)
/// s ≥ W :  η·(f + (1 − f)·½·(1 + cos(π·min(1, (s − W)/(T − W)))))
/// </code>
/// so it is η right after warm-up and η·f from step T on.
/// </remarks>
public sealed class WarmupCosineSchedule
{
    /// <summary>Creates a schedule.</summary>
    /// <param name="baseLearningRate">Peak rate η, ≥ 0 (SimCLR: 0.3 × batch size / 256 with LARS).</param>
    /// <param name="warmupSteps">Steps of linear warm-up, in [0, <paramref name="totalSteps"/>].</param>
    /// <param name="totalSteps">Steps of the whole run, ≥ 1.</param>
    /// <param name="finalFraction">f in [0, 1]: the rate ends at η·f.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of its range.</exception>
    public WarmupCosineSchedule(double baseLearningRate, int warmupSteps, int totalSteps, double finalFraction = 0)
    {
        if (!(baseLearningRate >= 0 && double.IsFinite(baseLearningRate)))
            throw new ArgumentOutOfRangeException(nameof(baseLearningRate), baseLearningRate, $"The base learning rate must be in [0, +inf); found {baseLearningRate}.");
        if (totalSteps < 1)
            throw new ArgumentOutOfRangeException(nameof(totalSteps), totalSteps, $"The total step count must be at least 1; found {totalSteps}.");
        if (warmupSteps < 0 || warmupSteps > totalSteps)
            throw new ArgumentOutOfRangeException(nameof(warmupSteps), warmupSteps, $"The warm-up step count must be in [0, {totalSteps}] (the total); found {warmupSteps}.");
        if (!(finalFraction >= 0 && finalFraction <= 1))
            throw new ArgumentOutOfRangeException(nameof(finalFraction), finalFraction, $"The final fraction must be in [0, 1]; found {finalFraction}.");
        BaseLearningRate = baseLearningRate;
        WarmupSteps = warmupSteps;
        TotalSteps = totalSteps;
        FinalFraction = finalFraction;
    }

    /// <summary>Peak learning rate η.</summary>
    public double BaseLearningRate { get; }

    /// <summary>Number of warm-up steps W.</summary>
    public int WarmupSteps { get; }

    /// <summary>Total number of steps T.</summary>
    public int TotalSteps { get; }

    /// <summary>Fraction f of η reached at step T.</summary>
    public double FinalFraction { get; }

    /// <summary>The learning rate for 0-based step <paramref name="step"/>; steps past the end keep the final rate.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The step is negative.</exception>
    public double LearningRateAt(int step)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        if (step < WarmupSteps)
            return BaseLearningRate * (step + 1) / WarmupSteps;
        int decaySteps = TotalSteps - WarmupSteps;
        double progress = decaySteps == 0 ? 1.0 : Math.Min(1.0, (double)(step - WarmupSteps) / decaySteps);
        double cosine = 0.5 * (1 + Math.Cos(Math.PI * progress));
        return BaseLearningRate * (FinalFraction + (1 - FinalFraction) * cosine);
    }
}
