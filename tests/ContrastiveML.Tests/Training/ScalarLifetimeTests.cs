using ContrastiveML.Optimization;
using Microsoft.ML;

namespace ContrastiveML.Tests;

/// <summary>
/// Training while another thread collects garbage without pause gives bit-identical results to training in peace.
/// </summary>
/// <remarks>
/// A TorchSharp Scalar converted implicitly from a number is freed by its finalizer; when a collection that another
/// thread starts during a native call finalizes it, libtorch reads freed memory (the symptom: "Expected false
/// to be true ... toDouble at c10/core/Scalar.h:140", or silently a wrong number). The training path keeps its Scalars
/// alive (KeptScalars; our own AdamW, SGD and LARS), and this test makes collections as frequent as they can be: a
/// second thread allocates and runs GC.Collect + WaitForPendingFinalizers in a loop for the whole fit. Any Scalar or
/// tensor freed under a running call would throw or change a number; the fit must instead match a quiet fit of the same
/// seed exactly (CPU training is bit-reproducible, see DeterminismTests, hence the same collection).
/// </remarks>
[Collection(nameof(ProcessMeasurements))]
public class ScalarLifetimeTests
{
    private static (float[][] Embeddings, IReadOnlyList<double> Losses) Fit(OptimizerKind optimizer, bool garbageStorm)
    {
        var ml = new MLContext(1);
        IDataView data = TinyFits.Data(ml, 48);
        SimClrOptions options = TinyFits.Options(maxSteps: 30, seed: 5);
        options.Optimizer = optimizer;
        options.ProgressIntervalSeconds = 1e-6; // one loss-curve point per step

        using var stop = new CancellationTokenSource();
        long collections = 0;
        var storm = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                // Garbage of several sizes so every generation has work, then a full blocking collection and the finalizers.
                for (int i = 0; i < 64; i++) GC.KeepAlive(new byte[1024 * (1 + i % 8)]);
                GC.Collect();
                GC.WaitForPendingFinalizers();
                Interlocked.Increment(ref collections);
            }
        }) { IsBackground = true };
        if (garbageStorm) storm.Start();
        try
        {
            ContrastiveEncoderTransformer model = ml.Transforms.SimClr(options).Fit(data);
            Assert.Equal(30, model.Report.Steps);
            return (TinyFits.Embeddings(ml, model.Transform(data)), model.Report.LossCurve.Select(p => p.Loss).ToList());
        }
        finally
        {
            stop.Cancel();
            if (garbageStorm)
            {
                storm.Join();
                // The storm must have overlapped the fit many times over for the comparison to mean anything.
                Assert.True(Interlocked.Read(ref collections) >= 30, $"only {collections} collections during the fit");
            }
        }
    }

    [Theory]
    [InlineData(OptimizerKind.AdamW)]
    [InlineData(OptimizerKind.Sgd)]
    [InlineData(OptimizerKind.Lars)]
    public void AFitUnderConstantGarbageCollectionMatchesAQuietFitExactly(OptimizerKind optimizer)
    {
        var quiet = Fit(optimizer, garbageStorm: false);
        var stormy = Fit(optimizer, garbageStorm: true);
        Assert.Equal(quiet.Losses, stormy.Losses);
        Assert.Equal(quiet.Embeddings.Length, stormy.Embeddings.Length);
        for (int i = 0; i < quiet.Embeddings.Length; i++) Assert.Equal(quiet.Embeddings[i], stormy.Embeddings[i]);
    }
}
