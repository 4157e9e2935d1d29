using ContrastiveML.Methods.CommandLine;

namespace ContrastiveML.Methods.MoCo;

/// <summary>The command-line options of MoCo, which DenseCL (built on MoCo) takes too.</summary>
internal static class MoCoCliOptions
{
    /// <summary>
    /// The probe's key momentum for about 1,600 steps of batch 256 (a 15-minute CPU run), where the paper's 0.999 (a key
    /// encoder averaging over about 1,000 steps, made for 800 ImageNet epochs) would leave the keys close to the random
    /// initialisation for much of the run. See docs/methods/moco.md.
    /// </summary>
    public const double ProbeKeyMomentum = 0.99;

    /// <summary><c>--key-momentum</c>.</summary>
    public static MethodCliOption<double> KeyMomentum { get; } = new("--key-momentum",
        "Momentum of the key encoder (the paper's 0.999 suits hundreds of epochs; the probe's default suits a 15-minute CPU run).");

    /// <summary><c>--queue-size</c>.</summary>
    public static MethodCliOption<int> QueueSize { get; } = new("--queue-size",
        "Negative keys in the queue, in each of DenseCL's two; at least the batch size.");

    /// <summary><c>--bn-groups</c>.</summary>
    public static MethodCliOption<int> BatchNormGroups { get; } = new("--bn-groups", "Shuffling-BatchNorm groups; 1 turns shuffling off.")
    {
        DefaultDescription = "the estimator's 4, fewer for batches under 8",
    };

    /// <summary>The shuffling-BatchNorm groups for a batch size: the estimator's 4, fewer for batches under 8 (two images per group at least).</summary>
    public static int BatchNormGroupsFor(int batchSize) => Math.Clamp(batchSize / 2, 1, new MoCoOptions().ShuffleBatchNormGroups);

    /// <summary>
    /// MoCo's options on the command line, for MoCo and DenseCL: the papers' settings in <c>pretrain</c>, the probe's
    /// momentum and queue (<paramref name="probeQueueSize"/>) in <c>probe</c>; in both, shuffling-BatchNorm groups that
    /// fit the batch. <paramref name="more"/> are the options of a method built on MoCo, and <paramref name="moreFigures"/>
    /// its figures after MoCo's.
    /// </summary>
    public static MethodCli<TOptions> Cli<TOptions>(int probeQueueSize, MethodCliBinding[] more,
                                                    Func<TOptions, IEnumerable<KeyValuePair<string, object?>>>? moreFigures = null)
        where TOptions : MoCoOptions, new() =>
        new(new MethodCliBinding[]
            {
                KeyMomentum.For<TOptions>(MethodCommands.Probe, (o, m) => o.KeyMomentum = m).WithProbeDefault(ProbeKeyMomentum),
                QueueSize.For<TOptions>(MethodCommands.Probe, (o, q) => o.QueueSize = q).WithProbeDefault(probeQueueSize),
                BatchNormGroups.For<TOptions>(MethodCommands.Probe, (o, g) => o.ShuffleBatchNormGroups = g),
                MethodCliOptions.Temperature.For<TOptions>(MethodCommands.Probe, (o, t) => o.Temperature = t),
                MethodCliOptions.CropScaleMinOf(MethodCommands.Probe),
                MethodCliOptions.ColorJitterOf(MethodCommands.Probe),
            }.Concat(more).ToArray())
        {
            CommandDefaults = (o, context) => o.ShuffleBatchNormGroups = BatchNormGroupsFor(context.BatchSize),
            ProbeFigures = (o, _, _) => new KeyValuePair<string, object?>[]
            {
                new("keyMomentum", o.KeyMomentum),
                new("queueSize", o.QueueSize),
                new("shuffleBatchNormGroups", o.ShuffleBatchNormGroups),
            }.Concat(moreFigures?.Invoke(o) ?? Enumerable.Empty<KeyValuePair<string, object?>>()),
        };
}
