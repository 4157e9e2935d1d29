using ContrastiveML.Training;
using Microsoft.ML;

namespace ContrastiveML.Tests;

/// <summary>
/// CMC on the CPU: the same seed gives bit-identical embeddings, and a Fit killed after a checkpoint resumes to exactly
/// the embeddings of an uninterrupted Fit, which needs every view encoder, every projection and the memory bank (entries
/// and write position) in the checkpoint. Runs alone in the process, as <see cref="DeterminismTests"/> does.
/// </summary>
[Collection(nameof(ProcessMeasurements))]
public class CmcReproducibilityTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "cml-cmc-ckpt-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
    }

    private static CmcOptions Options(int seed = 7, string? checkpoints = null)
    {
        // 40 rows, batches of 8, a bank of 20: the ring buffer wraps around mid-batch, and 12 steps span several epochs.
        CmcOptions options = CmcEstimatorTests.Options(maxSteps: 12, seed: seed);
        options.MemoryBankSize = 20;
        options.ShuffleBufferSize = 10;
        options.CheckpointDirectory = checkpoints;
        options.CheckpointEverySteps = 5;
        return options;
    }

    private static float[][] Embeddings(MLContext ml, IDataView data, CmcOptions options) =>
        TinyFits.Embeddings(ml, ml.Transforms.Cmc(options).Fit(data).Transform(data));

    [Fact]
    public void SameSeedGivesIdenticalEmbeddingsAndAnotherSeedDifferentOnes()
    {
        float[][] first = Embeddings(new MLContext(1), TinyFits.Data(new MLContext(1), 40), Options(seed: 11));
        float[][] second = Embeddings(new MLContext(2), TinyFits.Data(new MLContext(2), 40), Options(seed: 11));
        for (int i = 0; i < first.Length; i++) Assert.Equal(first[i], second[i]);
        float[][] other = Embeddings(new MLContext(1), TinyFits.Data(new MLContext(1), 40), Options(seed: 12));
        double maxDifference = first.Zip(other).SelectMany(p => p.First.Zip(p.Second, (a, b) => Math.Abs(a - b))).Max();
        Assert.True(maxDifference > 1e-3, $"max |difference| {maxDifference}");
    }

    [Fact]
    public void AFitKilledAfterACheckpointResumesToTheEmbeddingsOfAnUninterruptedFit()
    {
        var ml = new MLContext(1);
        IDataView data = TinyFits.Data(ml, 40);
        float[][] expected = Embeddings(ml, data, Options());

        CmcOptions interrupted = Options(checkpoints: _directory);
        interrupted.ProgressIntervalSeconds = 1e-9;
        interrupted.Progress = new SynchronousProgress(p => { if (p.Step == 7) throw new SimulatedKill(); });
        Assert.Throws<SimulatedKill>(() => ml.Transforms.Cmc(interrupted).Fit(data));
        string path = Path.Combine(_directory, TrainingCheckpoint.FileName);
        Assert.Equal(5, TrainingCheckpoint.Read(path).Step);

        var messages = new List<string>();
        var resumedContext = new MLContext(2);
        resumedContext.Log += (_, e) => { lock (messages) messages.Add(e.Message); };
        float[][] actual = Embeddings(resumedContext, data, Options(checkpoints: _directory));
        Assert.Contains(messages, m => m.Contains("resumed from checkpoint") && m.Contains("at step 5 of 12"));
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i]); // exact: tolerance 0
    }

    [Fact]
    public void ACheckpointWrittenWithOtherCmcOptionsFailsNamingTheOption()
    {
        var ml = new MLContext(1);
        IDataView data = TinyFits.Data(ml, 40);
        CmcOptions first = Options(checkpoints: _directory);
        first.MaxSteps = 12;
        ml.Transforms.Cmc(first).Fit(data);

        CmcOptions batch = Options(checkpoints: _directory);
        batch.Negatives = CmcNegatives.Batch;
        var error = Assert.Throws<InvalidDataException>(() => ml.Transforms.Cmc(batch).Fit(data));
        Assert.Contains("Negatives = MemoryBank", error.Message);
        Assert.Contains("Negatives = Batch", error.Message);

        CmcOptions hotter = Options(checkpoints: _directory);
        hotter.Temperature = 0.2;
        error = Assert.Throws<InvalidDataException>(() => ml.Transforms.Cmc(hotter).Fit(data));
        Assert.Contains("Temperature = 0.07", error.Message);

        CmcOptions independent = Options(checkpoints: _directory);
        independent.AugmentViewsIndependently = true;
        error = Assert.Throws<InvalidDataException>(() => ml.Transforms.Cmc(independent).Fit(data));
        Assert.Contains("AugmentViewsIndependently = False", error.Message);
        Assert.Contains("AugmentViewsIndependently = True", error.Message);
    }

    [Fact]
    public void IndependentViewAugmentationIsReproducibleAndDiffersFromASharedCrop()
    {
        CmcOptions Independent(int seed)
        {
            CmcOptions options = Options(seed);
            options.AugmentViewsIndependently = true;
            return options;
        }
        float[][] first = Embeddings(new MLContext(1), TinyFits.Data(new MLContext(1), 40), Independent(11));
        float[][] second = Embeddings(new MLContext(2), TinyFits.Data(new MLContext(2), 40), Independent(11));
        for (int i = 0; i < first.Length; i++) Assert.Equal(first[i], second[i]);
        float[][] shared = Embeddings(new MLContext(1), TinyFits.Data(new MLContext(1), 40), Options(seed: 11));
        double maxDifference = first.Zip(shared).SelectMany(p => p.First.Zip(p.Second, (a, b) => Math.Abs(a - b))).Max();
        Assert.True(maxDifference > 1e-3, $"max |difference| {maxDifference}");
    }

    [Fact]
    public void ViewsFromSeparateCopiesTakeViewVFromCopyV()
    {
        using var scope = TorchSharp.torch.NewDisposeScope();
        var shape = new ImageShape(1, 8, 8);
        var splitter = Methods.Cmc.CmcViewSplitter.Create(CmcViewSplit.TwoFrequencyBands, shape, mean: 0.4f, std: 0.2f, lowPassSigma: 0);
        using var encoder = Methods.Cmc.CmcEncoder.Create(shape, splitter, Encoders.EncoderKind.CompactCnn, 4, Encoders.EmbeddingPooling.Global);
        encoder.eval();
        TorchSharp.torch.manual_seed(5);
        var a = TorchSharp.torch.rand(3, 1, 8, 8);
        var b = TorchSharp.torch.rand(3, 1, 8, 8);
        var fromA = encoder.ForwardViews(a);
        var fromB = encoder.ForwardViews(b);
        var mixed = encoder.ForwardViews(new[] { a, b });
        Assert.Equal(fromA[0].data<float>().ToArray(), mixed[0].data<float>().ToArray());
        Assert.Equal(fromB[1].data<float>().ToArray(), mixed[1].data<float>().ToArray());
        Assert.Throws<ArgumentException>(() => encoder.ForwardViews(new[] { a }));
    }

    [Fact]
    public void TheBankIsARingBufferOfNormalisedProjectionsAndSurvivesSaveAndLoad()
    {
        using var scope = TorchSharp.torch.NewDisposeScope();
        var bank = new Methods.Cmc.CmcMemoryBank(views: 2, size: 5, dimension: 3);
        var first = TorchSharp.torch.tensor(new float[] { 3, 0, 0, 0, 2, 0, 0, 0, 5 }, new long[] { 3, 3 });
        var second = TorchSharp.torch.tensor(new float[] { 0, 0, -1, 0, -4, 0, -2, 0, 0 }, new long[] { 3, 3 });
        bank.Enqueue(new[] { first, first.mul(2) });
        bank.Enqueue(new[] { second, second });
        Assert.Equal(1, bank.NextPosition); // 6 writes into 5 slots
        float[] view0 = bank.Banks()[0].data<float>().ToArray();
        // Slot 0 was overwritten by the last row of the second step, slots 1 and 2 hold the first step's rows 1 and 2, slots 3, 4 the second step's rows 0, 1.
        Assert.Equal(new float[] { -1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, -1, 0, -1, 0 }, view0);

        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true)) bank.save(writer);
        stream.Position = 0;
        var restored = new Methods.Cmc.CmcMemoryBank(views: 2, size: 5, dimension: 3);
        using (var reader = new BinaryReader(stream)) restored.load(reader, strict: true);
        Assert.Equal(1, restored.NextPosition);
        Assert.Equal(view0, restored.Banks()[0].data<float>().ToArray());
        Assert.Equal(bank.Banks()[1].data<float>().ToArray(), restored.Banks()[1].data<float>().ToArray());
    }
}
