using ContrastiveML.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ContrastiveML.Encoders;

/// <summary>
/// <see cref="BatchNorm2d"/>'s forward without a finalizer-owned Scalar: the encoders run their BatchNorm layers
/// through <see cref="Forward"/> instead of <c>call</c>.
/// </summary>
/// <remarks>
/// TorchSharp's <c>BatchNorm.forward</c> (0.107) counts every training batch with <c>num_batches_tracked.add_(1)</c>,
/// which converts both the 1 and the hidden alpha of <c>add_</c> to Scalars owned only by the finalizer: two per
/// BatchNorm layer and forward, the use-after-free that <see cref="KeptScalars"/> explains. <see cref="Forward"/>
/// is that same method with the counter advanced by the process-lifetime <see cref="KeptScalars.One"/>
/// (an Int64 Scalar, as the implicit 1 was): the same checks, the same counter, and the same
/// <c>F.batch_norm</c> call with the module's statistics, parameters, momentum and eps, so outputs, running
/// statistics and batch counts are bit-identical. <c>F.batch_norm</c> takes its momentum and eps as plain doubles.
/// Unlike <c>call</c>, it runs no forward hooks; nothing in this library hooks BatchNorm layers
/// (<see cref="FlopCounter"/> hooks convolutions and linear layers only).
/// </remarks>
internal static class KeptBatchNorm
{
    /// <summary><paramref name="batchNorm"/>'s forward on <paramref name="input"/> <c>[N, C, H, W]</c>, training mode or not.</summary>
    /// <exception cref="ArgumentException">The input is not 4-dimensional (BatchNorm2d's own check).</exception>
    public static Tensor Forward(BatchNorm2d batchNorm, Tensor input)
    {
        ArgumentNullException.ThrowIfNull(batchNorm);
        ArgumentNullException.ThrowIfNull(input);
        if (input.ndim != 4) throw new ArgumentException($"expected 4D input, but got {input.ndim}D input.");

        double exponentialAverageFactor = batchNorm.momentum ?? 0.0;
        if (batchNorm.training && batchNorm.track_running_stats && batchNorm.num_batches_tracked is Tensor batches)
        {
            batches.add_(KeptScalars.One, KeptScalars.One);
            // A null momentum means a cumulative average over the batches counted so far (not used by our encoders).
            if (batchNorm.momentum is null) exponentialAverageFactor = 1.0 / (double)batches;
        }

        bool useBatchStatistics = batchNorm.training || (batchNorm.running_mean is null && batchNorm.running_var is null);
        bool passRunningStatistics = !batchNorm.training || batchNorm.track_running_stats;
        return F.batch_norm(input,
            passRunningStatistics ? batchNorm.running_mean : null,
            passRunningStatistics ? batchNorm.running_var : null,
            batchNorm.weight, batchNorm.bias, useBatchStatistics, exponentialAverageFactor, batchNorm.eps);
    }

    /// <summary>
    /// <paramref name="module"/> applied to <paramref name="input"/>: <see cref="Forward"/> for a <see cref="BatchNorm2d"/>,
    /// <c>call</c> (which runs the module's hooks) for anything else.
    /// </summary>
    public static Tensor Call(nn.Module<Tensor, Tensor> module, Tensor input) =>
        module is BatchNorm2d batchNorm ? Forward(batchNorm, input) : module.call(input);
}
