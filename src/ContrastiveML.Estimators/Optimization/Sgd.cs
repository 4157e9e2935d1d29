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
    private readonly double _weightDecay;
    private readonly double _momentum;

    public Sgd(IEnumerable<Parameter> parameters, double learningRate, double weightDecay, double momentum)
    {
        _parameters = parameters.ToArray();
        _momentumBuffers = new OptimizerBuffers(_parameters, "SGD momentum");
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
                // The first update (no buffer yet) copies d into the new buffer, as PyTorch's clone of the first gradient.
                bool started = _momentumBuffers.Has(i);
                Tensor b = _momentumBuffers.For(i);
                if (started) b.mul_(momentum).PlusInPlace(d);
                else b.copy_(d);
                d = b;
            }
            w.add_(d, minusLr);
        }
    }

    /// <summary>Writes the momentum buffers (a parameter has one once it has had its first update).</summary>
    public void SaveState(BinaryWriter writer) => _momentumBuffers.Save(writer);

    /// <summary>Restores what <see cref="SaveState"/> wrote for the same parameters.</summary>
    /// <exception cref="InvalidDataException">The state does not fit these parameters.</exception>
    public void LoadState(BinaryReader reader) => _momentumBuffers.Load(reader);

    public void Dispose() => _momentumBuffers.Dispose();
}
