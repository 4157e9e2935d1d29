using ContrastiveML.Optimization;
using ContrastiveML.Training;
using Microsoft.ML;

namespace ContrastiveML.Tests;

/// <summary>
/// Checkpoints (<see cref="ContrastiveEncoderOptions.CheckpointDirectory"/>): a Fit killed mid-training and started again
/// with the same options resumes from the last checkpoint and ends with exactly the embeddings of an uninterrupted Fit
/// (CPU, tolerance 0); damaged checkpoints and changed options fail clearly; checkpoints are replaced whole.
/// </summary>
/// <remarks>
/// The kill is modelled by cancelling the token two steps after a checkpoint: like a SIGKILL, the Fit stops without
/// writing anything more, and the steps after the last checkpoint are lost and redone by the resumed Fit. (A second Fit
/// with a smaller MaxSteps would not model it: MaxSteps is part of the schedule, hence of the checkpoint's fingerprint.)
/// The exactness test needs the process to itself, as <see cref="DeterminismTests"/> does (weight initialisation draws
/// from libtorch's process-wide generator).
/// </remarks>
[Collection(nameof(ProcessMeasurements))]
public class CheckpointTests : IDisposable
{
    private const int Rows = 48; // six batches of 8 per epoch: 20 steps span four epochs
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "cml-ckpt-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
    }

    private static SimClrOptions Options(string? directory, OptimizerKind optimizer = OptimizerKind.AdamW, int maxSteps = 20)
    {
        SimClrOptions options = TinyFits.Options(maxSteps: maxSteps, batchSize: 8);
        options.ShuffleBufferSize = 10; // smaller than the data: resuming replays the streaming shuffle
        options.Optimizer = optimizer;
        options.CheckpointDirectory = directory;
        options.CheckpointEverySteps = 5;
        return options;
    }

    private string CheckpointPath => Path.Combine(_directory, TrainingCheckpoint.FileName);

    [Theory]
    [InlineData(OptimizerKind.AdamW)]
    [InlineData(OptimizerKind.Lars)]
    public void AFitKilledAfterACheckpointResumesToTheEmbeddingsOfAnUninterruptedFit(OptimizerKind optimizer)
    {
        var ml = new MLContext(1);
        IDataView data = TinyFits.Data(ml, Rows);
        ContrastiveEncoderTransformer reference = ml.Transforms.SimClr(Options(directory: null, optimizer)).Fit(data);
        Assert.Equal(20, reference.Report.Steps);

        using var kill = new CancellationTokenSource();
        SimClrOptions interrupted = Options(_directory, optimizer);
        interrupted.CancellationToken = kill.Token;
        interrupted.ProgressIntervalSeconds = 1e-9; // a progress report after every step
        interrupted.Progress = new SynchronousProgress(p => { if (p.Step == 12) kill.Cancel(); });
        Assert.ThrowsAny<OperationCanceledException>(() => ml.Transforms.SimClr(interrupted).Fit(data));
        Assert.Equal(10, TrainingCheckpoint.Read(CheckpointPath).Step); // steps 11 and 12 are lost, as after a SIGKILL

        var messages = new List<string>();
        var resumedContext = new MLContext(2);
        resumedContext.Log += (_, e) => { lock (messages) messages.Add(e.Message); };
        ContrastiveEncoderTransformer resumed = resumedContext.Transforms.SimClr(Options(_directory, optimizer)).Fit(data);

        Assert.Contains(messages, m => m.Contains("resumed from checkpoint") && m.Contains("at step 10 of 20"));
        Assert.Equal(20, resumed.Report.Steps);
        Assert.Equal(20, TrainingCheckpoint.Read(CheckpointPath).Step); // the end of training is checkpointed too
        float[][] expected = TinyFits.Embeddings(ml, reference.Transform(data));
        float[][] actual = TinyFits.Embeddings(ml, resumed.Transform(data));
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i]); // exact: tolerance 0
    }

    [Fact]
    public void ATruncatedCheckpointFailsFitNamingTheFile()
    {
        var ml = new MLContext(1);
        IDataView data = TinyFits.Data(ml, Rows);
        ml.Transforms.SimClr(Options(_directory, maxSteps: 5)).Fit(data);
        byte[] whole = File.ReadAllBytes(CheckpointPath);
        File.WriteAllBytes(CheckpointPath, whole.AsSpan(0, whole.Length / 2).ToArray());

        var error = Assert.Throws<InvalidDataException>(() => ml.Transforms.SimClr(Options(_directory, maxSteps: 5)).Fit(data));
        Assert.Contains(CheckpointPath, error.Message);
        Assert.Contains("truncated", error.Message);

        File.WriteAllBytes(CheckpointPath, whole.AsSpan(0, 10).ToArray()); // shorter than the header
        error = Assert.Throws<InvalidDataException>(() => ml.Transforms.SimClr(Options(_directory, maxSteps: 5)).Fit(data));
        Assert.Contains(CheckpointPath, error.Message);
    }

    [Fact]
    public void ABitFlippedCheckpointFailsFitNamingTheFile()
    {
        var ml = new MLContext(1);
        IDataView data = TinyFits.Data(ml, Rows);
        ml.Transforms.SimClr(Options(_directory, maxSteps: 5)).Fit(data);
        byte[] bytes = File.ReadAllBytes(CheckpointPath);
        bytes[bytes.Length * 2 / 3] ^= 0x10; // inside the model state
        File.WriteAllBytes(CheckpointPath, bytes);

        var error = Assert.Throws<InvalidDataException>(() => ml.Transforms.SimClr(Options(_directory, maxSteps: 5)).Fit(data));
        Assert.Contains(CheckpointPath, error.Message);
        Assert.Contains("corrupt", error.Message);
    }

    [Fact]
    public void ACheckpointWrittenWithOtherOptionsFailsFitNamingTheOption()
    {
        var ml = new MLContext(1);
        IDataView data = TinyFits.Data(ml, Rows);
        ml.Transforms.SimClr(Options(_directory, maxSteps: 5)).Fit(data);

        SimClrOptions changed = Options(_directory, maxSteps: 5);
        changed.LearningRate = 1e-3;
        var error = Assert.Throws<InvalidOperationException>(() => ml.Transforms.SimClr(changed).Fit(data));
        Assert.Contains("LearningRate = 0.002", error.Message);
        Assert.Contains("LearningRate = 0.001", error.Message);
        Assert.Contains(CheckpointPath, error.Message);

        changed = Options(_directory, maxSteps: 5);
        changed.EncoderWidth = 8;
        error = Assert.Throws<InvalidOperationException>(() => ml.Transforms.SimClr(changed).Fit(data));
        Assert.Contains("EncoderWidth = 4", error.Message);
    }

    [Fact]
    public void CheckpointsAreReplacedWholeByRenameAndLeaveNoTemporaryFile()
    {
        var ml = new MLContext(1);
        IDataView data = TinyFits.Data(ml, Rows);
        using var kill = new CancellationTokenSource();
        SimClrOptions interrupted = Options(_directory);
        interrupted.CancellationToken = kill.Token;
        interrupted.ProgressIntervalSeconds = 1e-9;
        interrupted.Progress = new SynchronousProgress(p => { if (p.Step == 6) kill.Cancel(); });
        Assert.ThrowsAny<OperationCanceledException>(() => ml.Transforms.SimClr(interrupted).Fit(data));
        Assert.Equal(new[] { CheckpointPath }, Directory.GetFiles(_directory));
        byte[] first = File.ReadAllBytes(CheckpointPath);
        Assert.Equal(5, TrainingCheckpoint.Read(CheckpointPath).Step);

        // Hold the step-5 checkpoint open while the resumed Fit writes steps 10, 15 and 20 over it: a rename leaves the
        // open handle on the old, complete file; an in-place rewrite would change (or truncate) it under the handle.
        using (var held = new FileStream(CheckpointPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        {
            ml.Transforms.SimClr(Options(_directory)).Fit(data);
            var old = new byte[held.Length];
            held.ReadExactly(old);
            Assert.Equal(first, old);
        }
        Assert.Equal(new[] { CheckpointPath }, Directory.GetFiles(_directory)); // no temporary file left
        Assert.Equal(20, TrainingCheckpoint.Read(CheckpointPath).Step);
    }

    [Fact]
    public void CheckpointEveryStepsMustBePositiveWhenADirectoryIsSet()
    {
        var ml = new MLContext(1);
        SimClrOptions options = Options(_directory);
        options.CheckpointEverySteps = 0;
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => ml.Transforms.SimClr(options));
        Assert.Equal(nameof(ContrastiveEncoderOptions.CheckpointEverySteps), error.ParamName);
        options.CheckpointDirectory = null;
        ml.Transforms.SimClr(options); // ignored without a directory
    }
}
