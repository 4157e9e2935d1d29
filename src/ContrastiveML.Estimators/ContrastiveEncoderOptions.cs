using ContrastiveML.Augmentation;
using ContrastiveML.Encoders;
using ContrastiveML.Evaluation;
using ContrastiveML.Optimization;
using ContrastiveML.Training;

namespace ContrastiveML;

/// <summary>Where training runs.</summary>
public enum TrainingDevice
{
    /// <summary>CUDA when TorchSharp sees a CUDA device (CUDA backend build), otherwise CPU. The choice is logged.</summary>
    Auto,

    /// <summary>Always the CPU.</summary>
    Cpu,

    /// <summary>CUDA; Fit fails with a clear error when no CUDA device is available.</summary>
    Cuda,
}

/// <summary>
/// Options shared by every contrastive pretraining estimator: columns, image shape, encoder, optimisation and
/// the training budget. Method-specific options (temperature, augmentation, heads) live in the derived classes.
/// </summary>
public abstract class ContrastiveEncoderOptions
{
    /// <summary>Output column: a known-size float vector holding the encoder's pooled features (the embedding).</summary>
    public string OutputColumnName = "Embedding";

    /// <summary>
    /// Input column: a known-size float vector of C*H*W pixels in CHW order (as ImageAnalytics' ExtractPixels emits,
    /// raw 0..255 values by default; see <see cref="PixelScale"/>), or an MLImage column of <see cref="ImageShape"/>'s size.
    /// </summary>
    public string InputColumnName = "Pixels";

    /// <summary>Channels, height and width of one image. Required.</summary>
    public ImageShape? ImageShape;

    /// <summary>The backbone. <see cref="EncoderKind.CompactCnn"/> trains usefully on a CPU; ResNet18 is the CIFAR-style ResNet-18.</summary>
    public EncoderKind Encoder = EncoderKind.CompactCnn;

    /// <summary>Encoder width (base channel count); 0 selects the encoder's default (32 for CompactCnn, 64 for ResNet18).</summary>
    public int EncoderWidth;

    /// <summary>
    /// How the encoder's last feature map becomes the embedding: global average pooling (the SimCLR convention), or
    /// quadrant pooling, which keeps coarse layout (4x the embedding size) and suits linear probes on small aligned images.
    /// </summary>
    public EmbeddingPooling EncoderPooling = EmbeddingPooling.Global;

    /// <summary>Passes over the training data. Training also stops at <see cref="MaxMinutes"/>, whichever comes first.</summary>
    public int Epochs = 10;

    /// <summary>
    /// Images per batch (each contributes two views). Contrastive methods take their negatives from the batch, so
    /// larger is better up to what memory and time allow; the SimCLR paper uses 4096 with LARS, 256 is a CPU-sized default.
    /// A batch larger than the data is reduced to the data size (logged).
    /// </summary>
    public int BatchSize = 256;

    /// <summary>
    /// Wall-clock budget for pretraining in minutes; null means no budget. With a budget the learning-rate schedule
    /// is laid over the steps that fit in it (estimated from the measured step time), so the cosine decay still ends at the budget.
    /// </summary>
    public double? MaxMinutes;

    /// <summary>
    /// Stop after this many optimiser steps; null means no limit. 0 trains nothing and exports the randomly initialised
    /// encoder, which is the usual random-features baseline of a linear probe.
    /// </summary>
    public int? MaxSteps;

    /// <summary>The optimiser. AdamW suits small CPU batches; LARS is SimCLR's choice for large batches (use LearningRate = 0.3 * BatchSize / 256 with it).</summary>
    public OptimizerKind Optimizer = OptimizerKind.AdamW;

    /// <summary>Peak learning rate, reached after the linear warm-up and decayed along a cosine to zero.</summary>
    public double LearningRate = 2e-3;

    /// <summary>Weight decay (decoupled for AdamW; excluded from biases and BatchNorm parameters for LARS).</summary>
    public double WeightDecay = 1e-4;

    /// <summary>Momentum for SGD and LARS.</summary>
    public double Momentum = 0.9;

    /// <summary>Fraction of the training steps spent in linear learning-rate warm-up (the SimCLR paper warms up over 10 of 100 epochs).</summary>
    public double WarmupFraction = 0.05;

    /// <summary>
    /// Multiplier taking input pixels to [0, 1]: 1/255 for ExtractPixels' and IDX bytes' 0..255 values, 1 for data already in [0, 1].
    /// The scale, and the per-channel mean and standard deviation measured on the training data, are baked into the exported ONNX graph.
    /// </summary>
    public float PixelScale = 1f / 255f;

    /// <summary>Rows held in the streaming shuffle buffer (memory is about this many rows of C*H*W floats).</summary>
    public int ShuffleBufferSize = 10_000;

    /// <summary>Where training runs.</summary>
    public TrainingDevice Device = TrainingDevice.Auto;

    /// <summary>
    /// The CUDA device the fitted transformer scores on, through ONNX Runtime's CUDA execution provider; null (the default)
    /// scores on the CPU. Independent of <see cref="Device"/>: an encoder trained on the CPU can score on a GPU and the
    /// reverse. As ML.NET's <c>ApplyOnnxModel(gpuDeviceId, fallbackToCpu)</c>; it needs the GPU build of ONNX Runtime
    /// (<c>-p:ContrastiveOnnxRuntime=gpu</c>). The device scored on is written to the MLContext log. A saved model does not
    /// remember it: pass it to <see cref="ContrastiveModel.Load(Microsoft.ML.MLContext, string, out Microsoft.ML.DataViewSchema, int?, bool)"/>.
    /// </summary>
    public int? GpuDeviceId;

    /// <summary>
    /// With <see cref="GpuDeviceId"/>: score on the CPU (logged, with ONNX Runtime's reason) when the CUDA device cannot be
    /// used, instead of failing Fit.
    /// </summary>
    public bool FallbackToCpu;

    /// <summary>
    /// Random seed for initialisation, data order and augmentation; null takes one from the MLContext. On the CPU the same
    /// seed and data give bit-identical embeddings, provided no other code in the process draws from TorchSharp's global
    /// generator while Fit initialises its modules (Fit seeds that generator and builds its modules under a lock).
    /// </summary>
    public int? Seed;

    /// <summary>Largest absolute difference allowed between ONNX Runtime's and TorchSharp's embeddings of a probe batch after export.</summary>
    public double ParityTolerance = 1e-4;

    /// <summary>Receives progress reports while pretraining (every <see cref="ProgressIntervalSeconds"/> and at each epoch end).</summary>
    public IProgress<TrainingProgress>? Progress;

    /// <summary>
    /// Stops Fit within one training step with an <see cref="OperationCanceledException"/>; nothing is exported. With
    /// <see cref="CheckpointDirectory"/> set, the state after the last finished step is checkpointed first (the
    /// exception's message names the file), so a later Fit with the same options resumes where this one stopped.
    /// (ML.NET 5's MLContext.CancelExecution is internal to ML.NET; where ML.NET components call it, Fit stops too.)
    /// </summary>
    public CancellationToken CancellationToken;

    /// <summary>Seconds between progress reports and log lines.</summary>
    public double ProgressIntervalSeconds = 10;

    /// <summary>
    /// Directory for training checkpoints; null (the default) writes none. When set, Fit writes
    /// <c>contrastive-checkpoint.bin</c> there every <see cref="CheckpointEverySteps"/> steps, when training ends and
    /// when Fit is canceled (atomically: a temporary file renamed over the previous checkpoint), and a Fit that finds a checkpoint there
    /// resumes from it, provided it was written with the same options (method, encoder, width, pooling, image shape,
    /// batch size, seed, learning rate and the rest of the schedule, epochs, MaxSteps, optimizer, row count); otherwise
    /// Fit fails naming the option that differs. A damaged checkpoint fails Fit with an <see cref="InvalidDataException"/>
    /// naming the file; it is never used. On the CPU, a resumed Fit gives the same embeddings as an uninterrupted one,
    /// and its <see cref="ContrastiveEncoderTransformer.Report"/> covers the whole run (the loss history travels in the checkpoint).
    /// Set <see cref="Seed"/> so a later Fit can find the same seed.
    /// </summary>
    public string? CheckpointDirectory;

    /// <summary>Optimiser steps between checkpoints (with <see cref="CheckpointDirectory"/>); at least 1.</summary>
    public int CheckpointEverySteps = 500;

    /// <summary>
    /// Evaluation on held-out images during and after training (kNN accuracy against the raw-pixel and random-init
    /// references, alignment, uniformity, effective rank, and a warning when the encoder falls below its random init or
    /// collapses); null (the default) evaluates nothing. See <see cref="OnlineEvaluationOptions"/>. The figures are in
    /// <see cref="ContrastiveEncoderTransformer.Report"/>'s <see cref="TrainingReport.Evaluation"/>, the progress reports and the log.
    /// </summary>
    public OnlineEvaluationOptions? Evaluation;

    /// <summary>
    /// The view-making augmentation; null picks the method's defaults for the image shape (SimCLR's paper defaults for
    /// 3-channel input and <see cref="SimClrAugmentationOptions.ForSmallGrayscale"/> for 1-channel input, unless the
    /// method says otherwise).
    /// </summary>
    public SimClrAugmentationOptions? Augmentation;

    /// <summary>The augmentation to use for <paramref name="shape"/>: <see cref="Augmentation"/>, or the method's defaults.</summary>
    internal virtual SimClrAugmentationOptions AugmentationFor(ImageShape shape) =>
        Augmentation ?? (shape.Channels == 1 ? SimClrAugmentationOptions.ForSmallGrayscale() : new SimClrAugmentationOptions());

    /// <summary>
    /// <see cref="ImageShape"/>, which is required: options are validated when an estimator is created, so past that
    /// point it is set; before it, a clear error names the option.
    /// </summary>
    internal ImageShape RequiredImageShape =>
        ImageShape ?? throw new InvalidOperationException($"Option {nameof(ImageShape)} must be set (channels, height, width); found null.");

    /// <summary>Checks the options common to every method; throws <see cref="ArgumentOutOfRangeException"/> naming the option.</summary>
    internal virtual void Validate()
    {
        if (string.IsNullOrWhiteSpace(InputColumnName)) throw new ArgumentException("The input column name must be given.", nameof(InputColumnName));
        if (string.IsNullOrWhiteSpace(OutputColumnName)) throw new ArgumentException("The output column name must be given.", nameof(OutputColumnName));
        if (ImageShape == null) throw new ArgumentNullException(nameof(ImageShape), "The image shape (channels, height, width) must be given.");
        Require(EncoderWidth >= 0, nameof(EncoderWidth), EncoderWidth, "0 (default) or a positive width");
        Require(Epochs >= 1, nameof(Epochs), Epochs, "at least 1");
        Require(BatchSize >= 2, nameof(BatchSize), BatchSize, "at least 2 (negatives come from the other images of a batch)");
        Require(MaxMinutes is null || MaxMinutes > 0, nameof(MaxMinutes), MaxMinutes, "null or positive");
        Require(MaxSteps is null || MaxSteps >= 0, nameof(MaxSteps), MaxSteps, "null or non-negative");
        Require(LearningRate > 0 && double.IsFinite(LearningRate), nameof(LearningRate), LearningRate, "positive");
        Require(WeightDecay >= 0, nameof(WeightDecay), WeightDecay, "non-negative");
        Require(Momentum >= 0 && Momentum < 1, nameof(Momentum), Momentum, "in [0, 1)");
        Require(WarmupFraction >= 0 && WarmupFraction < 1, nameof(WarmupFraction), WarmupFraction, "in [0, 1)");
        Require(PixelScale > 0 && float.IsFinite(PixelScale), nameof(PixelScale), PixelScale, "positive");
        Require(ShuffleBufferSize >= 0, nameof(ShuffleBufferSize), ShuffleBufferSize, "non-negative");
        Require(ParityTolerance > 0, nameof(ParityTolerance), ParityTolerance, "positive");
        Require(GpuDeviceId is null or >= 0, nameof(GpuDeviceId), GpuDeviceId, "null (CPU) or a CUDA device id (0, 1, ...)");
        if (CheckpointDirectory is not null)
        {
            if (string.IsNullOrWhiteSpace(CheckpointDirectory)) throw new ArgumentException("The checkpoint directory must be null (no checkpoints) or a directory path.", nameof(CheckpointDirectory));
            Require(CheckpointEverySteps >= 1, nameof(CheckpointEverySteps), CheckpointEverySteps, "at least 1 when CheckpointDirectory is set");
        }
        Require(ProgressIntervalSeconds > 0, nameof(ProgressIntervalSeconds), ProgressIntervalSeconds, "positive");
        Evaluation?.Validate();
        Augmentation?.Validate();
    }

    /// <summary>Throws an <see cref="ArgumentOutOfRangeException"/> naming the option, the allowed values and the value found.</summary>
    protected static void Require(bool condition, string option, object? value, string allowed)
    {
        if (!condition)
        {
            throw new ArgumentOutOfRangeException(option, value, $"Option {option} must be {allowed}; found {value ?? "null"}.");
        }
    }
}
