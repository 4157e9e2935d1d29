using ContrastiveML.Training;
using TorchSharp;
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
internal sealed class Lars : ParameterOptimizer
{
    private const int VelocityBuffer = 0;
    private readonly double _weightDecay;
    private readonly double _momentum;
    private readonly double _trustCoefficient;

    /// <remarks>The one state buffer is the velocity.</remarks>
    public Lars(IEnumerable<Parameter> parameters, double learningRate, double weightDecay, double momentum, double trustCoefficient)
        : base(parameters, learningRate, "LARS velocity")
    {
        _weightDecay = weightDecay;
        _momentum = momentum;
        _trustCoefficient = trustCoefficient;
    }

    public override void Step()
    {
        // The update's temporaries (norms, trust ratios, scaled gradients) die with the scope each step;
        // only the velocity buffers, created detached from it, persist. Numbers enter as kept Scalars (see KeptScalars).
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var s = new KeptScalars();
        Scalar lr = s.Of(LearningRate), weightDecay = s.Of(_weightDecay), trustCoefficient = s.Of(_trustCoefficient);
        Scalar momentum = s.Of(_momentum), one = s.Of(1.0), zero = s.Of(0.0);
        for (int i = 0; i < Parameters.Length; i++)
        {
            var w = Parameters[i];
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
                var trust = weightNorm * trustCoefficient / gradNorm.add(weightNorm, weightDecay);
                // 0/0 or x/0 where a norm vanishes: fall back to the plain learning rate, as the reference does.
                trust = trust.masked_fill((weightNorm.gt(zero) & gradNorm.gt(zero)).logical_not(), one);
                update = g.add(w, weightDecay) * (trust * lr);
            }

            Tensor velocity = Buffer(VelocityBuffer).For(i);
            velocity.mul_(momentum).PlusInPlace(update);
            w.sub_(velocity);
        }
    }
}
