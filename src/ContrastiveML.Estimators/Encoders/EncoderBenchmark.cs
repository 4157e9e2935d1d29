using System.Diagnostics;
using static TorchSharp.torch;

namespace ContrastiveML.Encoders;

/// <summary>Measures how fast an encoder trains on this machine, to size batches and epochs honestly.</summary>
public static class EncoderBenchmark
{
    /// <summary>
    /// Images per second of one training pass (train-mode forward, a scalar loss, backward) on random
    /// normalized images of the encoder's shape, batch <paramref name="batchSize"/>, averaged over
    /// <paramref name="steps"/> timed steps after <paramref name="warmupSteps"/> untimed ones. No optimizer step
    /// is taken, so the weights do not change (BatchNorm running statistics do, as in any train-mode forward);
    /// the encoder's train/eval mode is restored afterwards.
    /// </summary>
    public static double ForwardBackwardImagesPerSecond(ImageEncoder encoder, int batchSize, int steps, int warmupSteps = 1, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "The batch size must be positive.");
        if (steps <= 0) throw new ArgumentOutOfRangeException(nameof(steps), steps, "At least one timed step is needed.");
        if (warmupSteps < 0) throw new ArgumentOutOfRangeException(nameof(warmupSteps), warmupSteps, "The warm-up step count cannot be negative.");
        device ??= encoder.parameters().FirstOrDefault()?.device ?? CPU;
        var shape = encoder.InputShape;
        var wasTraining = encoder.training;
        encoder.train();
        try
        {
            var stopwatch = new Stopwatch();
            for (var step = 0; step < warmupSteps + steps; step++)
            {
                if (step == warmupSteps) stopwatch.Start();
                using var scope = NewDisposeScope();
                var images = randn(new long[] { batchSize, shape.Channels, shape.Height, shape.Width }, device: device);
                // Any scalar that depends on every feature exercises the full backward pass.
                var loss = encoder.forward(images).square().mean();
                encoder.zero_grad();
                loss.backward();
                // Reading the loss waits for asynchronous devices (CUDA) to finish the step.
                _ = loss.item<float>();
            }
            stopwatch.Stop();
            encoder.zero_grad();
            return (double)batchSize * steps / stopwatch.Elapsed.TotalSeconds;
        }
        finally
        {
            encoder.train(wasTraining);
        }
    }
}
