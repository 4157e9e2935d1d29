using System.Diagnostics;
using Microsoft.ML;
using TorchSharp;

namespace ContrastiveML.Tests;

/// <summary>Tests that measure the process and so must not run beside other tests.</summary>
[CollectionDefinition(nameof(ProcessMeasurements), DisableParallelization = true)]
public sealed class ProcessMeasurements
{
}

/// <summary>
/// Training steps release their native (libtorch) memory. Two measures over 500 tiny SimCLR steps (8x8 images,
/// width-4 encoder, batches of 8): the number of live TorchSharp tensors is the same after step 500 as after
/// step 50 (exact: a leaked tensor per step would show as 450), and resident memory grows less than 50 MB between
/// the two. Why a bound and not zero: resident memory still grows after step 50 by warm-up (allocator pools reaching
/// their working size, JIT tiering), a few to some tens of MB that level off, whereas a leak grows with every step; the
/// live-tensor count, which warm-up does not change, catches even one leaked tensor per step exactly.
/// </summary>
[Collection(nameof(ProcessMeasurements))]
public class NativeMemoryTests
{
    private const long AllowedGrowthBytes = 50L * 1024 * 1024;

    private static long ResidentBytes()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        using Process process = Process.GetCurrentProcess();
        return process.WorkingSet64;
    }

    private static long LiveTensors() => DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount;

    [Fact]
    public void NativeMemoryStaysFlatFrom50To500Steps()
    {
        var ml = new MLContext(1);
        SimClrOptions options = TinyFits.Options(maxSteps: 500, batchSize: 8);
        options.ProgressIntervalSeconds = 1e-6; // a report after every step
        long resident50 = 0, resident500 = 0, tensors50 = 0, tensors500 = 0;
        options.Progress = new SynchronousProgress(p =>
        {
            if (p.Step == 50) (resident50, tensors50) = (ResidentBytes(), LiveTensors());
            if (p.Step == 500) (resident500, tensors500) = (ResidentBytes(), LiveTensors());
        });

        // One libtorch thread: these steps are far too small to gain from two, and on a machine busy with other work
        // the intra-op threads' waiting made them about ten times slower (90 ms instead of 7 ms a step).
        int threads = torch.get_num_threads();
        torch.set_num_threads(1);
        ContrastiveEncoderTransformer model;
        try
        {
            model = ml.Transforms.SimClr(options).Fit(TinyFits.Data(ml, 32));
        }
        finally
        {
            torch.set_num_threads(threads);
        }

        Assert.Equal(500, model.Report.Steps);
        long growth = resident500 - resident50;
        Console.WriteLine($"live tensors after 50 steps {tensors50}, after 500 {tensors500}; resident after 50 steps " +
                          $"{resident50 / 1048576.0:F1} MB, after 500 {resident500 / 1048576.0:F1} MB, growth {growth / 1048576.0:F1} MB");
        Assert.Equal(tensors50, tensors500);
        Assert.True(growth < AllowedGrowthBytes, $"resident memory grew by {growth / 1048576.0:F1} MB from step 50 to step 500");
    }
}
