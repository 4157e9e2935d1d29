using Microsoft.ML.OnnxRuntime;

namespace ContrastiveML.Onnx;

/// <summary>
/// The ONNX Runtime session used to score exported encoders on batches of rows, with its options chosen for that job
/// rather than left to chance. The batched ML.NET scoring path and the benchmark's direct ONNX Runtime path both open
/// their sessions here, so that a comparison between them measures the pipeline and not two different configurations.
/// </summary>
public static class OnnxScoringSession
{
    /// <summary>
    /// Opens a CPU session on <paramref name="onnxModel"/>:
    /// <list type="bullet">
    /// <item>All graph optimisations (<c>ORT_ENABLE_ALL</c>): Conv+BatchNormalization+Relu fusion and layout changes
    /// are what makes a batch of convolutions fast; the exported graphs are plain and optimise safely.</item>
    /// <item>Sequential execution with one inter-op thread: the encoders are chains of layers (ResNet's residual
    /// branches are a few small nodes), so there is nothing to run side by side; all parallelism is within an operator.</item>
    /// <item><paramref name="intraOpThreads"/> threads within an operator; 0 (the default) lets ONNX Runtime use one per
    /// physical core, its own default and the best choice for a process that scores one batch at a time.</item>
    /// <item>No spinning of idle intra-op threads (<c>session.intra_op.allow_spinning = 0</c>): between two runs the
    /// calling thread reads the next batch of rows, and workers spinning meanwhile would take cores from it, from
    /// other sessions in the process and from everything else on a busy machine; a batch's run is long enough
    /// (milliseconds) that waking the workers costs nothing measurable.</item>
    /// </list>
    /// A session may run from several threads at once (ONNX Runtime's <c>Run</c> is thread-safe).
    /// </summary>
    /// <param name="onnxModel">The serialized model.</param>
    /// <param name="intraOpThreads">Threads per operator; 0 for ONNX Runtime's default.</param>
    public static InferenceSession Create(byte[] onnxModel, int intraOpThreads = 0)
    {
        ArgumentNullException.ThrowIfNull(onnxModel);
        ArgumentOutOfRangeException.ThrowIfNegative(intraOpThreads);
        using var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            InterOpNumThreads = 1,
            IntraOpNumThreads = intraOpThreads,
        };
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        return new InferenceSession(onnxModel, options);
    }
}
