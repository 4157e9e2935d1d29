using ContrastiveML.Training;
using Microsoft.ML;

namespace ContrastiveML.Tests;

/// <summary>
/// MoCo on the CPU is bit-identical for a seed, and a Fit killed after a checkpoint resumes to exactly the embeddings of
/// an uninterrupted Fit: the checkpoint holds the key encoder and key head (parameters and buffers), the queue and its
/// pointer besides what every method saves. The queue here (24 keys, batches of 8) wraps around every three steps, so a
/// queue or pointer restored wrongly changes the negatives of the steps after the resume.
/// </summary>
/// <remarks>Weight initialisation draws from libtorch's process-wide generator: these tests need the process to themselves.</remarks>
[Collection(nameof(ProcessMeasurements))]
public class MoCoReliabilityTests : IDisposable
{
    private const int Rows = 48; // six batches of 8 per epoch; the automatic queue is 24 keys
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "cml-moco-ckpt-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
    }

    private static MoCoOptions Options(string? directory, int seed = 7)
    {
        MoCoOptions options = MoCoEstimatorTests.Options(maxSteps: 20, seed: seed);
        options.KeyMomentum = 0.9; // the key encoder moves visibly within 20 steps
        options.ShuffleBufferSize = 10;
        options.CheckpointDirectory = directory;
        options.CheckpointEverySteps = 5;
        return options;
    }

    private static (float[][] Embeddings, IReadOnlyList<double> Losses) Fit(MoCoOptions options, int mlSeed)
    {
        var ml = new MLContext(mlSeed);
        IDataView data = TinyFits.Data(ml, Rows);
        options.ProgressIntervalSeconds = 1e-6; // one loss-curve point per step
        ContrastiveEncoderTransformer model = ml.Transforms.MoCo(options).Fit(data);
        return (TinyFits.Embeddings(ml, model.Transform(data)), model.Report.LossCurve.Select(p => p.Loss).ToList());
    }

    [Fact]
    public void AFitKilledAfterACheckpointResumesToTheEmbeddingsOfAnUninterruptedFit()
    {
        var ml = new MLContext(1);
        IDataView data = TinyFits.Data(ml, Rows);
        ContrastiveEncoderTransformer reference = ml.Transforms.MoCo(Options(directory: null)).Fit(data);
        Assert.Equal(20, reference.Report.Steps);

        MoCoOptions interrupted = Options(_directory);
        interrupted.ProgressIntervalSeconds = 1e-9; // a progress report after every step
        interrupted.Progress = new SynchronousProgress(p => { if (p.Step == 12) throw new SimulatedKill(); });
        Assert.Throws<SimulatedKill>(() => ml.Transforms.MoCo(interrupted).Fit(data));
        string path = Path.Combine(_directory, TrainingCheckpoint.FileName);
        Assert.Equal(10, TrainingCheckpoint.Read(path).Step); // steps 11 and 12 are lost, as after a SIGKILL

        var messages = new List<string>();
        var resumedContext = new MLContext(2);
        resumedContext.Log += (_, e) => { lock (messages) messages.Add(e.Message); };
        ContrastiveEncoderTransformer resumed = resumedContext.Transforms.MoCo(Options(_directory)).Fit(data);

        Assert.Contains(messages, m => m.Contains("resumed from checkpoint") && m.Contains("at step 10 of 20"));
        Assert.Equal(20, resumed.Report.Steps);
        float[][] expected = TinyFits.Embeddings(ml, reference.Transform(data));
        float[][] actual = TinyFits.Embeddings(ml, resumed.Transform(data));
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i]); // exact: tolerance 0
    }

    [Fact]
    public void ACheckpointWrittenWithOtherMoCoOptionsFailsNamingTheOption()
    {
        var ml = new MLContext(1);
        IDataView data = TinyFits.Data(ml, Rows);
        MoCoOptions first = Options(_directory);
        first.MaxSteps = 5;
        ml.Transforms.MoCo(first).Fit(data); // automatic queue: 24 keys
        string path = Path.Combine(_directory, TrainingCheckpoint.FileName);

        MoCoOptions changed = Options(_directory);
        changed.MaxSteps = 5;
        changed.QueueSize = 16;
        var error = Assert.Throws<InvalidOperationException>(() => ml.Transforms.MoCo(changed).Fit(data));
        Assert.Contains("QueueSize = 24", error.Message);
        Assert.Contains("QueueSize = 16", error.Message);
        Assert.Contains(path, error.Message);

        changed = Options(_directory);
        changed.MaxSteps = 5;
        changed.KeyMomentum = 0.99;
        error = Assert.Throws<InvalidOperationException>(() => ml.Transforms.MoCo(changed).Fit(data));
        Assert.Contains("KeyMomentum = 0.9,", error.Message);
        Assert.Contains("KeyMomentum = 0.99.", error.Message);
    }

    [Fact]
    public void SameSeedGivesIdenticalEmbeddingsAndLosses()
    {
        var first = Fit(Options(directory: null, seed: 11), mlSeed: 1);
        var second = Fit(Options(directory: null, seed: 11), mlSeed: 2);
        Assert.Equal(20, first.Losses.Count);
        Assert.Equal(first.Losses, second.Losses);
        for (int i = 0; i < first.Embeddings.Length; i++) Assert.Equal(first.Embeddings[i], second.Embeddings[i]);
    }

    [Fact]
    public void DifferentSeedsGiveDifferentEmbeddings()
    {
        var first = Fit(Options(directory: null, seed: 11), mlSeed: 1);
        var second = Fit(Options(directory: null, seed: 12), mlSeed: 1);
        double maxDifference = first.Embeddings.Zip(second.Embeddings).SelectMany(p => p.First.Zip(p.Second, (a, b) => Math.Abs(a - b))).Max();
        Assert.True(maxDifference > 1e-3, $"max |difference| {maxDifference}");
    }
}
