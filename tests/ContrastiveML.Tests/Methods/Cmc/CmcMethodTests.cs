using Microsoft.ML;

namespace ContrastiveML.Tests;

/// <summary>
/// What only CMC does, beyond the checks every method gets (<see cref="EstimatorReproducibilityTests"/>: same seed,
/// resume after a kill, own settings in the checkpoint): independently augmented views are reproducible and differ from
/// a shared crop; view v comes from copy v; the memory bank is a ring buffer of normalised projections that survives
/// save and load.
/// </summary>
/// <remarks>
/// The view-augmentation check compares tiny fits bit for bit, so the class needs the process to itself (weight
/// initialisation draws from libtorch's process-wide generator).
/// </remarks>
[Collection(nameof(ProcessMeasurements))]
public class CmcMethodTests
{
    private static CmcOptions Options(int seed)
    {
        CmcOptions options = CmcEstimatorTests.Options(maxSteps: 12, seed: seed);
        options.MemoryBankSize = 20;
        options.ShuffleBufferSize = 10;
        return options;
    }

    private static float[][] Embeddings(MLContext ml, IDataView data, CmcOptions options) =>
        TinyFits.Embeddings(ml, ml.Transforms.Cmc(options).Fit(data).Transform(data));

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
