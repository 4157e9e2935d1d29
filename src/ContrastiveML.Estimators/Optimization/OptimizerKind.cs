namespace ContrastiveML.Optimization;

/// <summary>The optimizers <see cref="TrainingOptimizer"/> can create.</summary>
public enum OptimizerKind
{
    /// <summary>Stochastic gradient descent with (heavy-ball) momentum and L2 weight decay: TorchSharp's <c>torch.optim.SGD</c>.</summary>
    Sgd,

    /// <summary>Adam with decoupled weight decay (Loshchilov and Hutter 2019): TorchSharp's <c>torch.optim.AdamW</c>.</summary>
    AdamW,

    /// <summary>
    /// Layer-wise adaptive rate scaling (You, Gitman and Ginsburg 2017), SimCLR's optimizer for large batches:
    /// SGD with momentum whose step for each weight tensor is scaled by a trust ratio η‖w‖ / (‖g‖ + λ‖w‖).
    /// </summary>
    Lars,
}
