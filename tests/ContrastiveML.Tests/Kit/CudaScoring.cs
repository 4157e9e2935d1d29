using ContrastiveML.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace ContrastiveML.Tests;

/// <summary>
/// Whether ONNX Runtime's CUDA execution provider can score on CUDA device 0 in this process: a one-node model is
/// opened with it. It cannot in the default build (the CPU-only ONNX Runtime has no CUDA provider), nor in the GPU build
/// (<c>-p:ContrastiveOnnxRuntime=gpu</c>) on a machine without a GPU or CUDA libraries; ONNX Runtime's message says which.
/// </summary>
internal static class CudaScoring
{
    private static readonly Lazy<string?> Reason = new(Probe);

    /// <summary>Null when CUDA device 0 scores; otherwise ONNX Runtime's reason why not.</summary>
    public static string? UnavailableReason => Reason.Value;

    public static bool Available => UnavailableReason is null;

    private static string? Probe()
    {
        var graph = new OnnxGraphBuilder("cuda_probe");
        string input = graph.AddInput("x", OnnxDimension.Symbolic("N"), 4);
        graph.AddOutput("y", graph.AddNode("Relu", new[] { input }), OnnxDimension.Symbolic("N"), 4);
        try
        {
            using InferenceSession session = OnnxScoringSession.Create(graph.ToModelBytes(), new OnnxScoringDevice(0), out _);
            return null;
        }
        catch (InvalidOperationException error)
        {
            return error.Message;
        }
    }
}

/// <summary>A fact that runs only where ONNX Runtime can score on CUDA device 0; elsewhere it is reported skipped, with ONNX Runtime's reason.</summary>
public sealed class CudaScoringFactAttribute : FactAttribute
{
    public CudaScoringFactAttribute()
    {
        if (CudaScoring.UnavailableReason is string reason)
        {
            Skip = "ONNX Runtime cannot score on CUDA device 0 here (build with -p:ContrastiveOnnxRuntime=gpu and run on a machine with an " +
                   $"NVIDIA GPU, CUDA and cuDNN to run it): {reason}";
        }
    }
}

/// <summary>A fact for the behaviour where no CUDA device can be used (fallback, error); skipped where one can.</summary>
public sealed class NoCudaScoringFactAttribute : FactAttribute
{
    public NoCudaScoringFactAttribute()
    {
        if (CudaScoring.Available) Skip = "ONNX Runtime scores on CUDA device 0 here, so there is no unusable device to fall back from.";
    }
}

/// <summary>A fact about the CPU-only ONNX Runtime (the default build); skipped in the GPU build.</summary>
public sealed class CpuOnlyOnnxRuntimeFactAttribute : FactAttribute
{
    public CpuOnlyOnnxRuntimeFactAttribute()
    {
        if (OnnxScoringSession.HasCudaProvider) Skip = "This build's ONNX Runtime has the CUDA execution provider (-p:ContrastiveOnnxRuntime=gpu).";
    }
}
