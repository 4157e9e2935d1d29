namespace ContrastiveML.Samples.Benchmarks;

/// <summary>The parts of a bench run.</summary>
internal enum BenchSection
{
    /// <summary>Reference matmul, SimCLR training throughput and the parts of a step.</summary>
    Training,
    /// <summary>Reference matmul and the training throughput of every method on every encoder.</summary>
    Methods,
    /// <summary>Inference through ML.NET (batched and stock), ONNX Runtime and TorchSharp.</summary>
    Inference,
    /// <summary>Peak resident memory of a short Fit on 6,000 vs 60,000 images.</summary>
    Memory,
    /// <summary>Resident memory after 50 vs 500 training steps.</summary>
    Residency,
}
