using static TorchSharp.torch;
using Conv2dModule = TorchSharp.Modules.Conv2d;
using LinearModule = TorchSharp.Modules.Linear;

namespace ContrastiveML.Encoders;

/// <summary>
/// Counts the FLOPs of the Conv2d and Linear layers that really run while it is attached (a forward hook on each such
/// layer of the given modules; FLOPs per layer as <see cref="FlopCounter"/> counts them), for whole training steps of
/// any method: two views or one, a key encoder, per-view encoders, heads and classifiers alike.
/// </summary>
/// <remarks>
/// The work is split by whether backward will go through the layer: an output that requires grad costs its forward
/// now and about twice that again in backward (the usual rule), so a step costs about 3x
/// <see cref="ForwardWithGradient"/>; an output made under no_grad (MoCo's and DenseCL's key encoder) costs its forward
/// only. Layers that never ran are reported in <see cref="SilentLayers"/>: a parent that calls a child's
/// <c>forward()</c> directly skips its hook (our modules call their layers through <c>call</c>), and the count would
/// silently be short.
/// </remarks>
internal sealed class LayerFlopRecorder : IDisposable
{
    private readonly List<Action> _removers = new();
    private readonly HashSet<nn.Module> _layers = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<nn.Module> _ran = new(ReferenceEqualityComparer.Instance);

    /// <summary>Hooks every Conv2d and Linear layer of <paramref name="modules"/> (each layer once, however often it is reached).</summary>
    public LayerFlopRecorder(IEnumerable<nn.Module> modules)
    {
        ArgumentNullException.ThrowIfNull(modules);
        foreach (nn.Module module in modules)
        {
            // named_modules lists the descendants only: the module itself may be a layer (a classifier, a head's Linear).
            foreach (nn.Module child in module.named_modules().Select(m => m.module).Prepend(module))
            {
                if (!IsCounted(child) || !_layers.Add(child)) continue;
                _removers.Add(AddHook(child, Record));
            }
        }
    }

    /// <summary>FLOPs of forwards whose output requires grad (backward will repeat about twice this work).</summary>
    public long ForwardWithGradient { get; private set; }

    /// <summary>FLOPs of forwards made without grad (forward only).</summary>
    public long ForwardWithoutGradient { get; private set; }

    /// <summary>Forward plus backward: 3 x <see cref="ForwardWithGradient"/> + <see cref="ForwardWithoutGradient"/>.</summary>
    public long TrainingFlops => 3 * ForwardWithGradient + ForwardWithoutGradient;

    /// <summary>The Conv2d and Linear layers hooked.</summary>
    public int Layers => _layers.Count;

    /// <summary>Hooked layers that have not run since the recorder was attached (their work, if any, is not counted).</summary>
    public int SilentLayers => _layers.Count - _ran.Count;

    private static bool IsCounted(nn.Module module) => module is Conv2dModule or LinearModule;

    private void Record(nn.Module layer, Tensor output)
    {
        _ran.Add(layer);
        long flops = FlopCounter.LayerFlops(layer, output);
        if (output.requires_grad) ForwardWithGradient += flops;
        else ForwardWithoutGradient += flops;
    }

    /// <summary>
    /// Calls <paramref name="onForward"/> with the layer and its output after every forward of a Conv2d or Linear
    /// <paramref name="layer"/> (through <c>call</c>, as modules run their children); returns the hook's remover.
    /// </summary>
    private static Action AddHook(nn.Module layer, Action<nn.Module, Tensor> onForward)
    {
        switch (layer)
        {
            case Conv2dModule conv:
                var convHook = conv.register_forward_hook((m, _, output) =>
                {
                    onForward(m, output);
                    return output;
                });
                return () => convHook.remove();
            case LinearModule linear:
                var linearHook = linear.register_forward_hook((m, _, output) =>
                {
                    onForward(m, output);
                    return output;
                });
                return () => linearHook.remove();
            default:
                throw new ArgumentException($"FLOPs are counted for Conv2d and Linear layers; got {layer.GetType().Name}.", nameof(layer));
        }
    }

    /// <summary>Removes the hooks; the counts stay readable.</summary>
    public void Dispose()
    {
        foreach (Action remove in _removers) remove();
        _removers.Clear();
    }
}
