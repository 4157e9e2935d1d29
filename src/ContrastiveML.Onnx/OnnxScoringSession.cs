using Microsoft.ML.OnnxRuntime;

namespace ContrastiveML.Onnx;

/// <summary>
/// The ONNX Runtime session used to score exported encoders on batches of rows, with its options chosen for that job
/// rather than left to chance. The batched ML.NET scoring path and the benchmark's direct ONNX Runtime path both open
/// their sessions here, so that a comparison between them measures the pipeline and not two different configurations.
/// </summary>
public static class OnnxScoringSession
{
    /// <summary>Why the CPU-only ONNX Runtime cannot score on a CUDA device (the start of the message of a failed request).</summary>
    public const string CpuOnlyBuild = "the ONNX Runtime library in this process is the CPU-only build, which has no CUDA execution provider.";

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
        using SessionOptions options = CpuOptions(intraOpThreads);
        return new InferenceSession(onnxModel, options);
    }

    /// <summary>
    /// Opens a session on <paramref name="requested"/>'s device, with the CPU options of <see cref="Create(byte[], int)"/>
    /// plus, for a CUDA device, ONNX Runtime's CUDA execution provider on that device (nodes it lacks run on the CPU, as
    /// ONNX Runtime assigns them). Follows ML.NET's <c>ApplyOnnxModel(gpuDeviceId, fallbackToCpu)</c>: when the CUDA
    /// provider cannot be used, the session is opened on the CPU if <see cref="OnnxScoringDevice.FallbackToCpu"/> is set
    /// and the call fails otherwise; unlike ML.NET, which falls back quietly, the choice and the reason for a fallback
    /// go to <paramref name="log"/>.
    /// </summary>
    /// <param name="onnxModel">The serialized model.</param>
    /// <param name="requested">The device asked for.</param>
    /// <param name="used">The device the session runs on: <paramref name="requested"/>, or the CPU after a fallback.</param>
    /// <param name="log">Receives one line saying where the session scores (and why, after a fallback); may be null.</param>
    /// <param name="intraOpThreads">Threads per operator on the CPU; 0 for ONNX Runtime's default.</param>
    /// <exception cref="InvalidOperationException">A CUDA device was asked for without fallback and cannot be used; the message carries ONNX Runtime's.</exception>
    public static InferenceSession Create(byte[] onnxModel, OnnxScoringDevice requested, out OnnxScoringDevice used, Action<string>? log = null, int intraOpThreads = 0)
    {
        ArgumentNullException.ThrowIfNull(onnxModel);
        ArgumentOutOfRangeException.ThrowIfNegative(intraOpThreads);
        if (requested.GpuDeviceId is not int deviceId)
        {
            used = requested;
            log?.Invoke("ONNX Runtime scores on the CPU.");
            return Create(onnxModel, intraOpThreads);
        }
        ArgumentOutOfRangeException.ThrowIfNegative(deviceId, "gpuDeviceId");
        // The CPU-only library has no CUDA entry point: asking it anyway throws EntryPointNotFoundException.
        if (!HasCudaProvider) return Unusable(CpuOnlyBuild, null, out used);
        try
        {
            using SessionOptions options = CpuOptions(intraOpThreads);
            // Throws OnnxRuntimeException when the CUDA provider cannot load CUDA/cuDNN, or (at session creation) when
            // there is no such device.
            options.AppendExecutionProvider_CUDA(deviceId);
            var session = new InferenceSession(onnxModel, options);
            used = requested;
            log?.Invoke($"ONNX Runtime scores on CUDA device {deviceId} (CUDA execution provider).");
            return session;
        }
        catch (OnnxRuntimeException error)
        {
            return Unusable(OneLine(error.Message), error, out used);
        }

        InferenceSession Unusable(string reason, Exception? error, out OnnxScoringDevice used)
        {
            if (!requested.FallbackToCpu)
            {
                throw new InvalidOperationException(
                    $"ONNX scoring on CUDA device {deviceId} was asked for, but ONNX Runtime's CUDA execution provider cannot be used: {reason} " +
                    "It needs the GPU build of ONNX Runtime (build with -p:ContrastiveOnnxRuntime=gpu, see the README), CUDA and cuDNN " +
                    "libraries ONNX Runtime can load, and a CUDA device with that id; or allow scoring on the CPU instead (fallbackToCpu).", error);
            }
            used = OnnxScoringDevice.Cpu with { FallbackToCpu = true };
            log?.Invoke($"ONNX Runtime scores on the CPU: CUDA device {deviceId} was asked for but cannot be used ({reason.TrimEnd('.')}); falling back to the CPU as allowed.");
            return Create(onnxModel, intraOpThreads);
        }
    }

    /// <summary>
    /// Whether the ONNX Runtime library in this process has the CUDA execution provider: true for the GPU build
    /// (<c>-p:ContrastiveOnnxRuntime=gpu</c>) whether or not a GPU is present, false for the CPU-only build.
    /// </summary>
    public static bool HasCudaProvider => OrtEnv.Instance().GetAvailableProviders().Contains("CUDAExecutionProvider");

    private static SessionOptions CpuOptions(int intraOpThreads)
    {
        var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            InterOpNumThreads = 1,
            IntraOpNumThreads = intraOpThreads,
        };
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        return options;
    }

    private static string OneLine(string message) => string.Join(' ', message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
