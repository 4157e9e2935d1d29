using ContrastiveML.Data;
using ContrastiveML.Optimization;
using TorchSharp;
using static TorchSharp.torch;

namespace ContrastiveML.Training;

/// <summary>
/// One optimiser step of any method on one batch: the pixels onto the device, the method's loss, a stop on a non-finite
/// loss, backward, the optimiser at the scheduled learning rate, and the method's after-step update. Fit's loop and the
/// benchmark run this same code, so the benchmark's figures are those of Fit's step.
/// </summary>
/// <remarks>
/// The step does not own the objects it is given; it owns only the kept pixel-scale Scalar (see <see cref="KeptScalars"/>).
/// With an <see cref="ITrainingStepProbe"/> the step reports each <see cref="TrainingStepPhase"/>, synchronising the
/// device first; without one (Fit) it does neither.
/// </remarks>
internal sealed class TrainingStep : IDisposable
{
    private readonly IContrastiveMethod _method;
    private readonly TrainingOptimizer _optimizer;
    private readonly Func<Tensor, Tensor> _normalize;
    private readonly Generator _generator;
    private readonly Device _device;
    private readonly ImageShape _shape;
    private readonly double _configuredLearningRate;
    private readonly KeptScalars _scalars = new();
    private readonly Scalar _pixelScale;

    /// <param name="method">The method whose loss is minimised.</param>
    /// <param name="optimizer">The optimiser over the method's trainable parameters.</param>
    /// <param name="normalize">Maps [0, 1] images to the encoder's input (e.g. <see cref="TrainingNormalization.Apply"/>).</param>
    /// <param name="generator">The random generator on the device that view augmentation draws from.</param>
    /// <param name="device">The training device.</param>
    /// <param name="shape">The images' shape.</param>
    /// <param name="pixelScale">Maps raw pixel values to [0, 1].</param>
    /// <param name="configuredLearningRate">The options' peak learning rate, named in the error on a non-finite loss.</param>
    public TrainingStep(IContrastiveMethod method, TrainingOptimizer optimizer, Func<Tensor, Tensor> normalize, Generator generator,
                        Device device, ImageShape shape, float pixelScale, double configuredLearningRate)
    {
        _method = method;
        _optimizer = optimizer;
        _normalize = normalize;
        _generator = generator;
        _device = device;
        _shape = shape;
        _configuredLearningRate = configuredLearningRate;
        // Kept alive for every step (see KeptScalars); a float widened to double makes the same native Scalar as the float itself.
        _pixelScale = _scalars.Of(pixelScale);
    }

    /// <summary>Trains on <paramref name="batch"/> and returns its loss (before the update).</summary>
    /// <param name="batch">The raw pixels (and labels) of this step.</param>
    /// <param name="learningRate">The rate the optimiser steps with.</param>
    /// <param name="step">This step's 1-based number in the run, and <paramref name="epoch"/> its epoch: named in the error on a non-finite loss.</param>
    /// <param name="epoch">This step's 1-based epoch.</param>
    /// <param name="probe">Told each phase of the step; null for none.</param>
    /// <exception cref="InvalidOperationException">The loss is NaN or infinite; the step is not applied.</exception>
    public double Run(PixelBatch batch, double learningRate, long step, int epoch, ITrainingStepProbe? probe = null)
    {
        double lossValue;
        using (DisposeScope scope = NewDisposeScope())
        {
            Tensor images = BatchToTensor(batch, _shape, _device).mul_(_pixelScale);
            Tensor? labels = LabelsToTensor(batch, _device);
            probe.Mark(TrainingStepPhase.BatchOnDevice, _device);
            Tensor loss = _method.ComputeLoss(new ContrastiveBatch(images, labels, _normalize, _generator) { Probe = probe });
            lossValue = loss.item<float>();
            if (!double.IsFinite(lossValue))
            {
                throw new InvalidOperationException(
                    $"{_method.Name} training diverged: the loss became {lossValue} at step {step} (epoch {epoch}). " +
                    $"Nothing was exported. Usual fixes: lower LearningRate (now {_configuredLearningRate}), raise the temperature, " +
                    "use a longer warm-up (WarmupFraction), or check the input pixels' scale (PixelScale).");
            }
            _optimizer.ZeroGrad();
            loss.backward();
            probe.Mark(TrainingStepPhase.ForwardBackwardDone, _device);
            _optimizer.LearningRate = learningRate;
            _optimizer.Step();
        }
        // Outside the step's dispose scope: what the update keeps (a queue, a bank, momentum weights) outlives the step.
        _method.AfterStep();
        probe.Mark(TrainingStepPhase.OptimizerStepDone, _device);
        return lossValue;
    }

    /// <summary>A batch's labels as an [N] int64 tensor on <paramref name="device"/>; null when the batch has none.</summary>
    internal static Tensor? LabelsToTensor(PixelBatch batch, Device device)
    {
        if (batch.Labels is not long[] labels) return null;
        long[] values = labels.Length == batch.Count ? labels : labels.AsSpan(0, batch.Count).ToArray();
        Tensor result = tensor(values, new long[] { batch.Count });
        return device.type == DeviceType.CPU ? result : result.to(device);
    }

    /// <summary>A batch's raw pixels as an [N,C,H,W] tensor on <paramref name="device"/> (one copy from the managed array).</summary>
    internal static Tensor BatchToTensor(PixelBatch batch, ImageShape shape, Device device)
    {
        int length = batch.Count * shape.Size;
        float[] pixels = batch.Pixels.Length == length ? batch.Pixels : batch.Pixels.AsSpan(0, length).ToArray();
        Tensor images = tensor(pixels, new long[] { batch.Count, shape.Channels, shape.Height, shape.Width });
        return device.type == DeviceType.CPU ? images : images.to(device);
    }

    /// <summary>Frees the kept pixel-scale Scalar; the method, optimiser, generator and normalisation belong to the caller.</summary>
    public void Dispose() => _scalars.Dispose();
}
