using ContrastiveML.Augmentation;
using ContrastiveML.Losses;
using ContrastiveML.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ContrastiveML.Methods.Cmc;

/// <summary>
/// CMC's training step: one augmented copy of each image (crop and flip, shared by its views, as the paper's code
/// augments before the colour split; or one copy per view, <see cref="CmcOptions.AugmentViewsIndependently"/>), split into views, one encoder per view, one linear projection per view to the
/// contrast space, and the CMC loss over the views with batch or memory-bank negatives. The projections are
/// training-only; the exported embedding is the concatenation of the view encoders' pooled features.
/// </summary>
internal sealed class CmcMethod : ContrastiveMethod
{
    private readonly CmcEncoder _encoder;
    private readonly ModuleList<Linear> _heads;
    private readonly CmcMemoryBank? _bank;
    private readonly double _temperature;
    private readonly CmcObjective _objective;
    private readonly bool _augmentViewsIndependently;
    private Tensor[]? _pending; // this step's projections, written to the bank after the optimiser step

    /// <param name="encoder">The view encoders behind their split.</param>
    /// <param name="options">CMC's options (temperature, objective, negatives, projection size, augmentation).</param>
    /// <param name="shape">The image shape.</param>
    /// <param name="bankSize">Entries per view of the memory bank, already resolved (<see cref="CmcOptions.ResolveMemoryBankSize"/>); unused with batch negatives.</param>
    public CmcMethod(CmcEncoder encoder, CmcOptions options, ImageShape shape, int bankSize)
        : base("CMC", encoder, options.AugmentationFor(shape), shape)
    {
        _encoder = encoder;
        _heads = ModuleSet.AddTrained(new ModuleList<Linear>(Enumerable.Range(0, encoder.ViewCount)
            .Select(v => Linear(encoder.ViewEncoder(v).EmbeddingDim, options.ProjectionDim)).ToArray()));
        _bank = options.Negatives == CmcNegatives.MemoryBank ? ModuleSet.AddState(new CmcMemoryBank(encoder.ViewCount, bankSize, options.ProjectionDim)) : null;
        _temperature = options.Temperature;
        _objective = options.Objective;
        _augmentViewsIndependently = options.AugmentViewsIndependently;
        // CMC's settings lead its model state rather than joining the shared fingerprint (see SettingsLeadModelState).
        SettingsLeadModelState = true;
        DeclareSetting(nameof(CmcOptions.ViewSplit), CmcViewSplitter.Resolve(options.ViewSplit, shape.Channels));
        DeclareSetting(nameof(CmcOptions.LowPassSigma), options.LowPassSigma);
        DeclareSetting(nameof(CmcOptions.Objective), options.Objective);
        DeclareSetting(nameof(CmcOptions.Temperature), options.Temperature);
        DeclareSetting(nameof(CmcOptions.Negatives), options.Negatives);
        DeclareSetting(nameof(CmcOptions.MemoryBankSize), options.Negatives == CmcNegatives.MemoryBank ? bankSize : "none");
        DeclareSetting(nameof(CmcOptions.ProjectionDim), options.ProjectionDim);
        DeclareSetting(nameof(CmcOptions.AugmentViewsIndependently), options.AugmentViewsIndependently);
    }

    /// <summary>The memory bank (null with batch negatives).</summary>
    internal CmcMemoryBank? Bank => _bank;

    public override Tensor ComputeLoss(ContrastiveBatch batch)
    {
        // The view split reads [0, 1] pixels (the Lab conversion needs unnormalised sRGB): CMC's descriptor declares
        // that, so batch.Normalize leaves the pixels as they are and the view encoders normalise each view themselves.
        Tensor[] views = MakeViews(batch, _augmentViewsIndependently ? _encoder.ViewCount : 1);
        Tensor[] features = _augmentViewsIndependently
            ? _encoder.ForwardViews(views.Select(batch.Normalize).ToList())
            : _encoder.ForwardViews(batch.Normalize(views[0]));
        Tensor[] projections = features.Select((f, v) => _heads[v].call(f)).ToArray();
        Tensor loss = CmcLoss.Compute(projections, _temperature, _objective, _bank?.Banks());
        if (_bank != null)
        {
            // The bank is read by this step's graph, so it is written only after backward (AfterStep).
            DisposePending();
            _pending = projections.Select(p => p.detach().clone().DetachFromDisposeScope()).ToArray();
        }
        return loss;
    }

    public override void AfterStep()
    {
        if (_bank == null || _pending == null) return;
        _bank.Enqueue(_pending);
        DisposePending();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) DisposePending();
        base.Dispose(disposing);
    }

    private void DisposePending()
    {
        if (_pending == null) return;
        foreach (Tensor t in _pending) t.Dispose();
        _pending = null;
    }
}
