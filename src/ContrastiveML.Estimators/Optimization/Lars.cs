using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ContrastiveML.Optimization;

/// <summary>
/// LARS: layer-wise adaptive rate scaling (You, Gitman and Ginsburg, "Large Batch Training of Convolutional
/// Networks", 2017, Algorithm 1), with the exclusions SimCLR uses (Chen et al. 2020, appendix B.1).
/// </summary>
/// <remarks>
/// For every weight tensor w with gradient g, learning rate γ, weight decay λ, trust coefficient η and momentum m:
/// <code>
/// trust = η‖w‖ / (‖g‖ + λ‖w‖)        (1 when ‖w‖ = 0 or ‖g‖ = 0)
/// v ← m·v + γ·trust·(g + λw)
/// w ← w − v
/// </code>
/// Parameters with at most one dimension (biases, BatchNorm scales and shifts) get neither weight decay nor
/// adaptation: v ← m·v + γ·g. The velocity starts at zero. Everything stays on the parameters' device as
/// tensors (the trust ratio too), so a step never synchronises with the GPU.
/// </remarks>
internal sealed class Lars : IDisposable
{
    private readonly Parameter[] _parameters;
    private readonly Tensor?[] _velocity;
    private readonly double _weightDecay;
    private readonly double _momentum;
    private readonly double _trustCoefficient;

    public Lars(IEnumerable<Parameter> parameters, double learningRate, double weightDecay, double momentum, double trustCoefficient)
    {
        _parameters = parameters.ToArray();
        _velocity = new Tensor?[_parameters.Length];
        LearningRate = learningRate;
        _weightDecay = weightDecay;
        _momentum = momentum;
        _trustCoefficient = trustCoefficient;
    }

    public double LearningRate { get; set; }

    public void ZeroGrad()
    {
        // The grad getter hands out a new managed wrapper each time; the scope releases those wrappers.
        using var scope = NewDisposeScope();
        foreach (var p in _parameters)
            p.grad?.zero_();
    }

    public void Step()
    {
        // The update's temporaries (norms, trust ratios, scaled gradients) die with the scope each step;
        // only the velocity buffers, created detached from it, persist.
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        double lr = LearningRate;
        for (int i = 0; i < _parameters.Length; i++)
        {
            var w = _parameters[i];
            var g = w.grad;
            if (g is null) continue;

            Tensor update;
            if (w.dim() <= 1)
            {
                update = g * lr;
            }
            else
            {
                var weightNorm = w.norm();
                var gradNorm = g.norm();
                var trust = weightNorm * _trustCoefficient / (gradNorm + weightNorm * _weightDecay);
                // 0/0 or x/0 where a norm vanishes: fall back to the plain learning rate, as the reference does.
                trust = trust.masked_fill(((weightNorm > 0) & (gradNorm > 0)).logical_not(), 1.0);
                update = (g + w * _weightDecay) * (trust * lr);
            }

            var v = _velocity[i];
            if (v is null)
            {
                v = zeros_like(w).DetachFromDisposeScope();
                _velocity[i] = v;
            }
            v.mul_(_momentum).add_(update);
            w.sub_(v);
        }
    }

    /// <summary>Writes the velocity buffers (a flag per parameter, then its float32 values).</summary>
    public void SaveState(BinaryWriter writer)
    {
        writer.Write(_velocity.Length);
        using var scope = NewDisposeScope();
        foreach (Tensor? v in _velocity)
        {
            writer.Write(v is not null);
            if (v is null) continue;
            float[] values = v.detach().cpu().contiguous().data<float>().ToArray();
            writer.Write(values.Length);
            foreach (float value in values) writer.Write(value);
        }
    }

    /// <summary>Restores what <see cref="SaveState"/> wrote for the same parameters.</summary>
    /// <exception cref="InvalidDataException">The state does not fit these parameters.</exception>
    public void LoadState(BinaryReader reader)
    {
        int count = reader.ReadInt32();
        if (count != _parameters.Length)
            throw new InvalidDataException($"The LARS state holds {count} velocity buffers; the model has {_parameters.Length} parameters.");
        for (int i = 0; i < count; i++)
        {
            _velocity[i]?.Dispose();
            _velocity[i] = null;
            if (!reader.ReadBoolean()) continue;
            int length = reader.ReadInt32();
            if (length != _parameters[i].numel())
                throw new InvalidDataException($"The LARS velocity of parameter {i} has {length} values; the parameter has {_parameters[i].numel()}.");
            var values = new float[length];
            for (int j = 0; j < length; j++) values[j] = reader.ReadSingle();
            Tensor v = zeros_like(_parameters[i]).DetachFromDisposeScope();
            using (NewDisposeScope())
            using (no_grad())
            {
                v.copy_(tensor(values).reshape(_parameters[i].shape));
            }
            _velocity[i] = v;
        }
    }

    public void Dispose()
    {
        for (int i = 0; i < _velocity.Length; i++)
        {
            _velocity[i]?.Dispose();
            _velocity[i] = null;
        }
    }
}
