using ContrastiveML.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ContrastiveML.Optimization;

/// <summary>
/// AdamW: Adam with decoupled weight decay (Loshchilov and Hutter, "Decoupled Weight Decay Regularization", ICLR 2019,
/// Algorithm 2), the same update as PyTorch's and TorchSharp's <c>AdamW</c> (no AMSGrad).
/// </summary>
/// <remarks>
/// For every parameter w with gradient g, at its t-th update, with learning rate γ, weight decay λ, β1, β2 and ε:
/// <code>
/// w ← w·(1 − γλ)
/// m ← β1·m + (1 − β1)·g            v ← β2·v + (1 − β2)·g²
/// w ← w − (γ / (1 − β1^t)) · m / (√v / √(1 − β2^t) + ε)
/// </code>
/// m and v start at zero. Why not TorchSharp's own: its step converts each of these numbers to a finalizer-owned
/// Scalar for every parameter at every step (see <see cref="KeptScalars"/>); here they are kept alive through the step.
/// The state (m, v and t per parameter) is checkpointed in this library's format.
/// </remarks>
internal sealed class AdamW : ParameterOptimizer
{
    private const int FirstMoment = 0, SecondMoment = 1;
    private readonly long[] _steps;
    private readonly double _weightDecay;
    private readonly double _beta1;
    private readonly double _beta2;
    private readonly double _epsilon;

    public AdamW(IEnumerable<Parameter> parameters, double learningRate, double weightDecay, double beta1, double beta2 = 0.999, double epsilon = 1e-8)
        : base(parameters, learningRate, "AdamW first-moment", "AdamW second-moment")
    {
        _steps = new long[Parameters.Length];
        _weightDecay = weightDecay;
        _beta1 = beta1;
        _beta2 = beta2;
        _epsilon = epsilon;
    }

    public override void Step()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var s = new KeptScalars();
        double lr = LearningRate;
        Scalar decay = s.Of(1 - lr * _weightDecay), beta1 = s.Of(_beta1), beta2 = s.Of(_beta2);
        Scalar oneMinusBeta1 = s.Of(1 - _beta1), oneMinusBeta2 = s.Of(1 - _beta2), epsilon = s.Of(_epsilon);
        for (int i = 0; i < Parameters.Length; i++)
        {
            var w = Parameters[i];
            var g = w.grad;
            if (g is null) continue;

            long t = ++_steps[i];
            double biasCorrection1 = 1 - Math.Pow(_beta1, t);
            double biasCorrection2 = 1 - Math.Pow(_beta2, t);

            w.mul_(decay);
            Tensor m = Buffer(FirstMoment).For(i).mul_(beta1).add_(g, oneMinusBeta1);
            Tensor v = Buffer(SecondMoment).For(i).mul_(beta2).addcmul_(g, g, oneMinusBeta2);
            // add_(Scalar) alone would pass an implicit alpha of 1: give it the kept one.
            Tensor denominator = v.sqrt().div_(s.Of(Math.Sqrt(biasCorrection2))).add_(epsilon, KeptScalars.One);
            w.addcdiv_(m, denominator, s.Of(-lr / biasCorrection1));
        }
    }

    /// <summary>Writes the step counts, then both moment buffers.</summary>
    public override void SaveState(BinaryWriter writer)
    {
        writer.Write(_steps.Length);
        foreach (long t in _steps) writer.Write(t);
        base.SaveState(writer);
    }

    /// <summary>Restores what <see cref="SaveState"/> wrote for the same parameters.</summary>
    /// <exception cref="InvalidDataException">The state does not fit these parameters.</exception>
    public override void LoadState(BinaryReader reader)
    {
        int count = reader.ReadInt32();
        if (count != Parameters.Length)
            throw new InvalidDataException($"The AdamW state holds step counts of {count} parameters; the model has {Parameters.Length}.");
        for (int i = 0; i < count; i++) _steps[i] = reader.ReadInt64();
        base.LoadState(reader);
    }
}
