using static TorchSharp.torch;

namespace ContrastiveML.Methods.MoCo;

/// <summary>
/// MoCo's shuffling BatchNorm (He et al. 2020, §3.3) emulated on one device. In multi-GPU MoCo each GPU normalises its
/// own sub-batch, and the keys' batch is shuffled across GPUs before the key encoder and unshuffled after it, so a query
/// and its positive key never share BatchNorm statistics: otherwise the statistics leak which key belongs to the batch
/// and the model "cheats" the pretext task with them. Here the batch is split into G groups and each group goes through
/// the encoder in its own forward (so BatchNorm in training mode sees only that group, like one GPU): the queries in their
/// order, the keys after a random permutation, which is undone afterwards.
/// </summary>
/// <remarks>
/// Groups are as equal as possible (sizes differ by at most one) and hold at least two rows each (BatchNorm needs two
/// values per channel), so a batch of n rows uses min(G, n / 2) groups. BatchNorm's running statistics are updated once
/// per group, each an exponential moving average over a sub-batch, as on each GPU of a multi-GPU run.
/// </remarks>
internal static class ShuffledBatchNorm
{
    /// <summary>The groups a batch of <paramref name="rows"/> rows is split into: min(<paramref name="groups"/>, rows / 2), at least 1.</summary>
    public static int EffectiveGroups(long rows, int groups) => (int)Math.Max(1, Math.Min(groups, rows / 2));

    /// <summary><paramref name="forward"/> applied to each of the groups of <paramref name="input"/> (rows in order), results concatenated.</summary>
    public static Tensor ForwardInGroups(Func<Tensor, Tensor> forward, Tensor input, int groups)
    {
        ArgumentNullException.ThrowIfNull(forward);
        ArgumentNullException.ThrowIfNull(input);
        int count = EffectiveGroups(input.shape[0], groups);
        if (count == 1) return forward(input);
        using var scope = NewDisposeScope();
        Tensor[] parts = input.tensor_split(count, dim: 0).Select(forward).ToArray();
        return cat(parts, 0).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// <paramref name="forward"/> over the groups of a random permutation of <paramref name="input"/>'s rows (drawn from
    /// <paramref name="generator"/>), returned in the original row order: output row i is row i's result. With one
    /// effective group nothing is drawn (BatchNorm statistics do not depend on the order).
    /// </summary>
    public static Tensor ForwardShuffled(Func<Tensor, Tensor> forward, Tensor input, int groups, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(forward);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(generator);
        long rows = input.shape[0];
        if (EffectiveGroups(rows, groups) == 1) return forward(input);
        using var scope = NewDisposeScope();
        // Drawn on the generator's device, then moved: a CPU generator also serves a CUDA batch.
        Tensor permutation = randperm(rows, generator: generator, device: generator.device).to(input.device);
        Tensor shuffled = ForwardInGroups(forward, input.index_select(0, permutation), groups);
        Tensor inverse = argsort(permutation);
        return shuffled.index_select(0, inverse).MoveToOuterDisposeScope();
    }
}
