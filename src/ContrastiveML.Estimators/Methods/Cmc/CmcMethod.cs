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
internal sealed class CmcMethod : IContrastiveMethod
{
    private readonly CmcEncoder _encoder;
    private readonly ModuleList<Linear> _heads;
    private readonly CmcMemoryBank? _bank;
    private readonly ViewAugmenter _augmenter;
    private readonly double _temperature;
    private readonly CmcObjective _objective;
    private readonly bool _augmentViewsIndependently;
    private readonly IReadOnlyList<KeyValuePair<string, string>> _settings;
    private Tensor[]? _pending; // this step's projections, written to the bank after the optimiser step

    /// <param name="encoder">The view encoders behind their split.</param>
    /// <param name="options">CMC's options (temperature, objective, negatives, projection size, augmentation).</param>
    /// <param name="shape">The image shape.</param>
    /// <param name="bankSize">Entries per view of the memory bank, already resolved (<see cref="CmcOptions.ResolveMemoryBankSize"/>); unused with batch negatives.</param>
    public CmcMethod(CmcEncoder encoder, CmcOptions options, ImageShape shape, int bankSize)
    {
        _encoder = encoder;
        _heads = new ModuleList<Linear>(Enumerable.Range(0, encoder.ViewCount)
            .Select(v => Linear(encoder.ViewEncoder(v).EmbeddingDim, options.ProjectionDim)).ToArray());
        _bank = options.Negatives == CmcNegatives.MemoryBank ? new CmcMemoryBank(encoder.ViewCount, bankSize, options.ProjectionDim) : null;
        _augmenter = new ViewAugmenter(options.AugmentationFor(shape), shape);
        _temperature = options.Temperature;
        _objective = options.Objective;
        _augmentViewsIndependently = options.AugmentViewsIndependently;
        var c = System.Globalization.CultureInfo.InvariantCulture;
        _settings = new KeyValuePair<string, string>[]
        {
            new(nameof(CmcOptions.ViewSplit), CmcViewSplitter.Resolve(options.ViewSplit, shape.Channels).ToString()),
            new(nameof(CmcOptions.LowPassSigma), options.LowPassSigma.ToString("R", c)),
            new(nameof(CmcOptions.Objective), options.Objective.ToString()),
            new(nameof(CmcOptions.Temperature), options.Temperature.ToString("R", c)),
            new(nameof(CmcOptions.Negatives), options.Negatives.ToString()),
            new(nameof(CmcOptions.MemoryBankSize), options.Negatives == CmcNegatives.MemoryBank ? bankSize.ToString(c) : "none"),
            new(nameof(CmcOptions.ProjectionDim), options.ProjectionDim.ToString(c)),
            new(nameof(CmcOptions.AugmentViewsIndependently), options.AugmentViewsIndependently.ToString()),
        };
    }

    public string Name => "CMC";

    public Encoders.ImageEncoder Encoder => _encoder;

    /// <summary>The memory bank (null with batch negatives).</summary>
    internal CmcMemoryBank? Bank => _bank;

    public IEnumerable<Parameter> TrainableParameters() => _encoder.parameters().Concat(_heads.parameters());

    public IEnumerable<nn.Module> Modules() => new nn.Module[] { _encoder, _heads };

    public void SetTraining(bool training)
    {
        _encoder.train(training);
        _heads.train(training);
    }

    public void MoveTo(Device device)
    {
        _encoder.to(device);
        _heads.to(device);
        _bank?.to(device);
    }

    public Tensor ComputeLoss(ContrastiveBatch batch)
    {
        // The encoder takes images in [0, 1] and normalises each view itself (the Lab conversion needs unnormalised
        // sRGB), so batch.Normalize is not used; the estimator exports with the pixel scale alone to match.
        List<Tensor> views = Enumerable.Range(0, _augmentViewsIndependently ? _encoder.ViewCount : 1)
            .Select(_ => _augmenter.MakeView(batch.Images, batch.Generator)).ToList();
        batch.ViewsMade();
        Tensor[] features = _augmentViewsIndependently ? _encoder.ForwardViews(views) : _encoder.ForwardViews(views[0]);
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

    public IReadOnlyDictionary<string, double> ProgressFigures() => new Dictionary<string, double>();

    public void AfterStep()
    {
        if (_bank == null || _pending == null) return;
        _bank.Enqueue(_pending);
        DisposePending();
    }

    public void SaveState(BinaryWriter writer)
    {
        // CMC's own options first: the shared checkpoint fingerprint covers only the options every method has.
        writer.Write(_settings.Count);
        foreach (var (name, value) in _settings)
        {
            writer.Write(name);
            writer.Write(value);
        }
        // Module.save writes parameters and buffers: BatchNorm statistics of every view encoder, and the bank's entries and position.
        _encoder.save(writer);
        _heads.save(writer);
        _bank?.save(writer);
    }

    public void LoadState(BinaryReader reader)
    {
        int count = reader.ReadInt32();
        var saved = new Dictionary<string, string>();
        for (int i = 0; i < count; i++) saved[reader.ReadString()] = reader.ReadString();
        foreach (var (name, value) in _settings)
        {
            string savedValue = saved.TryGetValue(name, out string? v) ? v : "(not recorded)";
            if (savedValue != value)
            {
                throw new InvalidOperationException(
                    $"the checkpoint was written with {name} = {savedValue}, but this Fit has {name} = {value}; resume with the same CMC options or start afresh");
            }
        }
        _encoder.load(reader, strict: true);
        _heads.load(reader, strict: true);
        _bank?.load(reader, strict: true);
    }

    public void Dispose()
    {
        DisposePending();
        _heads.Dispose();
        _bank?.Dispose();
    }

    private void DisposePending()
    {
        if (_pending == null) return;
        foreach (Tensor t in _pending) t.Dispose();
        _pending = null;
    }
}
