using Microsoft.ML;

namespace ContrastiveML.Tests;

/// <summary>
/// Reproducibility that does not depend on the method (checked here with SimCLR): a cached data view, which ML.NET's
/// cursor may shuffle, trains bit-identically for a seed as an enumerable one does; fits of the same seed running at the
/// same time give the embeddings of one running alone. Same-seed, other-seed and resume checks for every method are in
/// <see cref="EstimatorReproducibilityTests"/>.
/// </summary>
/// <remarks>
/// Weight initialisation draws from libtorch's one process-wide generator. Fit seeds it and builds its modules under
/// a lock, but any other code drawing from that generator at the same moment (here: other test classes building
/// encoders or calling randn) changes the draws. So these tests run with the process to themselves.
/// </remarks>
[Collection(nameof(ProcessMeasurements))]
public class DeterminismTests
{
    private static (float[][] Embeddings, IReadOnlyList<double> Losses) Fit(int seed, bool cached, int mlSeed = 1)
    {
        // A fresh MLContext per fit, with a different seed of its own, so nothing but the options' seed is shared.
        var ml = new MLContext(mlSeed);
        IDataView data = TinyFits.Data(ml, 40);
        // A cached view can be shuffled by ML.NET's cursor; an enumerable one only by the shuffle buffer.
        if (cached) data = ml.Data.Cache(data);
        SimClrOptions options = TinyFits.Options(maxSteps: 6, seed: seed);
        options.ProgressIntervalSeconds = 1e-6; // one loss-curve point per step
        options.ShuffleBufferSize = 10; // smaller than the data: the streaming shuffle is exercised
        ContrastiveEncoderTransformer model = ml.Transforms.SimClr(options).Fit(data);
        Assert.Equal(6, model.Report.Steps);
        return (TinyFits.Embeddings(ml, model.Transform(data)), model.Report.LossCurve.Select(p => p.Loss).ToList());
    }

    [Fact]
    public void ACachedDataViewGivesIdenticalEmbeddingsForTheSameSeed()
    {
        var first = Fit(seed: 11, cached: true, mlSeed: 1);
        var second = Fit(seed: 11, cached: true, mlSeed: 2);
        Assert.Equal(first.Losses, second.Losses);
        Assert.Equal(first.Embeddings.Length, second.Embeddings.Length);
        for (int i = 0; i < first.Embeddings.Length; i++) Assert.Equal(first.Embeddings[i], second.Embeddings[i]);
    }

    [Fact]
    public void ConcurrentFitsWithTheSameSeedGiveIdenticalEmbeddings()
    {
        // Initialisation draws from libtorch's process-wide generator: fits running at the same time must not interleave there.
        var reference = Fit(seed: 11, cached: false);
        var results = new (float[][] Embeddings, IReadOnlyList<double> Losses)[4];
        var threads = Enumerable.Range(0, results.Length).Select(i => new Thread(() => results[i] = Fit(seed: 11, cached: false, mlSeed: i))).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        foreach (var result in results)
        {
            for (int i = 0; i < reference.Embeddings.Length; i++) Assert.Equal(reference.Embeddings[i], result.Embeddings[i]);
        }
    }
}
