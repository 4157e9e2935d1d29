namespace ContrastiveML.Onnx;

/// <summary>
/// Where ONNX Runtime scores an exported encoder, in the terms of ML.NET's <c>ApplyOnnxModel</c>: a CUDA device id
/// (ONNX Runtime's CUDA execution provider), or null for the CPU; and whether a CUDA device that cannot be used
/// (no GPU, no CUDA libraries, or a build that references the CPU-only ONNX Runtime) falls back to the CPU or fails.
/// </summary>
/// <param name="GpuDeviceId">The CUDA device to score on; null for the CPU.</param>
/// <param name="FallbackToCpu">Score on the CPU when the CUDA device cannot be used, instead of failing.</param>
public readonly record struct OnnxScoringDevice(int? GpuDeviceId = null, bool FallbackToCpu = false)
{
    /// <summary>The CPU (no CUDA device asked for).</summary>
    public static OnnxScoringDevice Cpu => default;

    /// <summary>"CUDA device N" or "CPU".</summary>
    public override string ToString() => GpuDeviceId is int id ? $"CUDA device {id}" : "CPU";
}
