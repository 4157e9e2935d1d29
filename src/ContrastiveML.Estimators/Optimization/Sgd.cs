using ContrastiveML.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ContrastiveML.Optimization;

/// <summary>
/// Stochastic gradient descent with heavy-ball momentum and L2 weight decay added to the gradient, the same update
/// as PyTorch's and TorchSharp's <c>SGD</c> without dampening or Nesterov momentum.
/// </summary>
/// <remarks>
/// For every parameter w with gradient g, learning rate γ, weight decay λ and momentum μ:
/// <code>
/// d ← g + λw
/// b ← d at the first update, μ·b + d afterwards (when μ > 0; otherwise b = d)
/// w ← w − γ·b
/// </code>
/// Why not TorchSharp's own: its step converts these numbers to finalizer-owned Scalars for every parameter at
/// every step (see <see cref="KeptScalars"/>); here they are kept alive through the step.
/// </remarks>
internal sealed class Sgd : IParameterOptimizer
{
    private readonly Parameter[] _parameters;
    private readonly OptimizerBuffers _momentumBuffers;
    private readonly bool[] _started;
    private readonly double _weightDecay;
    private readonly double _momentum;

    public Sgd(IEnumerable<Parameter> parameters, double learningRate, double weightDecay, double momentum)
    {
        _parameters = parameters.ToArray();
        _momentumBuffers = new OptimizerBuffers(_parameters, "SGD momentum");
        _started = new bool[_parameters.Length];
        LearningRate = learningRate;
        _weightDecay = weightDecay;
        _momentum = momentum;
    }

    public double LearningRate { get; set; }

    public void ZeroGrad() => OptimizerGradients.Zero(_parameters);

    public void Step()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var s = new KeptScalars();
        Scalar weightDecay = s.Of(_weightDecay), momentum = s.Of(_momentum), minusLr = s.Of(-LearningRate);
        for (int i = 0; i < _parameters.Length; i++)
        {
            var w = _parameters[i];
            var g = w.grad;
            if (g is null) continue;

            Tensor d = _weightDecay != 0 ? g.add(w, weightDecay) : g;
            if (_momentum != 0)
            {
                Tensor b = _momentumBuffers.For(i);
                // The first update copies d into the (zero) buffer, as PyTorch's clone of the first gradient.
                if (_started[i]) b.mul_(momentum).PlusInPlace(d);
                else b.copy_(d);
                _started[i] = true;
                d = b;
            }
            w.add_(d, minusLr);
        }
    }

    /// <summary>Writes whether each parameter has had its first update, then the momentum buffers.</summary>
    public void SaveState(BinaryWriter writer)
    {
        writer.Write(_started.Length);
        foreach (bool started in _started) writer.Write(started);
        _momentumBuffers.Save(writer);
    }

    /// <summary>Restores what <see cref="SaveState"/> wrote for the same parameters.</summary>
    /// <exception cref="InvalidDataException">The state does not fit these parameters.</exception>
    public void LoadState(BinaryReader reader)
    {
        int count = reader.ReadInt32();
        if (count != _parameters.Length)
            throw new InvalidDataException($"The SGD state covers {count} parameters; the model has {_parameters.Length}.");
        for (int i = 0; i < count; i++) _started[i] = reader.ReadBoolean();
        _momentumBuffers.Load(reader);
    }

    public void Dispose() => _momentumBuffers.Dispose();
}
