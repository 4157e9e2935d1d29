using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ContrastiveML.Optimization;

/// <summary>
/// What this library's optimizers (<see cref="AdamW"/>, <see cref="Sgd"/>, <see cref="Lars"/>) share: a fixed list
/// of parameters, a settable learning rate, and per-parameter state buffers that a checkpoint saves and restores in
/// the order they were declared. A derived class supplies the update rule (<see cref="Step"/>) and any state beyond
/// its buffers.
/// </summary>
internal abstract class ParameterOptimizer : IDisposable
{
    private readonly OptimizerBuffers[] _buffers;

    /// <param name="parameters">The parameters to update, in a fixed order (the order of the checkpointed state).</param>
    /// <param name="learningRate">The learning rate of the first steps.</param>
    /// <param name="bufferNames">One state buffer per name (e.g. "SGD momentum"), in checkpoint order; the name is for error messages.</param>
    protected ParameterOptimizer(IEnumerable<Parameter> parameters, double learningRate, params string[] bufferNames)
    {
        Parameters = parameters.ToArray();
        LearningRate = learningRate;
        _buffers = bufferNames.Select(name => new OptimizerBuffers(Parameters, name)).ToArray();
    }

    /// <summary>The parameters, in the order of the state buffers.</summary>
    protected Parameter[] Parameters { get; }

    /// <summary>The learning rate of the next steps.</summary>
    public double LearningRate { get; set; }

    /// <summary>The state buffer declared at <paramref name="index"/> in the constructor's names.</summary>
    protected OptimizerBuffers Buffer(int index) => _buffers[index];

    /// <summary>Sets every existing gradient to zero in place (as TorchSharp's optimizers do; none is set to null).</summary>
    public void ZeroGrad()
    {
        // The grad getter hands out a new managed wrapper each time; the scope releases those wrappers.
        using var scope = NewDisposeScope();
        foreach (Parameter p in Parameters) p.grad?.zero_();
    }

    /// <summary>Updates the parameters from their gradients (parameters without a gradient are left alone).</summary>
    public abstract void Step();

    /// <summary>Writes the optimizer's state for a checkpoint: by default the buffers, in declaration order.</summary>
    public virtual void SaveState(BinaryWriter writer)
    {
        foreach (OptimizerBuffers buffers in _buffers) buffers.Save(writer);
    }

    /// <summary>Restores what <see cref="SaveState"/> wrote for the same parameters.</summary>
    /// <exception cref="InvalidDataException">The state does not fit these parameters.</exception>
    public virtual void LoadState(BinaryReader reader)
    {
        foreach (OptimizerBuffers buffers in _buffers) buffers.Load(reader);
    }

    /// <summary>Frees the state buffers (native memory).</summary>
    public void Dispose()
    {
        foreach (OptimizerBuffers buffers in _buffers) buffers.Dispose();
    }
}
