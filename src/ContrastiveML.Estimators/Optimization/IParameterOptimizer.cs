namespace ContrastiveML.Optimization;

/// <summary>
/// One of this library's optimizers (<see cref="AdamW"/>, <see cref="Sgd"/>, <see cref="Lars"/>): an update rule over a
/// fixed list of parameters with a settable learning rate and a checkpointable state.
/// </summary>
internal interface IParameterOptimizer : IDisposable
{
    /// <summary>The learning rate of the next steps.</summary>
    double LearningRate { get; set; }

    /// <summary>Sets every gradient to zero in place.</summary>
    void ZeroGrad();

    /// <summary>Updates the parameters from their gradients (parameters without a gradient are left alone).</summary>
    void Step();

    /// <summary>Writes the optimizer's state for a checkpoint.</summary>
    void SaveState(BinaryWriter writer);

    /// <summary>Restores what <see cref="SaveState"/> wrote for the same parameters.</summary>
    void LoadState(BinaryReader reader);
}
