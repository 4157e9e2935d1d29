using ContrastiveML.Losses;
using ContrastiveML.Training;
using Microsoft.ML;

namespace ContrastiveML.Tests;

/// <summary>
/// Metric learning on the CPU: the same seed gives bit-identical embeddings, and a Fit killed after a checkpoint resumes
/// to exactly the embeddings of an uninterrupted Fit (as <see cref="CheckpointTests"/> for SimCLR; here with a
/// projection head, so the head's state must be in the checkpoint too).
/// </summary>
/// <remarks>Needs the process to itself: weight initialisation draws from libtorch's process-wide generator.</remarks>
[Collection(nameof(ProcessMeasurements))]
public class MetricLearningReproducibilityTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "cml-metric-ckpt-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
    }

    private static MetricLearningOptions Options(string? directory, MetricLossKind loss, int maxSteps = 12)
    {
        MetricLearningOptions options = MetricLearningEstimatorTests.Options(maxSteps: maxSteps);
        options.Loss = loss;
        options.TripletMiner = TripletMining.All;
        options.ProjectionDim = 8;
        options.ShuffleBufferSize = 10; // smaller than the data: resuming replays the streaming shuffle
        options.CheckpointDirectory = directory;
        options.CheckpointEverySteps = 4;
        return options;
    }

    [Theory]
    [InlineData(MetricLossKind.Triplet)]
    [InlineData(MetricLossKind.Contrastive)]
    public void SameSeedGivesIdenticalEmbeddingsAndLosses(MetricLossKind loss)
    {
        (float[][], IReadOnlyList<double>) Fit(int mlSeed)
        {
            var ml = new MLContext(mlSeed);
            IDataView data = EstimatorTestKit.UIntData(ml, 24);
            MetricLearningOptions options = Options(null, loss, maxSteps: 6);
            options.ProgressIntervalSeconds = 1e-9;
            ContrastiveEncoderTransformer model = ml.Transforms.MetricLearning(options).Fit(data);
            return (TinyFits.Embeddings(ml, model.Transform(data)), model.Report.LossCurve.Select(p => p.Loss).ToList());
        }
        var (firstEmbeddings, firstLosses) = Fit(1);
        var (secondEmbeddings, secondLosses) = Fit(2);
        Assert.Equal(6, firstLosses.Count);
        Assert.Equal(firstLosses, secondLosses);
        for (int i = 0; i < firstEmbeddings.Length; i++) Assert.Equal(firstEmbeddings[i], secondEmbeddings[i]);
    }

    [Fact]
    public void AFitKilledAfterACheckpointResumesToTheEmbeddingsOfAnUninterruptedFit()
    {
        var ml = new MLContext(1);
        IDataView data = EstimatorTestKit.UIntData(ml, 24); // three batches of 8 per epoch: 12 steps span four epochs
        ContrastiveEncoderTransformer reference = ml.Transforms.MetricLearning(Options(null, MetricLossKind.Triplet)).Fit(data);
        Assert.Equal(12, reference.Report.Steps);

        MetricLearningOptions interrupted = Options(_directory, MetricLossKind.Triplet);
        interrupted.ProgressIntervalSeconds = 1e-9;
        interrupted.Progress = new SynchronousProgress(p => { if (p.Step == 10) throw new SimulatedKill(); });
        Assert.Throws<SimulatedKill>(() => ml.Transforms.MetricLearning(interrupted).Fit(data));
        string path = Path.Combine(_directory, TrainingCheckpoint.FileName);
        Assert.Equal(8, TrainingCheckpoint.Read(path).Step); // steps 9 and 10 are lost, as after a SIGKILL

        var messages = new List<string>();
        var resumedContext = new MLContext(2);
        resumedContext.Log += (_, e) => { lock (messages) messages.Add(e.Message); };
        ContrastiveEncoderTransformer resumed = resumedContext.Transforms.MetricLearning(Options(_directory, MetricLossKind.Triplet)).Fit(data);
        Assert.Contains(messages, m => m.Contains("resumed from checkpoint") && m.Contains("at step 8 of 12"));
        Assert.Equal(12, resumed.Report.Steps);

        float[][] expected = TinyFits.Embeddings(ml, reference.Transform(data));
        float[][] actual = TinyFits.Embeddings(ml, resumed.Transform(data));
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i]); // exact: tolerance 0
    }

    [Fact]
    public void ACheckpointWrittenWithAnotherMarginOrMinerFailsFitNamingTheOption()
    {
        var ml = new MLContext(1);
        IDataView data = EstimatorTestKit.UIntData(ml, 24);
        ml.Transforms.MetricLearning(Options(_directory, MetricLossKind.Triplet, maxSteps: 4)).Fit(data);

        MetricLearningOptions changed = Options(_directory, MetricLossKind.Triplet, maxSteps: 4);
        changed.Margin = 0.5;
        var error = Assert.Throws<InvalidOperationException>(() => ml.Transforms.MetricLearning(changed).Fit(data));
        Assert.Contains("Margin = 0.5", error.Message);

        changed = Options(_directory, MetricLossKind.Triplet, maxSteps: 4);
        changed.TripletMiner = TripletMining.Hard;
        error = Assert.Throws<InvalidOperationException>(() => ml.Transforms.MetricLearning(changed).Fit(data));
        Assert.Contains("TripletMiner = Hard", error.Message);
    }
}
