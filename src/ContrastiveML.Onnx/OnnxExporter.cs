using static TorchSharp.torch;

namespace ContrastiveML.Onnx;

/// <summary>
/// Exports an image encoder to a self-contained ONNX model whose input is what an ML.NET pixel vector column
/// holds: <c>[N, C*H*W]</c> raw float pixels in CHW order, N symbolic ("batch"). The graph reshapes to
/// <c>[N, C, H, W]</c>, applies the input normalization, runs the encoder and outputs <c>[N, D]</c>.
/// </summary>
public static class OnnxExporter
{
    /// <summary>The dim_param of the dynamic batch dimension of the input and output.</summary>
    public const string BatchDimension = "batch";

    /// <summary>
    /// Exports <paramref name="encoder"/> (a TorchSharp <c>Module&lt;Tensor, Tensor&gt;</c> mapping normalized
    /// <c>[N, C, H, W]</c> to <c>[N, D]</c>) with <paramref name="normalization"/> baked in front of it and
    /// <paramref name="metadata"/> as the model's metadata_props. Returns the serialized ONNX model.
    /// </summary>
    /// <remarks>
    /// The module is switched to eval mode while it is exported, and every submodule's train/eval mode is
    /// restored afterwards, so exporting in the middle of training changes nothing for the caller. Weights,
    /// buffers and gradients are only read. To learn the output width D the encoder runs once on a zero batch
    /// of one image (in eval mode, without gradient), which needs C, H and W to be ones the encoder accepts.
    /// </remarks>
    public static byte[] Export(
        IOnnxExportable encoder,
        int channels,
        int height,
        int width,
        OnnxInputNormalization normalization,
        IReadOnlyDictionary<string, string> metadata,
        string inputName = "pixels",
        string outputName = "embedding")
    {
        ArgumentNullException.ThrowIfNull(encoder);
        // The sizes, normalization and metadata are checked by the general overload, before anything runs.
        if (string.Equals(inputName, outputName, StringComparison.Ordinal))
        {
            throw new ArgumentException($"The input and output need different names; both are '{inputName}'.", nameof(outputName));
        }
        if (encoder is not nn.Module<Tensor, Tensor> module)
        {
            throw new ArgumentException($"The encoder must be a TorchSharp Module<Tensor, Tensor>; {encoder.GetType().FullName} is not.", nameof(encoder));
        }

        return Export(module, channels, height, width, normalization, metadata, inputName, (graph, normalized) =>
        {
            // Runs in eval mode (see the general overload), as the probe must: a train-mode BatchNorm would update its statistics.
            var embeddingDim = ProbeOutputWidth(module, channels, height, width);
            return new[] { new OnnxOutput(outputName, encoder.ExportOnnx(graph, normalized), embeddingDim) };
        });
    }

    /// <summary>
    /// Exports a graph with one or more outputs: the raw-pixel input <c>[N, C*H*W]</c> named <paramref name="inputName"/>,
    /// reshaped and normalized as in the single-output overload, then whatever <paramref name="appendBody"/> appends
    /// reading the normalized <c>[N, C, H, W]</c> tensor; each <see cref="OnnxOutput"/> it returns becomes a graph output
    /// <c>[N, Width]</c> (symbolic N). <paramref name="module"/> is the module the body exports: it is in eval mode while
    /// the body runs and gets every submodule's mode back afterwards.
    /// </summary>
    public static byte[] Export(
        nn.Module module,
        int channels,
        int height,
        int width,
        OnnxInputNormalization normalization,
        IReadOnlyDictionary<string, string> metadata,
        string inputName,
        Func<OnnxGraphBuilder, string, IReadOnlyList<OnnxOutput>> appendBody)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(normalization);
        ArgumentNullException.ThrowIfNull(metadata);
        ArgumentNullException.ThrowIfNull(appendBody);
        if (channels <= 0) throw new ArgumentOutOfRangeException(nameof(channels), channels, "The channel count must be positive.");
        if (height <= 0) throw new ArgumentOutOfRangeException(nameof(height), height, "The height must be positive.");
        if (width <= 0) throw new ArgumentOutOfRangeException(nameof(width), width, "The width must be positive.");
        normalization.Validate(channels);

        var modes = SaveModes(module);
        try
        {
            module.eval();
            var graph = new OnnxGraphBuilder();
            var pixels = graph.AddInput(inputName, OnnxDimension.Symbolic(BatchDimension), (long)channels * height * width);
            var shape = graph.AddInt64Initializer("input_shape", new long[] { -1, channels, height, width }, 4);
            var image = graph.AddNamedNode("reshape_input", "Reshape", new[] { pixels, shape });
            var normalized = AppendNormalization(graph, image, channels, normalization);
            var outputs = appendBody(graph, normalized);
            if (outputs is null || outputs.Count == 0) throw new InvalidOperationException("The exported graph needs at least one output.");
            var names = new HashSet<string>(StringComparer.Ordinal) { inputName };
            foreach (var output in outputs)
            {
                if (!names.Add(output.Name))
                {
                    throw new ArgumentException($"The graph's input and outputs need distinct names; '{output.Name}' is used twice.", nameof(appendBody));
                }
                if (output.Width < 1) throw new ArgumentException($"Output '{output.Name}' has width {output.Width}; it must be at least 1.", nameof(appendBody));
                graph.AddOutput(output.Name, output.Tensor, OnnxDimension.Symbolic(BatchDimension), output.Width);
            }
            return graph.ToModelBytes(metadata);
        }
        finally
        {
            RestoreModes(modes);
        }
    }

    // y = (x * scale - mean) / std, written as the same three element-wise steps the formula states (and the
    // TorchSharp reference, OnnxInputNormalization.Apply, performs) so both sides round alike.
    private static string AppendNormalization(OnnxGraphBuilder graph, string image, int channels, OnnxInputNormalization normalization)
    {
        var current = image;
        if (normalization.Scale != 1f)
        {
            var scale = graph.AddInitializer("input_scale", new[] { normalization.Scale });
            current = graph.AddNamedNode("scale_input", "Mul", new[] { current, scale });
        }
        if (normalization.Mean.Any(m => m != 0f))
        {
            var mean = graph.AddInitializer("input_mean", normalization.Mean, 1, channels, 1, 1);
            current = graph.AddNamedNode("subtract_mean", "Sub", new[] { current, mean });
        }
        if (normalization.Std.Any(s => s != 1f))
        {
            var std = graph.AddInitializer("input_std", normalization.Std, 1, channels, 1, 1);
            current = graph.AddNamedNode("divide_std", "Div", new[] { current, std });
        }
        return current;
    }

    private static long ProbeOutputWidth(nn.Module<Tensor, Tensor> module, int channels, int height, int width)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var device = module.parameters().FirstOrDefault()?.device ?? CPU;
        var output = module.forward(zeros(new long[] { 1, channels, height, width }, device: device));
        if (output.dim() != 2 || output.shape[0] != 1)
        {
            throw new InvalidOperationException($"The encoder must map [N, C, H, W] to [N, D]; on [1, {channels}, {height}, {width}] it returned [{string.Join(", ", output.shape)}].");
        }
        return output.shape[1];
    }

    // nn.Module.train(bool) is recursive, so restore parents before children (named_modules lists every
    // module after its ancestors) to give each submodule back exactly the mode it had.
    private static List<(nn.Module Module, bool Training)> SaveModes(nn.Module root)
    {
        var modes = new List<(nn.Module, bool)> { (root, root.training) };
        modes.AddRange(root.modules().Select(m => (m, m.training)));
        return modes;
    }

    private static void RestoreModes(List<(nn.Module Module, bool Training)> modes)
    {
        foreach (var (module, training) in modes)
        {
            if (module.training != training) module.train(training);
        }
    }
}

/// <summary>One output of an exported graph: its public name, the graph tensor that feeds it and its width D (the output is <c>[N, D]</c>).</summary>
/// <param name="Name">The output's name in the model (ML.NET's ApplyOnnxModel maps it to the column of that name).</param>
/// <param name="Tensor">The name of the graph tensor holding the values, <c>[N, Width]</c>.</param>
/// <param name="Width">Values per row.</param>
public sealed record OnnxOutput(string Name, string Tensor, long Width);
