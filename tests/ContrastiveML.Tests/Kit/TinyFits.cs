using Microsoft.ML;
using Microsoft.ML.Data;

namespace ContrastiveML.Tests;

/// <summary>A 1x8x8 pixel row, the smallest image the shipped encoders train on in these tests.</summary>
public sealed class EightByEightRow
{
    [VectorType(64)] public float[] Pixels { get; set; } = new float[64];
}

/// <summary>The embedding column of a scored row.</summary>
public sealed class EmbeddingOutput
{
    public float[] Embedding { get; set; } = Array.Empty<float>();
}

/// <summary>Tiny, fast SimCLR fits shared by the reliability tests (width-4 encoder, 8x8 images, CPU).</summary>
internal static class TinyFits
{
    public static readonly ImageShape Shape = new(1, 8, 8);

    public static SimClrOptions Options(int maxSteps = 3, int seed = 7, int batchSize = 16) =>
        Tiny(new SimClrOptions { ProjectionDim = 8 }, maxSteps, seed, batchSize);

    /// <summary>
    /// <paramref name="options"/> with the settings every tiny test fit shares: <c>Pixels</c> in, <c>Embedding</c> out, 8x8
    /// gray images, a width-4 encoder on the CPU, epochs enough that <paramref name="maxSteps"/> ends training.
    /// </summary>
    public static T Tiny<T>(T options, int maxSteps, int seed = 7, int batchSize = 8) where T : ContrastiveEncoderOptions
    {
        options.InputColumnName = "Pixels";
        options.OutputColumnName = "Embedding";
        options.ImageShape = Shape;
        options.EncoderWidth = 4;
        options.Epochs = 1000;
        options.BatchSize = batchSize;
        options.MaxSteps = maxSteps;
        options.Seed = seed;
        options.Device = TrainingDevice.Cpu;
        return options;
    }

    public static EightByEightRow[] Rows(int count, int seed = 3)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count)
            .Select(_ => new EightByEightRow { Pixels = Enumerable.Range(0, 64).Select(_ => (float)random.Next(256)).ToArray() })
            .ToArray();
    }

    public static IDataView Data(MLContext ml, int count, int seed = 3) => ml.Data.LoadFromEnumerable(Rows(count, seed));

    public static float[][] Embeddings(MLContext ml, IDataView scored) =>
        ml.Data.CreateEnumerable<EmbeddingOutput>(scored, reuseRowObject: false).Select(r => r.Embedding).ToArray();
}

/// <summary>Reports on the training thread (System.Progress posts to the thread pool, too late for assertions).</summary>
internal sealed class SynchronousProgress : IProgress<ContrastiveML.Training.TrainingProgress>
{
    private readonly Action<ContrastiveML.Training.TrainingProgress> _report;
    public SynchronousProgress(Action<ContrastiveML.Training.TrainingProgress> report) => _report = report;
    public void Report(ContrastiveML.Training.TrainingProgress value) => _report(value);
}

/// <summary>
/// Thrown from a progress callback to stop a Fit the way a kill does: no cancellation, so no final checkpoint (a
/// canceled Fit checkpoints the step it stopped at). A real SIGKILL of a child process is in ProcessKillTests.
/// </summary>
internal sealed class SimulatedKill : Exception
{
}
