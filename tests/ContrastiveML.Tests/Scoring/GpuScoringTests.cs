using Microsoft.ML;
using Microsoft.ML.Data;

namespace ContrastiveML.Tests;

/// <summary>
/// Scoring on a CUDA device through ONNX Runtime's CUDA execution provider (GpuDeviceId / FallbackToCpu, ML.NET's
/// ApplyOnnxModel conventions), for a fitted transformer and for ContrastiveModel.Load. Where no CUDA device can be used
/// the fallback and the error are checked; where one can, the embeddings on the GPU are checked against the CPU's.
/// </summary>
public class GpuScoringTests
{
    /// <summary>The CUDA provider's kernels (cuDNN convolutions, TF32 off by default in ONNX Runtime) differ from the CPU's in the last bits.</summary>
    private const float GpuTolerance = 1e-3f;

    private static (MLContext Ml, IDataView Data, ContrastiveEncoderTransformer Cpu) FitOnCpu()
    {
        var ml = new MLContext(1);
        IDataView data = TinyFits.Data(ml, 24);
        return (ml, data, ml.Transforms.SimClr(TinyFits.Options()).Fit(data));
    }

    private static byte[] Saved(MLContext ml, ITransformer model, IDataView data)
    {
        using var stream = new MemoryStream();
        ml.Model.Save(model, data.Schema, stream);
        return stream.ToArray();
    }

    private static void AssertClose(float[][] expected, float[][] actual, float tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i].Length, actual[i].Length);
            for (int j = 0; j < expected[i].Length; j++) Assert.True(Math.Abs(expected[i][j] - actual[i][j]) <= tolerance, $"row {i}, value {j}: {expected[i][j]} vs {actual[i][j]}");
        }
    }

    [NoCudaScoringFact]
    public void FitWithFallbackScoresOnTheCpuAndLogsWhy()
    {
        var ml = new MLContext(1);
        List<string> log = EstimatorTestKit.CaptureLog(ml);
        IDataView data = TinyFits.Data(ml, 24);
        ContrastiveEncoderTransformer cpu = ml.Transforms.SimClr(TinyFits.Options()).Fit(data);
        SimClrOptions options = TinyFits.Options();
        options.GpuDeviceId = 0;
        options.FallbackToCpu = true;
        ContrastiveEncoderTransformer fellBack = ml.Transforms.SimClr(options).Fit(data);

        // The same seed trains the same encoder; scored on the CPU either way, the embeddings are identical.
        Assert.Equal(TinyFits.Embeddings(ml, cpu.Transform(data)), TinyFits.Embeddings(ml, fellBack.Transform(data)));
        Assert.Contains(log, m => m.Contains("ONNX Runtime scores on the CPU: CUDA device 0 was asked for but cannot be used (") && m.Contains("falling back to the CPU"));
        Assert.Contains(log, m => m.Contains("ONNX Runtime scores on the CPU."));
    }

    [NoCudaScoringFact]
    public void FitOnAnUnusableGpuWithoutFallbackFailsNamingTheDeviceAndTheBuild()
    {
        var ml = new MLContext(1);
        SimClrOptions options = TinyFits.Options(maxSteps: 0);
        options.GpuDeviceId = 0;
        var error = Assert.Throws<InvalidOperationException>(() => ml.Transforms.SimClr(options).Fit(TinyFits.Data(ml, 16)));
        Assert.Contains("CUDA device 0", error.Message);
        Assert.Contains("-p:ContrastiveOnnxRuntime=gpu", error.Message);
        Assert.Contains("cannot be used", error.Message);
    }

    [NoCudaScoringFact]
    public void LoadWithFallbackScoresLikeTheCpuAndLogsWhyRowByRowToo()
    {
        var (ml, data, cpu) = FitOnCpu();
        byte[] zip = Saved(ml, cpu, data);
        float[][] expected = TinyFits.Embeddings(ml, cpu.Transform(data));

        var loadContext = new MLContext(2);
        List<string> log = EstimatorTestKit.CaptureLog(loadContext);
        ITransformer loaded = ContrastiveModel.Load(loadContext, new MemoryStream(zip), out _, gpuDeviceId: 0, fallbackToCpu: true);
        Assert.Equal(expected, TinyFits.Embeddings(loadContext, loaded.Transform(data)));
        Assert.Contains(log, m => m.Contains("ContrastiveModel.Load: ONNX Runtime scores on the CPU: CUDA device 0 was asked for but cannot be used"));

        // Row by row (the stock scorer inside) gives the same.
        using var engine = loadContext.Model.CreatePredictionEngine<EightByEightRow, EmbeddingOutput>(loaded);
        EightByEightRow first = TinyFits.Rows(24)[0];
        Assert.Equal(expected[0], engine.Predict(first).Embedding);

        // And saved again it is the stock chain, loading with no device at all.
        ITransformer again = new MLContext(3).Model.Load(new MemoryStream(Saved(loadContext, loaded, data)), out _);
        Assert.Equal(expected, TinyFits.Embeddings(ml, again.Transform(data)));
    }

    [NoCudaScoringFact]
    public void LoadOnAnUnusableGpuWithoutFallbackFailsWithTheReasonNotAsADamagedFile()
    {
        var (ml, data, cpu) = FitOnCpu();
        byte[] zip = Saved(ml, cpu, data);
        var error = Assert.Throws<InvalidOperationException>(() => ContrastiveModel.Load(new MLContext(2), new MemoryStream(zip), out _, gpuDeviceId: 0));
        Assert.Contains("CUDA device 0", error.Message);
        Assert.DoesNotContain("damaged", error.Message);
    }

    [NoCudaScoringFact]
    public void LoadFollowsTheContextsGpuSettingsLikeMLNet()
    {
        var (ml, data, cpu) = FitOnCpu();
        byte[] zip = Saved(ml, cpu, data);
        var context = new MLContext(2) { GpuDeviceId = 0, FallbackToCpu = true };
        List<string> log = EstimatorTestKit.CaptureLog(context);
        ITransformer loaded = ContrastiveModel.Load(context, new MemoryStream(zip), out _);
        Assert.Equal(TinyFits.Embeddings(ml, cpu.Transform(data)), TinyFits.Embeddings(context, loaded.Transform(data)));
        Assert.Contains(log, m => m.Contains("CUDA device 0 was asked for but cannot be used"));
    }

    [CpuOnlyOnnxRuntimeFact]
    public void TheCpuOnlyBuildSaysSoWhenTheContextAsksForAGpu()
    {
        var (ml, data, cpu) = FitOnCpu();
        byte[] zip = Saved(ml, cpu, data);
        var error = Assert.Throws<InvalidOperationException>(() => ContrastiveModel.Load(new MLContext(2) { GpuDeviceId = 1 }, new MemoryStream(zip), out _));
        Assert.Contains("MLContext.GpuDeviceId is 1", error.Message);
        Assert.Contains("CPU-only build", error.Message);
        Assert.Contains("-p:ContrastiveOnnxRuntime=gpu", error.Message);
    }

    [Fact]
    public void ANegativeGpuDeviceIdIsRefusedNamingIt()
    {
        var ml = new MLContext(1);
        SimClrOptions options = TinyFits.Options();
        options.GpuDeviceId = -1;
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => ml.Transforms.SimClr(options).Fit(TinyFits.Data(ml, 16)));
        Assert.Contains("GpuDeviceId", error.Message);
        Assert.Contains("-1", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => ContrastiveModel.Load(ml, new MemoryStream(new byte[] { 1 }), out _, gpuDeviceId: -1));
    }

    [CudaScoringFact]
    public void FitAndLoadScoreOnCudaDevice0LikeTheCpu()
    {
        var (ml, data, cpu) = FitOnCpu();
        float[][] expected = TinyFits.Embeddings(ml, cpu.Transform(data));
        List<string> log = EstimatorTestKit.CaptureLog(ml);

        // Trained on the CPU, scored on the GPU (no fallback: a failure to use it fails the test).
        SimClrOptions options = TinyFits.Options();
        options.GpuDeviceId = 0;
        ContrastiveEncoderTransformer onGpu = ml.Transforms.SimClr(options).Fit(data);
        AssertClose(expected, TinyFits.Embeddings(ml, onGpu.Transform(data)), GpuTolerance);
        Assert.Contains(log, m => m.Contains("ONNX Runtime scores on CUDA device 0 (CUDA execution provider)."));

        var loadContext = new MLContext(2);
        List<string> loadLog = EstimatorTestKit.CaptureLog(loadContext);
        ITransformer loaded = ContrastiveModel.Load(loadContext, new MemoryStream(Saved(ml, cpu, data)), out _, gpuDeviceId: 0);
        AssertClose(expected, TinyFits.Embeddings(loadContext, loaded.Transform(data)), GpuTolerance);
        Assert.Contains(loadLog, m => m.Contains("ContrastiveModel.Load: ONNX Runtime scores on CUDA device 0"));
        using var engine = loadContext.Model.CreatePredictionEngine<EightByEightRow, EmbeddingOutput>(loaded);
        AssertClose(new[] { expected[0] }, new[] { engine.Predict(TinyFits.Rows(24)[0]).Embedding }, GpuTolerance);
    }
}
