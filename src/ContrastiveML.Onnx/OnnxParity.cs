using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using static TorchSharp.torch;

namespace ContrastiveML.Onnx;

/// <summary>
/// Checks that an exported model computes what the TorchSharp module computes: ONNX Runtime runs the model on a
/// probe batch of raw pixels, the caller's TorchSharp reference runs on the same pixels, and the largest absolute
/// difference decides.
/// </summary>
/// <remarks>
/// The reference takes the raw pixel batch <c>[N, C*H*W]</c>, exactly what the ONNX model receives, and returns
/// <c>[N, D]</c>. A typical reference normalizes with TorchSharp and calls the encoder in eval mode:
/// <c>raw =&gt; encoder.forward(normalization.Apply(raw, c, h, w))</c>. The reference runs without gradient
/// inside a dispose scope; putting the module in eval mode is the caller's part. The raw batch is a CPU tensor;
/// a reference for a module on another device moves it there (<c>raw.to(device)</c>). ONNX Runtime runs on the
/// CPU with one thread, which keeps the check deterministic.
/// </remarks>
public static class OnnxParity
{
    /// <summary>
    /// Runs <paramref name="onnxModel"/> (one float input <c>[N, K]</c>, an output <c>[N, D]</c>) on
    /// <paramref name="rawPixels"/> holding <paramref name="batchSize"/> rows; returns the values (row-major) and shape of
    /// the output named <paramref name="outputName"/>, or of the first output when it is null.
    /// </summary>
    public static (float[] Values, long[] Shape) Run(byte[] onnxModel, float[] rawPixels, int batchSize, string? outputName = null)
    {
        ArgumentNullException.ThrowIfNull(onnxModel);
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        using var session = new InferenceSession(onnxModel, options);
        return Run(session, rawPixels, batchSize, outputName);
    }

    /// <summary>Runs an open session (one float input <c>[N, K]</c>) on <paramref name="batchSize"/> rows of <paramref name="rawPixels"/>;
    /// returns the output named <paramref name="outputName"/> (the first output when null).</summary>
    public static (float[] Values, long[] Shape) Run(InferenceSession session, float[] rawPixels, int batchSize, string? outputName = null)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(rawPixels);
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "The probe batch needs at least one row.");
        if (session.InputMetadata.Count != 1) throw new ArgumentException($"The model must have exactly one input; it has {session.InputMetadata.Count}.", nameof(session));
        var (inputName, inputInfo) = session.InputMetadata.First();
        if (rawPixels.Length % batchSize != 0)
        {
            throw new ArgumentException($"{rawPixels.Length} pixel values do not split into {batchSize} equal rows.", nameof(rawPixels));
        }
        long rowSize = rawPixels.Length / batchSize;
        if (inputInfo.Dimensions.Length == 2 && inputInfo.Dimensions[1] > 0 && inputInfo.Dimensions[1] != rowSize)
        {
            throw new ArgumentException($"The model's input '{inputName}' takes rows of {inputInfo.Dimensions[1]} values; the probe rows have {rowSize}.", nameof(rawPixels));
        }
        if (outputName is not null && !session.OutputNames.Contains(outputName))
        {
            throw new ArgumentException($"The model has no output '{outputName}'; its outputs are {string.Join(", ", session.OutputNames.Select(n => $"'{n}'"))}.", nameof(outputName));
        }
        outputName ??= session.OutputNames[0];
        using var input = OrtValue.CreateTensorValueFromMemory(rawPixels, new long[] { batchSize, rowSize });
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, new Dictionary<string, OrtValue> { [inputName] = input }, new[] { outputName });
        var output = outputs.First();
        return (output.GetTensorDataAsSpan<float>().ToArray(), output.GetTensorTypeAndShape().Shape);
    }

    /// <summary>
    /// The largest absolute difference between ONNX Runtime's output for <paramref name="onnxModel"/> (the one named
    /// <paramref name="outputName"/>, or the first when null) and <paramref name="reference"/>'s output, both on
    /// <paramref name="batchSize"/> rows of <paramref name="rawPixels"/>. Shapes must agree; a NaN on either side counts
    /// as an infinite difference.
    /// </summary>
    public static double MaxAbsDifference(byte[] onnxModel, float[] rawPixels, int batchSize, Func<Tensor, Tensor> reference, string? outputName = null)
    {
        ArgumentNullException.ThrowIfNull(reference);
        var (onnxValues, onnxShape) = Run(onnxModel, rawPixels, batchSize, outputName);
        var (torchValues, torchShape) = RunReference(reference, rawPixels, batchSize);
        if (!onnxShape.SequenceEqual(torchShape))
        {
            throw new InvalidOperationException(
                $"ONNX Runtime returned shape [{string.Join(", ", onnxShape)}] but the TorchSharp reference returned [{string.Join(", ", torchShape)}].");
        }
        double max = 0;
        for (var i = 0; i < onnxValues.Length; i++)
        {
            var diff = Math.Abs((double)onnxValues[i] - torchValues[i]);
            if (double.IsNaN(diff)) return double.PositiveInfinity;
            if (diff > max) max = diff;
        }
        return max;
    }

    /// <summary>
    /// Throws an <see cref="InvalidOperationException"/> stating the measured difference and the tolerance when
    /// ONNX Runtime and the TorchSharp reference disagree by more than <paramref name="tolerance"/> (max abs
    /// difference) on the probe batch; returns the measured difference otherwise. <paramref name="outputName"/> picks
    /// the model output to compare (the first when null).
    /// </summary>
    public static double Verify(byte[] onnxModel, float[] rawPixels, int batchSize, Func<Tensor, Tensor> reference, double tolerance = 1e-4,
                                string? outputName = null)
    {
        if (!(tolerance >= 0)) throw new ArgumentOutOfRangeException(nameof(tolerance), tolerance, "The tolerance must be non-negative.");
        var difference = MaxAbsDifference(onnxModel, rawPixels, batchSize, reference, outputName);
        if (!(difference <= tolerance))
        {
            string which = outputName is null ? "" : $" (output '{outputName}')";
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"The exported ONNX model disagrees with the TorchSharp module{which}: max abs difference {difference:G6} on a probe batch of {batchSize} exceeds the tolerance {tolerance:G6}."));
        }
        return difference;
    }

    private static (float[] Values, long[] Shape) RunReference(Func<Tensor, Tensor> reference, float[] rawPixels, int batchSize)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var input = tensor(rawPixels, new long[] { batchSize, rawPixels.Length / batchSize });
        var output = reference(input).detach().cpu().to_type(ScalarType.Float32).contiguous();
        return (output.data<float>().ToArray(), output.shape);
    }
}
