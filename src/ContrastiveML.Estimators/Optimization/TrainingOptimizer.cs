using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ContrastiveML.Optimization;

/// <summary>
/// One optimizer behind one interface, whatever its kind: this library's SGD, AdamW or LARS (the first two compute
/// what TorchSharp's do; see <see cref="AdamW"/> for why they are not TorchSharp's). The learning rate is settable
/// between steps so a schedule (<see cref="WarmupCosineSchedule"/>) can drive it.
/// </summary>
public sealed class TrainingOptimizer : IDisposable
{
    private readonly ParameterOptimizer _optimizer;

    private TrainingOptimizer(OptimizerKind kind, ParameterOptimizer optimizer)
    {
        Kind = kind;
        _optimizer = optimizer;
    }

    /// <summary>
    /// Creates an optimizer over <paramref name="parameters"/>.
    /// </summary>
    /// <param name="kind">Which optimizer.</param>
    /// <param name="parameters">The parameters to train (read once, here).</param>
    /// <param name="learningRate">Initial learning rate, ≥ 0.</param>
    /// <param name="weightDecay">
    /// Weight decay, ≥ 0: L2 added to the gradient of every parameter for SGD, decoupled decay of every
    /// parameter for AdamW, and for LARS decay of weight tensors only (not of 1-D parameters such as biases).
    /// </param>
    /// <param name="momentum">Momentum in [0, 1): heavy-ball momentum for SGD and LARS; Adam's β1 for AdamW (β2 stays 0.999).</param>
    /// <param name="trustCoefficient">LARS's η in (0, +inf); 0.001 as in You et al. and SimCLR. Ignored by the other kinds.</param>
    /// <exception cref="ArgumentOutOfRangeException">A rate is out of range, or the kind is unknown.</exception>
    /// <exception cref="ArgumentException">There are no parameters.</exception>
    public static TrainingOptimizer Create(OptimizerKind kind, IEnumerable<Parameter> parameters, double learningRate, double weightDecay, double momentum = 0.9, double trustCoefficient = 0.001)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        CheckLearningRate(learningRate);
        if (!(weightDecay >= 0 && double.IsFinite(weightDecay)))
            throw new ArgumentOutOfRangeException(nameof(weightDecay), weightDecay, $"The weight decay must be in [0, +inf); found {weightDecay}.");
        if (!(momentum >= 0 && momentum < 1))
            throw new ArgumentOutOfRangeException(nameof(momentum), momentum, $"The momentum must be in [0, 1); found {momentum}.");
        if (!(trustCoefficient > 0 && double.IsFinite(trustCoefficient)))
            throw new ArgumentOutOfRangeException(nameof(trustCoefficient), trustCoefficient, $"The LARS trust coefficient must be in (0, +inf); found {trustCoefficient}.");
        var list = parameters.ToList();
        if (list.Count == 0)
            throw new ArgumentException("There are no parameters to optimize.", nameof(parameters));

        return kind switch
        {
            OptimizerKind.Sgd => new TrainingOptimizer(kind, new Sgd(list, learningRate, weightDecay, momentum)),
            OptimizerKind.AdamW => new TrainingOptimizer(kind, new AdamW(list, learningRate, weightDecay, beta1: momentum)),
            OptimizerKind.Lars => new TrainingOptimizer(kind, new Lars(list, learningRate, weightDecay, momentum, trustCoefficient)),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown optimizer kind."),
        };
    }

    /// <summary>The optimizer the options name, with their learning rate, weight decay and momentum.</summary>
    internal static TrainingOptimizer Create(ContrastiveEncoderOptions options, IEnumerable<Parameter> parameters) =>
        Create(options.Optimizer, parameters, options.LearningRate, options.WeightDecay, options.Momentum);

    /// <summary>The kind this optimizer was created as.</summary>
    public OptimizerKind Kind { get; }

    /// <summary>The learning rate of the next steps; setting it applies to every parameter group.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative or not finite.</exception>
    public double LearningRate
    {
        get => _optimizer.LearningRate;
        set
        {
            CheckLearningRate(value);
            _optimizer.LearningRate = value;
        }
    }

    /// <summary>Sets the gradients of all parameters to zero; call before each backward pass.</summary>
    public void ZeroGrad() => _optimizer.ZeroGrad();

    /// <summary>Updates the parameters from their current gradients.</summary>
    public void Step() => _optimizer.Step();

    /// <summary>
    /// Writes the optimizer's state (momentum, moment buffers, step counts; for LARS its velocity buffers) for a checkpoint.
    /// </summary>
    internal void SaveState(BinaryWriter writer)
    {
        writer.Write(Kind.ToString());
        _optimizer.SaveState(writer);
    }

    /// <summary>Restores what <see cref="SaveState"/> wrote, into an optimizer of the same kind over the same parameters.</summary>
    /// <exception cref="InvalidDataException">The state was written by another kind of optimizer.</exception>
    internal void LoadState(BinaryReader reader)
    {
        string kind = reader.ReadString();
        if (kind != Kind.ToString()) throw new InvalidDataException($"The optimizer state is of a {kind} optimizer, not {Kind}.");
        _optimizer.LoadState(reader);
    }

    /// <summary>Releases the optimizer state (momentum and moment buffers).</summary>
    public void Dispose() => _optimizer.Dispose();

    private static void CheckLearningRate(double value)
    {
        if (!(value >= 0 && double.IsFinite(value)))
            throw new ArgumentOutOfRangeException(nameof(LearningRate), value, $"The learning rate must be in [0, +inf); found {value}.");
    }
}
