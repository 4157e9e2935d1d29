using ContrastiveML.Encoders;
using ContrastiveML.Training;
using Microsoft.ML;
using TorchSharp;
using static TorchSharp.torch;

namespace ContrastiveML.Tests;

/// <summary>
/// A deterministic stand-in for a contrastive method, for driving the shared training loop into its failure paths:
/// the loss is the mean square of the encoder's output, turned into NaN from step <see cref="NaNFromStep"/> on, and
/// <see cref="OnStep"/> runs inside each step (e.g. to cancel a token mid-training).
/// </summary>
internal sealed class ScriptedMethod : IContrastiveMethod
{
    public ScriptedMethod(ImageEncoder encoder) => Encoder = encoder;

    /// <summary>1-based step from which the loss is NaN; null never.</summary>
    public int? NaNFromStep { get; init; }

    /// <summary>Called with the 1-based step number at the start of each ComputeLoss.</summary>
    public Action<int>? OnStep { get; init; }

    /// <summary>ComputeLoss calls so far.</summary>
    public int Steps { get; private set; }

    /// <summary>Optimiser steps completed (AfterStep calls).</summary>
    public int CompletedSteps { get; private set; }

    public string Name => "Scripted";

    public ImageEncoder Encoder { get; }

    public IEnumerable<TorchSharp.Modules.Parameter> TrainableParameters() => Encoder.parameters();

    public IEnumerable<nn.Module> Modules() => new nn.Module[] { Encoder };

    public void SetTraining(bool training) => Encoder.train(training);

    public void MoveTo(Device device) => Encoder.to(device);

    public Tensor ComputeLoss(ContrastiveBatch batch)
    {
        Steps++;
        OnStep?.Invoke(Steps);
        Tensor loss = Encoder.forward(batch.Normalize(batch.Images)).pow(2).mean();
        return Steps >= NaNFromStep ? loss.mul(float.NaN) : loss;
    }

    public IReadOnlyDictionary<string, double> ProgressFigures() => new Dictionary<string, double>();

    public void AfterStep() => CompletedSteps++;

    public void SaveState(BinaryWriter writer) => Encoder.save(writer);

    public void LoadState(BinaryReader reader) => Encoder.load(reader, strict: true);

    public void Dispose()
    {
    }
}

/// <summary>The shared Fit around a <see cref="ScriptedMethod"/>: the whole estimator path, with a scripted loss.</summary>
internal sealed class ScriptedEstimator : ContrastiveEncoderEstimator<SimClrOptions>
{
    private readonly Holder _holder;

    public ScriptedEstimator(MLContext ml, SimClrOptions options, Func<ImageEncoder, ScriptedMethod> create)
        : this(ml, options, new Holder(create))
    {
    }

    private ScriptedEstimator(MLContext ml, SimClrOptions options, Holder holder)
        : base(ml, options, new Methods.MethodDescriptor<SimClrOptions>("scripted", "Scripted", c => holder.Method = holder.Create(c.Encoder)))
        => _holder = holder;

    public ScriptedMethod? Method => _holder.Method;

    /// <summary>The factory and the method it made, shared by the descriptor and the estimator.</summary>
    private sealed class Holder(Func<ImageEncoder, ScriptedMethod> create)
    {
        public Func<ImageEncoder, ScriptedMethod> Create { get; } = create;

        public ScriptedMethod? Method { get; set; }
    }
}
