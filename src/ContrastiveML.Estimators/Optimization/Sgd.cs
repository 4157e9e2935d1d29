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
internal sealed class Sgd : ParameterOptimizer
{
    private const int MomentumBuffer = 0;
    private readonly double _weightDecay;
    private readonly double _momentum;

    /// <remarks>The one state buffer is the momentum (a parameter has one once it has had its first update).</remarks>
    public Sgd(IEnumerable<Parameter> parameters, double learningRate, double weightDecay, double momentum)
        : base(parameters, learningRate, "SGD momentum")
    {
        _weightDecay = weightDecay;
        _momentum = momentum;
    }

    public override void Step()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var s = new KeptScalars();
        Scalar weightDecay = s.Of(_weightDecay), momentum = s.Of(_momentum), minusLr = s.Of(-LearningRate);
        for (int i = 0; i < Parameters.Length; i++)
        {
            var w = Parameters[i];
            var g = w.grad;
            if (g is null) continue;

            Tensor d = _weightDecay != 0 ? g.add(w, weightDecay) : g;
            if (_momentum != 0)
            {
                // The first update (no buffer yet) copies d into the new buffer, as PyTorch's clone of the first gradient.
                OptimizerBuffers momentumBuffers = Buffer(MomentumBuffer);
                bool started = momentumBuffers.Has(i);
                Tensor b = momentumBuffers.For(i);
                if (started) b.mul_(momentum).PlusInPlace(d);
                else b.copy_(d);
                d = b;
            }
            w.add_(d, minusLr);
        }
    }

}
