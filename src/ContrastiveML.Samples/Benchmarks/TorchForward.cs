using ContrastiveML.Encoders;
using TorchSharp;
using static TorchSharp.torch;

namespace ContrastiveML.Samples.Benchmarks;

/// <summary>How autograd is set during a TorchSharp forward.</summary>
internal enum TorchGrad
{
    /// <summary>Autograd records the graph, as in a training step.</summary>
    Autograd,
    /// <summary>Under <c>torch.no_grad()</c>: no graph, but tensors still carry version counters.</summary>
    NoGrad,
    /// <summary>Under <c>torch.inference_mode()</c>: no graph and no version-counter or view tracking.</summary>
    InferenceMode,
}

/// <summary>
/// One way of running an encoder's forward over a set of images in TorchSharp, for the bench's comparison of
/// inference configurations (module mode, autograd mode, batch size, libtorch threads).
/// </summary>
/// <param name="TrainMode">Module in train mode (BatchNorm normalises with batch statistics) instead of eval mode.</param>
/// <param name="Grad">Autograd setting.</param>
/// <param name="BatchSize">Images per forward.</param>
/// <param name="Threads">libtorch intra-op threads for the run; null keeps the process setting.</param>
internal sealed record TorchForward(bool TrainMode, TorchGrad Grad, int BatchSize, int? Threads = null)
{
    /// <summary>Runs the forward over the first <paramref name="rows"/> images of <paramref name="pixels"/> (raw 0-255 values), batch by batch.</summary>
    public void Run(ImageEncoder encoder, float[] pixels, ImageShape shape, int rows, Device device)
    {
        int threads = get_num_threads();
        if (Threads is int t) set_num_threads(t);
        encoder.train(TrainMode);
        try
        {
            using IDisposable? mode = Grad switch
            {
                TorchGrad.NoGrad => no_grad(),
                TorchGrad.InferenceMode => inference_mode(),
                _ => null,
            };
            for (int start = 0; start < rows; start += BatchSize)
            {
                using DisposeScope scope = NewDisposeScope();
                int count = Math.Min(BatchSize, rows - start);
                Tensor batch = tensor(pixels.AsSpan(start * shape.Size, count * shape.Size).ToArray(), new long[] { count, shape.Channels, shape.Height, shape.Width });
                if (device.type != DeviceType.CPU) batch = batch.to(device);
                // The same normalisation as the exported graph, then the embedding back on the CPU (as a caller would read it).
                _ = encoder.forward(batch.mul_(1f / 255f).sub_(0.5).div_(0.25)).cpu();
            }
            if (device.type == DeviceType.CUDA) cuda.synchronize();
        }
        finally
        {
            if (Threads is not null) set_num_threads(threads);
        }
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"{(TrainMode ? "train" : "eval")} mode, {Grad switch { TorchGrad.NoGrad => "no_grad", TorchGrad.InferenceMode => "inference_mode", _ => "autograd on" }}, " +
        $"batch {BatchSize}{(Threads is int t ? $", {t} thread{(t == 1 ? "" : "s")}" : "")}";
}
