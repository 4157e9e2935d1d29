using TorchSharp;
using TorchSharp.Modules;

namespace ContrastiveML.Encoders;

/// <summary>
/// Removes TorchSharp's <c>num_batches_tracked</c> counter from BatchNorm layers.
/// </summary>
/// <remarks>
/// Why: TorchSharp's <c>BatchNorm.forward</c> counts batches with <c>num_batches_tracked.add_(1)</c>, which converts
/// 1 to two finalizer-owned Scalars (value and alpha) at every training forward of every BatchNorm layer; a garbage
/// collection started by another thread can free them while libtorch reads them (see
/// <see cref="Training.KeptScalars"/>; <c>ScalarLifetimeTests</c> caught it in this very call). The counter serves only
/// a BatchNorm whose momentum is null (a cumulative average); ours all have a fixed momentum (0.1), with which the update
/// of the running statistics does not read the counter, so training is unchanged. The counter also leaves the state
/// dictionary (checkpoints hold the running mean and variance; the ONNX export never read the counter).
/// </remarks>
internal static class BatchNormBatchCounter
{
    /// <summary>Removes the counter from every BatchNorm layer in <paramref name="module"/> (itself included) that has a fixed momentum.</summary>
    public static void Remove(torch.nn.Module module)
    {
        foreach (torch.nn.Module layer in module.modules().Prepend(module))
        {
            if (layer is BatchNorm batchNorm && batchNorm.momentum is not null && batchNorm.num_batches_tracked is not null)
                batchNorm.num_batches_tracked = null;
        }
    }
}
