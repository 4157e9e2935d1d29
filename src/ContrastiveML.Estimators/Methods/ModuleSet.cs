using ContrastiveML.Encoders;
using ContrastiveML.Methods.MoCo;
using TorchSharp;
using static TorchSharp.torch;

namespace ContrastiveML.Methods;

/// <summary>
/// Everything a method trains or carries between steps, in registration order: the trained modules (the encoder
/// first), the momentum copies that follow trained modules without being optimised (MoCo's key encoder and heads), and
/// stateful buffers (<see cref="IMethodState"/>). Training mode, device moves, checkpoint state and disposal all walk
/// this one list, so a checkpoint holds trained modules, then momentum copies, then states, each group in the order
/// the method registered it.
/// </summary>
/// <remarks>The encoder belongs to Fit, which exports it: the set never disposes it.</remarks>
internal sealed class ModuleSet : IDisposable
{
    private readonly ImageEncoder _encoder;
    private readonly List<nn.Module> _trained = new();
    private readonly List<nn.Module> _momentumCopies = new();
    private readonly List<MomentumUpdate> _momentumUpdates = new();
    private readonly List<IMethodState> _states = new();

    /// <param name="encoder">The exported encoder: the first trained module.</param>
    public ModuleSet(ImageEncoder encoder)
    {
        _encoder = encoder ?? throw new ArgumentNullException(nameof(encoder));
        _trained.Add(encoder);
    }

    /// <summary>Registers a module the optimiser trains (e.g. a projection head); returns it.</summary>
    public TModule AddTrained<TModule>(TModule module) where TModule : nn.Module
    {
        _trained.Add(module ?? throw new ArgumentNullException(nameof(module)));
        return module;
    }

    /// <summary>
    /// Registers <paramref name="copy"/> as the momentum copy of the trained module <paramref name="trained"/> (its state is
    /// copied now; <see cref="FollowTrained"/> moves it towards the trained module after each step); returns the copy.
    /// </summary>
    public TModule AddMomentumCopy<TModule>(TModule trained, TModule copy) where TModule : nn.Module
    {
        _momentumUpdates.Add(new MomentumUpdate(trained, copy));
        _momentumCopies.Add(copy);
        return copy;
    }

    /// <summary>Registers a stateful buffer (a queue, a memory bank); returns it.</summary>
    public TState AddState<TState>(TState state) where TState : IMethodState
    {
        _states.Add(state ?? throw new ArgumentNullException(nameof(state)));
        return state;
    }

    /// <summary>The parameters of the trained modules, in registration order (the optimiser's order).</summary>
    public IEnumerable<TorchSharp.Modules.Parameter> TrainableParameters() => _trained.SelectMany(m => m.parameters());

    /// <summary>The trained modules, then the momentum copies: every module a step runs.</summary>
    public IEnumerable<nn.Module> Modules() => _trained.Concat(_momentumCopies);

    /// <summary>Training or evaluation mode for every module, momentum copies included (MoCo's keys use batch statistics).</summary>
    public void SetTraining(bool training)
    {
        foreach (nn.Module module in Modules()) module.train(training);
    }

    /// <summary>Moves every module, then every state, to <paramref name="device"/>.</summary>
    public void MoveTo(Device device)
    {
        foreach (nn.Module module in Modules()) module.to(device);
        foreach (IMethodState state in _states) state.MoveTo(device);
    }

    /// <summary>Moves each momentum copy towards its trained module: copy = m · copy + (1 − m) · trained.</summary>
    public void FollowTrained(double momentum)
    {
        foreach (MomentumUpdate update in _momentumUpdates) update.Apply(momentum);
    }

    /// <summary>Every module's parameters and buffers (Module.save), then every state.</summary>
    public void Save(BinaryWriter writer)
    {
        foreach (nn.Module module in Modules()) module.save(writer);
        foreach (IMethodState state in _states) state.Save(writer);
    }

    /// <summary>Restores what <see cref="Save"/> wrote, into modules of the same architecture.</summary>
    public void Load(BinaryReader reader)
    {
        foreach (nn.Module module in Modules()) module.load(reader, strict: true);
        foreach (IMethodState state in _states) state.Load(reader);
    }

    /// <summary>Disposes every module but the encoder, then every state.</summary>
    public void Dispose()
    {
        foreach (nn.Module module in Modules().Where(m => !ReferenceEquals(m, _encoder))) module.Dispose();
        foreach (IMethodState state in _states) state.Dispose();
    }
}
