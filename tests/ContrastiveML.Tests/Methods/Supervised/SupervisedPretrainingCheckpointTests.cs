using ContrastiveML.Training;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace ContrastiveML.Tests;

/// <summary>
/// The cross-entropy reference on the CPU: the same seed gives bit-identical embeddings (tolerance 0), and a Fit
/// stopped after a checkpoint and started again ends with exactly the embeddings of an uninterrupted one, so its
/// checkpoint holds the classifier head too. Process to itself, as <see cref="DeterminismTests"/> explains.
/// </summary>
[Collection(nameof(ProcessMeasurements))]
public sealed class SupervisedPretrainingCheckpointTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("contrastiveml-ce-ckpt-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static IDataView Data(MLContext ml) =>
        EstimatorTestKit.UIntData(ml, 48, i => (uint)(i % 4));

    private static SupervisedPretrainingOptions Options(string? directory, int seed = 7) => new()
    {
        InputColumnName = "Pixels",
        OutputColumnName = "Embedding",
        ImageShape = TinyFits.Shape,
        EncoderWidth = 4,
        Epochs = 1000,
        BatchSize = 8,
        MaxSteps = 12,
        Seed = seed,
        Device = TrainingDevice.Cpu,
        ShuffleBufferSize = 10,
        CheckpointDirectory = directory,
        CheckpointEverySteps = 4,
    };

    private static void AssertIdentical(float[][] expected, float[][] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i]);
    }

    [Fact]
    public void SameSeedGivesIdenticalEmbeddingsAndAnotherSeedDifferentOnes()
    {
        var ml = new MLContext(1);
        IDataView data = Data(ml);
        float[][] first = TinyFits.Embeddings(ml, ml.Transforms.SupervisedPretraining(Options(null)).Fit(data).Transform(data));
        float[][] second = TinyFits.Embeddings(new MLContext(2), new MLContext(2).Transforms.SupervisedPretraining(Options(null)).Fit(data).Transform(data));
        AssertIdentical(first, second);
        float[][] other = TinyFits.Embeddings(ml, ml.Transforms.SupervisedPretraining(Options(null, seed: 8)).Fit(data).Transform(data));
        double difference = first.Zip(other).SelectMany(p => p.First.Zip(p.Second, (a, b) => Math.Abs(a - b))).Max();
        Assert.True(difference > 1e-3, $"max |difference| {difference}");
    }

    [Fact]
    public void AFitStoppedAfterACheckpointResumesToTheUninterruptedEmbeddings()
    {
        var ml = new MLContext(1);
        IDataView data = Data(ml);
        float[][] reference = TinyFits.Embeddings(ml, ml.Transforms.SupervisedPretraining(Options(null)).Fit(data).Transform(data));

        SupervisedPretrainingOptions interrupted = Options(_directory);
        interrupted.ProgressIntervalSeconds = 1e-9;
        interrupted.Progress = new SynchronousProgress(p => { if (p.Step == 6) throw new SimulatedKill(); });
        Assert.Throws<SimulatedKill>(() => ml.Transforms.SupervisedPretraining(interrupted).Fit(data));
        Assert.Equal(4, TrainingCheckpoint.Read(Path.Combine(_directory, TrainingCheckpoint.FileName)).Step);

        ContrastiveEncoderTransformer resumed = ml.Transforms.SupervisedPretraining(Options(_directory)).Fit(data);
        Assert.Equal(4, resumed.Report.ResumedFromStep);
        Assert.Equal(12, resumed.Report.Steps);
        AssertIdentical(reference, TinyFits.Embeddings(ml, resumed.Transform(data)));
    }
}
