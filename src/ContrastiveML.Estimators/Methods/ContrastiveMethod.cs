using ContrastiveML.Augmentation;
using ContrastiveML.Encoders;
using ContrastiveML.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ContrastiveML.Methods;

/// <summary>
/// The base of every method: it owns the method's <see cref="ModuleSet"/> and settings and implements, once, what the
/// training loop asks of a method besides its loss: trainable parameters, modules, training mode, device moves,
/// checkpoint state, the checkpoint fingerprint and disposal. A method registers its modules and buffers in its
/// constructor, declares the settings a resumed Fit must share, and writes <see cref="ComputeLoss"/> (plus
/// <see cref="AfterStep"/> and <see cref="ProgressFigures"/> where it has something to do there).
/// </summary>
internal abstract class ContrastiveMethod : IContrastiveMethod
{
    private readonly ViewAugmenter _augmenter;
    private readonly List<KeyValuePair<string, string>> _settings = new();

    /// <param name="name">Display name, e.g. "SimCLR" (the checkpoint fingerprint records it).</param>
    /// <param name="encoder">The exported encoder; it belongs to Fit and is never disposed here.</param>
    /// <param name="augmentation">How views are made.</param>
    /// <param name="shape">The image shape.</param>
    protected ContrastiveMethod(string name, ImageEncoder encoder, SimClrAugmentationOptions augmentation, ImageShape shape)
    {
        Name = name;
        Encoder = encoder ?? throw new ArgumentNullException(nameof(encoder));
        _augmenter = new ViewAugmenter(augmentation, shape);
        ModuleSet = new ModuleSet(encoder);
    }

    public string Name { get; }

    public ImageEncoder Encoder { get; }

    /// <summary>The method's modules and buffers; register them in the constructor, in the order of the checkpoint.</summary>
    protected ModuleSet ModuleSet { get; }

    /// <summary>
    /// Whether the declared settings are written at the start of the model state (and checked when it is read) instead
    /// of joining the checkpoint's fingerprint. CMC's checkpoint format has its settings block lead its model state,
    /// and checkpoints of that format must stay readable, so CMC sets this; every other method's settings are in the fingerprint.
    /// Either way the settings are declared once (<see cref="DeclareSetting"/>) and compared by
    /// <see cref="Training.CheckpointFingerprint.FirstDifference"/>, the check the trainer's fingerprint uses.
    /// </summary>
    protected bool SettingsLeadModelState { get; init; }

    /// <summary>Declares a setting a resumed Fit must share with its checkpoint (formatted by <see cref="Training.CheckpointFingerprint.Format"/>).</summary>
    protected void DeclareSetting(string name, object value) => _settings.Add(new(name, Training.CheckpointFingerprint.Format(value)));

    public IEnumerable<KeyValuePair<string, string>> CheckpointFingerprint() =>
        SettingsLeadModelState ? Array.Empty<KeyValuePair<string, string>>() : _settings;

    public IEnumerable<TorchSharp.Modules.Parameter> TrainableParameters() => ModuleSet.TrainableParameters();

    public IEnumerable<nn.Module> Modules() => ModuleSet.Modules();

    public void SetTraining(bool training) => ModuleSet.SetTraining(training);

    public void MoveTo(Device device) => ModuleSet.MoveTo(device);

    public abstract Tensor ComputeLoss(ContrastiveBatch batch);

    public virtual IReadOnlyDictionary<string, double> ProgressFigures() => new Dictionary<string, double>();

    public virtual void AfterStep()
    {
    }

    public void SaveState(BinaryWriter writer)
    {
        if (SettingsLeadModelState) Training.CheckpointFingerprint.Write(writer, _settings);
        ModuleSet.Save(writer);
    }

    public void LoadState(BinaryReader reader)
    {
        if (SettingsLeadModelState
            && Training.CheckpointFingerprint.FirstDifference(Training.CheckpointFingerprint.Read(reader), _settings) is var (name, saved, current))
        {
            throw new InvalidOperationException(
                $"the checkpoint was written with {name} = {saved}, but this Fit has {name} = {current}; resume with the same {Name} options or start afresh");
        }
        ModuleSet.Load(reader);
    }

    /// <summary>
    /// <paramref name="count"/> freshly augmented views of the batch's images, each [N, C, H, W] in [0, 1]. Every method
    /// makes its views here, so the moment the views of a step are done (<see cref="ContrastiveBatch.ViewsMade"/>, which a
    /// timing probe hears) is one spot.
    /// </summary>
    protected Tensor[] MakeViews(ContrastiveBatch batch, int count)
    {
        var views = new Tensor[count];
        for (int v = 0; v < count; v++) views[v] = _augmenter.MakeView(batch.Images, batch.Generator);
        batch.ViewsMade();
        return views;
    }

    /// <summary>Disposes the method's own modules and buffers; the encoder belongs to the caller.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the module set; a method with tensors of its own releases them first.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (disposing) ModuleSet.Dispose();
    }
}
