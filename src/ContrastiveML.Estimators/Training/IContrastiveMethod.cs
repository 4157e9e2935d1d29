using ContrastiveML.Encoders;
using TorchSharp;
using static TorchSharp.torch;

namespace ContrastiveML.Training;

/// <summary>One training batch as a method sees it.</summary>
/// <param name="Images">[N,C,H,W] in [0, 1] on the training device.</param>
/// <param name="Labels">[N] int64 dense class indices on the training device for supervised methods; null when the
/// estimator reads no label column.</param>
/// <param name="Normalize">Maps [0, 1] images to the encoder's normalised input.</param>
/// <param name="Generator">The Fit's random generator on the training device (view augmentation draws from it).</param>
internal sealed record ContrastiveBatch(Tensor Images, Tensor? Labels, Func<Tensor, Tensor> Normalize, Generator Generator)
{
    /// <summary>The benchmark's timing probe for this step; null in Fit.</summary>
    public ITrainingStepProbe? Probe { get; init; }

    /// <summary>
    /// Every method calls this once its views are made and before an encoder runs: only the method knows where that
    /// boundary lies, and the benchmark times view making apart from forward and backward. Free without a probe.
    /// </summary>
    public void ViewsMade()
    {
        if (Probe is not null) Probe.Mark(TrainingStepPhase.ViewsMade, Images.device);
    }
}

/// <summary>
/// A contrastive pretraining method as the shared training loop sees it: the trainable modules and a loss over a
/// batch of images. The loop owns data streaming, devices, the optimiser, the schedule, progress and export.
/// </summary>
internal interface IContrastiveMethod : IDisposable
{
    /// <summary>Display name, e.g. "SimCLR".</summary>
    string Name { get; }

    /// <summary>The backbone whose pooled features are the exported embedding.</summary>
    ImageEncoder Encoder { get; }

    /// <summary>All trainable parameters (encoder and training-only heads).</summary>
    IEnumerable<TorchSharp.Modules.Parameter> TrainableParameters();

    /// <summary>
    /// Every module a training step runs: the encoder, the training-only heads, and modules it runs without training
    /// them (MoCo's key encoder). The benchmark counts a step's FLOPs on their layers.
    /// </summary>
    IEnumerable<nn.Module> Modules();

    /// <summary>Puts every module in training or evaluation mode.</summary>
    void SetTraining(bool training);

    /// <summary>Moves every module to <paramref name="device"/>.</summary>
    void MoveTo(Device device);

    /// <summary>The scalar loss of one batch (see <see cref="ContrastiveBatch"/>).</summary>
    Tensor ComputeLoss(ContrastiveBatch batch);

    /// <summary>Method-specific figures for the progress report (e.g. active-triplet fraction); empty when none.</summary>
    IReadOnlyDictionary<string, double> ProgressFigures();

    /// <summary>Called after each optimiser step (e.g. a momentum-encoder update).</summary>
    void AfterStep();

    /// <summary>
    /// The method's own options that a checkpoint must share with the Fit resuming from it, as (name, value) pairs, beyond
    /// the options every method shares (e.g. MoCo's queue size and key momentum); none by default.
    /// </summary>
    IEnumerable<KeyValuePair<string, string>> CheckpointFingerprint() => Array.Empty<KeyValuePair<string, string>>();

    /// <summary>
    /// Writes the state of every module (encoder and heads): parameters and buffers, e.g. BatchNorm running statistics,
    /// for a training checkpoint.
    /// </summary>
    void SaveState(BinaryWriter writer);

    /// <summary>Restores what <see cref="SaveState"/> wrote, into modules of the same architecture.</summary>
    void LoadState(BinaryReader reader);
}
