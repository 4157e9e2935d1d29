using ContrastiveML.Optimization;
using static TorchSharp.torch;

namespace ContrastiveML.Training;

/// <summary>
/// A Fit's checkpoints in <see cref="ContrastiveEncoderOptions.CheckpointDirectory"/>: the fingerprint of the options a
/// resumed Fit must share (the options every method has, then the method's own), the check of a found checkpoint against
/// it, restoring the method, optimiser and generator from it, and writing one periodically, at the end and on
/// cancellation. Without a checkpoint directory it finds nothing and writes nothing.
/// </summary>
internal sealed class CheckpointManager
{
    private readonly int _everySteps;
    private readonly IContrastiveMethod _method;
    private readonly TrainingOptimizer _optimizer;
    private readonly Generator _generator;
    private long _writtenStep;

    /// <summary>The checkpoints of one Fit.</summary>
    /// <param name="options">The Fit's options: the checkpoint directory and interval, and the shared options the fingerprint records.</param>
    /// <param name="method">The method trained; its state is saved and restored, and its own options join the fingerprint.</param>
    /// <param name="optimizer">The optimiser whose state is saved and restored.</param>
    /// <param name="generator">The generator whose state is saved and restored (view augmentation draws from it).</param>
    /// <param name="encoderName">The encoder's name as the report gives it.</param>
    /// <param name="batchSize">The batch size trained with (the options' or, on smaller data, the row count).</param>
    /// <param name="seed">The Fit's seed.</param>
    /// <param name="rows">The training rows.</param>
    public CheckpointManager(ContrastiveEncoderOptions options, IContrastiveMethod method, TrainingOptimizer optimizer, Generator generator,
                             string encoderName, int batchSize, int seed, long rows)
    {
        Path = options.CheckpointDirectory is string directory
            ? System.IO.Path.Combine(System.IO.Path.GetFullPath(directory), TrainingCheckpoint.FileName) : null;
        _everySteps = options.CheckpointEverySteps;
        _method = method;
        _optimizer = optimizer;
        _generator = generator;
        Fingerprint = FingerprintOf(options, method, encoderName, batchSize, seed, rows);
    }

    /// <summary>The checkpoint file's full path; null without a checkpoint directory.</summary>
    public string? Path { get; }

    /// <summary>The options a checkpoint must share with the Fit that resumes from it, as (name, value) pairs.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Fingerprint { get; }

    /// <summary>The checkpoint found at <see cref="Path"/>, read and verified; null when there is none.</summary>
    /// <exception cref="InvalidDataException">The file is not a valid checkpoint of this format.</exception>
    public TrainingCheckpoint? Find() => Path != null && File.Exists(Path) ? TrainingCheckpoint.Read(Path) : null;

    /// <summary>
    /// Checks <paramref name="checkpoint"/>'s fingerprint against this Fit's, restores the method, optimiser and generator
    /// from it, and returns the position it recorded.
    /// </summary>
    /// <exception cref="InvalidOperationException">The checkpoint was written with other options; the message names the first that differs.</exception>
    /// <exception cref="InvalidDataException">The checkpoint's state does not fit this model.</exception>
    public TrainingPosition Resume(TrainingCheckpoint checkpoint)
    {
        string path = Path ?? throw new InvalidOperationException("There is no checkpoint directory to resume from.");
        CheckFingerprint(path, checkpoint.Fingerprint);
        try
        {
            using (var reader = new BinaryReader(new MemoryStream(checkpoint.ModelState, writable: false)))
                _method.LoadState(reader);
            using (var reader = new BinaryReader(new MemoryStream(checkpoint.OptimizerState, writable: false)))
                _optimizer.LoadState(reader);
            using Tensor state = tensor(checkpoint.GeneratorState);
            _generator.set_state(state);
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            throw new InvalidDataException($"The checkpoint '{path}' passed its checksum but its state does not fit this model ({error.Message}).", error);
        }
        _writtenStep = checkpoint.Step;
        return TrainingPosition.Of(checkpoint);
    }

    /// <summary>Writes a checkpoint when <paramref name="position"/>'s step is a multiple of <see cref="ContrastiveEncoderOptions.CheckpointEverySteps"/>.</summary>
    public void WriteIfDue(TrainingPosition position, TimeSpan elapsed)
    {
        if (Path != null && position.Step % _everySteps == 0) Write(position, elapsed);
    }

    /// <summary>
    /// Writes a checkpoint unless the last one holds <paramref name="position"/> already: at the end of training (a later
    /// Fit over the same directory then only exports) and when it is canceled.
    /// </summary>
    /// <returns>The path of the checkpoint holding <paramref name="position"/>; null without a checkpoint directory or before the first step.</returns>
    public string? WriteIfNew(TrainingPosition position, TimeSpan elapsed)
    {
        if (Path == null || position.Step == 0) return null;
        if (position.Step != _writtenStep) Write(position, elapsed);
        return Path;
    }

    private void Write(TrainingPosition position, TimeSpan elapsed)
    {
        byte[] Serialize(Action<BinaryWriter> write)
        {
            using var stream = new MemoryStream();
            using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true)) write(writer);
            return stream.ToArray();
        }
        byte[] generatorState;
        using (Tensor state = _generator.get_state()) // a CPU byte tensor, whatever the generator's device
        {
            generatorState = state.data<byte>().ToArray();
        }
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        new TrainingCheckpoint
        {
            Fingerprint = Fingerprint,
            Step = position.Step,
            Epoch = position.Epoch,
            BatchesInEpoch = position.BatchesInEpoch,
            ImagesSeen = position.ImagesSeen,
            TrainingSeconds = elapsed.TotalSeconds,
            History = position.History,
            GeneratorState = generatorState,
            ModelState = Serialize(_method.SaveState),
            OptimizerState = Serialize(_optimizer.SaveState),
        }.Write(Path!);
        _writtenStep = position.Step;
    }

    private void CheckFingerprint(string path, IReadOnlyList<KeyValuePair<string, string>> saved)
    {
        if (CheckpointFingerprint.FirstDifference(saved, Fingerprint) is var (name, savedValue, value))
        {
            throw new InvalidOperationException(
                $"Cannot resume from the checkpoint '{path}': it was written with {name} = {savedValue}, but this Fit has {name} = {value}. " +
                "Resume with the options the checkpoint was written with, or use another CheckpointDirectory (or delete the checkpoint) to train from the start.");
        }
    }

    /// <summary>The options every method shares, then the method's own (<see cref="IContrastiveMethod.CheckpointFingerprint"/>).</summary>
    private static IReadOnlyList<KeyValuePair<string, string>> FingerprintOf(ContrastiveEncoderOptions options, IContrastiveMethod method, string encoderName,
                                                                           int batchSize, int seed, long rows)
    {
        var c = System.Globalization.CultureInfo.InvariantCulture;
        ImageShape shape = options.RequiredImageShape;
        return new KeyValuePair<string, string>[]
        {
            new("Method", method.Name),
            new(nameof(ContrastiveEncoderOptions.Encoder), encoderName),
            new(nameof(ContrastiveEncoderOptions.EncoderWidth), options.EncoderWidth.ToString(c)),
            new(nameof(ContrastiveEncoderOptions.EncoderPooling), options.EncoderPooling.ToString()),
            new(nameof(ContrastiveEncoderOptions.ImageShape), $"{shape.Channels}x{shape.Height}x{shape.Width}"),
            new(nameof(ContrastiveEncoderOptions.BatchSize), batchSize.ToString(c)),
            new(nameof(ContrastiveEncoderOptions.Seed), seed.ToString(c)),
            new(nameof(ContrastiveEncoderOptions.LearningRate), options.LearningRate.ToString("R", c)),
            new(nameof(ContrastiveEncoderOptions.Epochs), options.Epochs.ToString(c)),
            new(nameof(ContrastiveEncoderOptions.MaxSteps), options.MaxSteps?.ToString(c) ?? "none"),
            new(nameof(ContrastiveEncoderOptions.Optimizer), options.Optimizer.ToString()),
            new(nameof(ContrastiveEncoderOptions.WeightDecay), options.WeightDecay.ToString("R", c)),
            new(nameof(ContrastiveEncoderOptions.Momentum), options.Momentum.ToString("R", c)),
            new(nameof(ContrastiveEncoderOptions.WarmupFraction), options.WarmupFraction.ToString("R", c)),
            new(nameof(ContrastiveEncoderOptions.PixelScale), options.PixelScale.ToString("R", c)),
            new("TrainingRows", rows.ToString(c)),
        }.Concat(method.CheckpointFingerprint()).ToList();
    }
}
