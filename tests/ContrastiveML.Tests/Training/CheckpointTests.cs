using ContrastiveML.Optimization;
using ContrastiveML.Training;
using Microsoft.ML;

namespace ContrastiveML.Tests;

/// <summary>
/// The checkpoint machinery (<see cref="ContrastiveEncoderOptions.CheckpointDirectory"/>), driven through SimCLR: a Fit
/// with the LARS optimizer killed mid-training, or a canceled one (between checkpoints or at an epoch boundary), started
/// again with the same options resumes from the last checkpoint and ends with exactly the embeddings of an uninterrupted
/// Fit (CPU, tolerance 0) and the same report (loss curve, epoch losses); damaged checkpoints, checkpoints of the earlier
/// format version and changed shared options fail clearly; checkpoints are replaced whole. The kill-and-resume and
/// own-settings checks of every method (AdamW) are in <see cref="EstimatorReproducibilityTests"/>.
/// </summary>
/// <remarks>
/// In process, a kill is modelled by an exception thrown from the progress callback two steps after a checkpoint: like a
/// SIGKILL, the Fit stops without writing anything more, and the steps after the last checkpoint are lost and redone by
/// the resumed Fit. (A cancellation does not model it: a canceled Fit checkpoints the step it stopped at. A second Fit
/// with a smaller MaxSteps would not either: MaxSteps is part of the schedule, hence of the checkpoint's fingerprint.)
/// A real SIGKILL of the command line in a child process is in ProcessKillTests. The exactness tests need the
/// process to themselves, as <see cref="DeterminismTests"/> do (weight initialisation draws from libtorch's process-wide generator).
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

    /// <summary>A reference Fit without checkpoints, reporting after every step so the loss curve has a point per step.</summary>
    private static ContrastiveEncoderTransformer Uninterrupted(MLContext ml, IDataView data, OptimizerKind optimizer)
    {
        SimClrOptions options = Options(directory: null, optimizer);
        options.ProgressIntervalSeconds = 1e-9;
        ContrastiveEncoderTransformer reference = ml.Transforms.SimClr(options).Fit(data);
        Assert.Equal(20, reference.Report.Steps);
        Assert.Null(reference.Report.ResumedFromStep);
        return reference;
    }

    /// <summary>Resumes with the options <see cref="Uninterrupted"/> used (plus the directory) and checks what it logged.</summary>
    private ContrastiveEncoderTransformer Resume(IDataView data, OptimizerKind optimizer, long fromStep)
    {
        var messages = new List<string>();
        var resumedContext = new MLContext(2);
        resumedContext.Log += (_, e) => { lock (messages) messages.Add(e.Message); };
        SimClrOptions options = Options(_directory, optimizer);
        options.ProgressIntervalSeconds = 1e-9;
        ContrastiveEncoderTransformer resumed = resumedContext.Transforms.SimClr(options).Fit(data);
        Assert.Contains(messages, m => m.Contains("resumed from checkpoint") && m.Contains($"at step {fromStep} of 20"));
        Assert.Equal(fromStep, resumed.Report.ResumedFromStep);
        Assert.Equal(20, TrainingCheckpoint.Read(CheckpointPath).Step); // the end of training is checkpointed too
        return resumed;
    }

    /// <summary>Same embeddings (tolerance 0) and the same report figures of the whole run.</summary>
    private static void AssertSameRun(MLContext ml, IDataView data, ContrastiveEncoderTransformer expected, ContrastiveEncoderTransformer actual)
    {
        float[][] expectedEmbeddings = TinyFits.Embeddings(ml, expected.Transform(data));
        float[][] actualEmbeddings = TinyFits.Embeddings(ml, actual.Transform(data));
        Assert.Equal(expectedEmbeddings.Length, actualEmbeddings.Length);
        for (int i = 0; i < expectedEmbeddings.Length; i++) Assert.Equal(expectedEmbeddings[i], actualEmbeddings[i]); // exact: tolerance 0

        // The report of the resumed Fit covers the whole run, not only the steps after the resume: the loss history
        // travels in the checkpoint. One curve point per step in both runs, so the curves match point for point.
        Assert.Equal(expected.Report.Steps, actual.Report.Steps);
        Assert.Equal(expected.Report.ImagesSeen, actual.Report.ImagesSeen);
        Assert.Equal(expected.Report.EpochsCompleted, actual.Report.EpochsCompleted);
        Assert.Equal(20, expected.Report.LossCurve.Count);
        Assert.Equal(expected.Report.LossCurve, actual.Report.LossCurve);
        Assert.Equal(4, expected.Report.EpochLosses.Count);
        Assert.Equal(expected.Report.EpochLosses, actual.Report.EpochLosses);
    }

    [Fact]
    public void AFitWithLarsKilledAfterACheckpointResumesToTheEmbeddingsAndReportOfAnUninterruptedFit()
    {
        // LARS's state is a momentum buffer per parameter, not AdamW's two moments: the resume must restore that state too.
        const OptimizerKind optimizer = OptimizerKind.Lars;
        var ml = new MLContext(1);
        IDataView data = TinyFits.Data(ml, Rows);
        ContrastiveEncoderTransformer reference = Uninterrupted(ml, data, optimizer);

        SimClrOptions interrupted = Options(_directory, optimizer);
        interrupted.ProgressIntervalSeconds = 1e-9; // a progress report after every step
        interrupted.Progress = new SynchronousProgress(p => { if (p.Step == 12) throw new SimulatedKill(); });
        Assert.Throws<SimulatedKill>(() => ml.Transforms.SimClr(interrupted).Fit(data));
        TrainingCheckpoint checkpoint = TrainingCheckpoint.Read(CheckpointPath);
        Assert.Equal(10, checkpoint.Step); // steps 11 and 12 are lost, as after a SIGKILL
        Assert.Equal(10, checkpoint.History.Curve.Count);
        Assert.Equal(reference.Report.LossCurve.Take(10), checkpoint.History.Curve);

        ContrastiveEncoderTransformer resumed = Resume(data, optimizer, fromStep: 10);
        AssertSameRun(ml, data, reference, resumed);
        // Elapsed time carries over too: the resumed report counts the seconds recorded in the checkpoint.
        Assert.True(resumed.Report.TrainingSeconds >= checkpoint.TrainingSeconds);
    }

    [Fact]
    public void ACanceledFitCheckpointsTheStepItStoppedAtAndResumesToTheUninterruptedResult()
    {
        var ml = new MLContext(1);
        IDataView data = TinyFits.Data(ml, Rows);
        ContrastiveEncoderTransformer reference = Uninterrupted(ml, data, OptimizerKind.AdamW);

        using var cancel = new CancellationTokenSource();
        SimClrOptions interrupted = Options(_directory);
        interrupted.CancellationToken = cancel.Token;
        interrupted.ProgressIntervalSeconds = 1e-9;
        // Step 13 ends in the third epoch (six batches per epoch), between two periodic checkpoints (10 and 15).
        interrupted.Progress = new SynchronousProgress(p => { if (p.Step == 13) cancel.Cancel(); });
        var error = Assert.Throws<TrainingCanceledException>(() => ml.Transforms.SimClr(interrupted).Fit(data));
        Assert.Equal(cancel.Token, error.CancellationToken);
        Assert.Equal(13, error.Step);
        Assert.Equal(CheckpointPath, error.CheckpointPath);
        Assert.Contains("after step 13 of 20", error.Message);
        Assert.Contains(CheckpointPath, error.Message);
        Assert.Contains("resume", error.Message);
        TrainingCheckpoint checkpoint = TrainingCheckpoint.Read(CheckpointPath);
        Assert.Equal(13, checkpoint.Step); // the stop itself is checkpointed: no step is lost
        Assert.Equal(3, checkpoint.Epoch);
        Assert.Equal(1, checkpoint.BatchesInEpoch);
        Assert.Equal(2, checkpoint.History.EpochLosses.Count);

        AssertSameRun(ml, data, reference, Resume(data, OptimizerKind.AdamW, fromStep: 13));
    }

    [Fact]
    public void ACancellationAtAnEpochBoundaryResumesToTheUninterruptedResult()
    {
        // Cancelled after step 12, the last of epoch 2: the checkpoint holds epoch 2 complete, and the resumed Fit must
        // neither count epoch 2's mean loss twice nor lose it.
        var ml = new MLContext(1);
        IDataView data = TinyFits.Data(ml, Rows);
        ContrastiveEncoderTransformer reference = Uninterrupted(ml, data, OptimizerKind.AdamW);

        using var cancel = new CancellationTokenSource();
        SimClrOptions interrupted = Options(_directory);
        interrupted.CancellationToken = cancel.Token;
        interrupted.ProgressIntervalSeconds = 1e-9;
        interrupted.Progress = new SynchronousProgress(p => { if (p.Step == 12) cancel.Cancel(); });
        Assert.ThrowsAny<OperationCanceledException>(() => ml.Transforms.SimClr(interrupted).Fit(data));
        TrainingCheckpoint checkpoint = TrainingCheckpoint.Read(CheckpointPath);
        Assert.Equal(12, checkpoint.Step);
        Assert.Equal(2, checkpoint.History.EpochLosses.Count);

        AssertSameRun(ml, data, reference, Resume(data, OptimizerKind.AdamW, fromStep: 12));
    }

    [Fact]
    public void ACheckpointOfTheEarlierFormatVersionFailsFitNamingBothVersions()
    {
        var ml = new MLContext(1);
        IDataView data = TinyFits.Data(ml, Rows);
        ml.Transforms.SimClr(Options(_directory, maxSteps: 5)).Fit(data);
        byte[] bytes = File.ReadAllBytes(CheckpointPath);
        Assert.Equal(3u, BitConverter.ToUInt32(bytes, 8)); // the version follows the 8-byte magic
        BitConverter.TryWriteBytes(bytes.AsSpan(8), 2u);   // version 2 held TorchSharp's optimizer state
        File.WriteAllBytes(CheckpointPath, bytes);

        var error = Assert.Throws<InvalidDataException>(() => ml.Transforms.SimClr(Options(_directory, maxSteps: 5)).Fit(data));
        Assert.Contains(CheckpointPath, error.Message);
        Assert.Contains("format version is 2", error.Message);
        Assert.Contains("reads version 3", error.Message);
        Assert.Contains("earlier ContrastiveML", error.Message);
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
    public void ACheckpointWrittenWithOtherSharedOptionsFailsFitNamingTheOption()
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
        SimClrOptions interrupted = Options(_directory);
        interrupted.ProgressIntervalSeconds = 1e-9;
        interrupted.Progress = new SynchronousProgress(p => { if (p.Step == 6) throw new SimulatedKill(); });
        Assert.Throws<SimulatedKill>(() => ml.Transforms.SimClr(interrupted).Fit(data));
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
