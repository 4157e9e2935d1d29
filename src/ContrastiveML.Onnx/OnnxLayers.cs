using TorchSharp;
using static TorchSharp.torch;
using AdaptiveAvgPool2dModule = TorchSharp.Modules.AdaptiveAvgPool2d;
using AvgPool2dModule = TorchSharp.Modules.AvgPool2d;
using BatchNorm2dModule = TorchSharp.Modules.BatchNorm2d;
using Conv2dModule = TorchSharp.Modules.Conv2d;
using DropoutModule = TorchSharp.Modules.Dropout;
using FlattenModule = TorchSharp.Modules.Flatten;
using IdentityModule = TorchSharp.Modules.Identity;
using LinearModule = TorchSharp.Modules.Linear;
using MaxPool2dModule = TorchSharp.Modules.MaxPool2d;
using ReLUModule = TorchSharp.Modules.ReLU;
using SequentialModule = TorchSharp.Modules.Sequential;

namespace ContrastiveML.Onnx;

/// <summary>
/// ONNX exporters for the standard TorchSharp layers our encoders are built from. Every helper appends the
/// layer's eval-mode computation reading tensor <c>input</c> and returns the name of its output tensor; none
/// modifies the module. <c>name</c> is an optional readable prefix for node and initializer names (the
/// module's path, e.g. "layer2.0.conv1").
/// </summary>
/// <remarks>
/// BatchNorm2d is exported as an ONNX BatchNormalization node over the running statistics (inference form),
/// not folded into the preceding convolution: the graph then mirrors the module one node per layer, the
/// exporter does no weight arithmetic of its own, and ONNX Runtime folds Conv+BatchNormalization itself when
/// it loads the model (its default graph optimizations include that fusion).
/// </remarks>
public static class OnnxLayers
{
    /// <summary>
    /// Exports any supported module: an <see cref="IOnnxExportable"/> (its own <c>ExportOnnx</c>), a Sequential
    /// (walked in order), Conv2d, BatchNorm2d, ReLU, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d(1), Flatten, Linear, Identity or
    /// Dropout. Throws <see cref="NotSupportedException"/> naming the module type for anything else.
    /// </summary>
    public static string Export(OnnxGraphBuilder graph, nn.Module module, string input, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(module);
        return module switch
        {
            IOnnxExportable exportable => exportable.ExportOnnx(graph, input),
            SequentialModule sequential => Sequential(graph, sequential, input, name),
            Conv2dModule conv => Conv2d(graph, conv, input, name),
            BatchNorm2dModule norm => BatchNorm2d(graph, norm, input, name),
            ReLUModule => Relu(graph, input, name),
            MaxPool2dModule pool => MaxPool2d(graph, pool, input, name),
            AdaptiveAvgPool2dModule pool => AdaptiveAvgPool2d(graph, pool, input, name),
            AvgPool2dModule pool => AvgPool2d(graph, pool, input, name),
            FlattenModule flatten => Flatten(graph, flatten, input, name),
            LinearModule linear => Linear(graph, linear, input, name),
            // Identity and (eval-mode) Dropout compute nothing.
            IdentityModule or DropoutModule => input,
            _ => throw new NotSupportedException(
                $"ONNX export does not support the module type {module.GetType().FullName} ('{name ?? module.GetName()}'). " +
                $"Implement {nameof(IOnnxExportable)} on it or build it from the supported layers."),
        };
    }

    /// <summary>Exports the children of a Sequential in order (each through <see cref="Export"/>).</summary>
    public static string Sequential(OnnxGraphBuilder graph, SequentialModule sequential, string input, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(sequential);
        var current = input;
        foreach (var (childName, child) in sequential.named_children())
        {
            current = Export(graph, child, current, Join(name, childName));
        }
        return current;
    }

    /// <summary>
    /// Conv2d as an ONNX Conv (weights, optional bias, strides, symmetric pads, dilations, groups). Only zero
    /// padding is supported; 'same' and 'valid' padding types are translated to explicit pads.
    /// </summary>
    public static string Conv2d(OnnxGraphBuilder graph, Conv2dModule conv, string input, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(conv);
        name ??= "conv";
        if (conv.padding_mode != PaddingModes.Zeros)
        {
            throw new NotSupportedException($"ONNX export of Conv2d '{name}' supports zero padding only, not {conv.padding_mode}.");
        }
        var kernel = conv.kernel_size;
        var dilation = conv.dilation;
        long[] pads;
        if (conv.padding is { } padding)
        {
            pads = new[] { padding[0], padding[1], padding[0], padding[1] };
        }
        else if (conv.padding_type == Padding.Same)
        {
            // Same split as TorchSharp's Conv2d: the smaller half before, the larger after.
            var totalH = dilation[0] * (kernel[0] - 1);
            var totalW = dilation[1] * (kernel[1] - 1);
            pads = new[] { totalH / 2, totalW / 2, totalH - totalH / 2, totalW - totalW / 2 };
        }
        else
        {
            pads = new long[4];
        }

        var inputs = new List<string> { input, graph.AddInitializer($"{name}.weight", conv.weight) };
        if (conv.bias is { } bias) inputs.Add(graph.AddInitializer($"{name}.bias", bias));
        return graph.AddNamedNode(name, "Conv", inputs,
            OnnxAttribute.Ints("kernel_shape", kernel[0], kernel[1]),
            OnnxAttribute.Ints("strides", conv.stride[0], conv.stride[1]),
            OnnxAttribute.Ints("pads", pads),
            OnnxAttribute.Ints("dilations", dilation[0], dilation[1]),
            OnnxAttribute.Int("group", conv.groups));
    }

    /// <summary>
    /// BatchNorm2d in inference form, as ONNX BatchNormalization over the running mean and variance (whatever
    /// the module's train/eval mode: this is what eval mode computes). A module without affine parameters gets
    /// scale 1 and bias 0; a module that tracks no running statistics cannot be exported.
    /// </summary>
    public static string BatchNorm2d(OnnxGraphBuilder graph, BatchNorm2dModule norm, string input, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(norm);
        name ??= "bn";
        if (norm.running_mean is not { } mean || norm.running_var is not { } variance)
        {
            throw new NotSupportedException($"BatchNorm2d '{name}' tracks no running statistics; in eval mode it would use batch statistics, which ONNX export does not reproduce.");
        }
        var features = norm.num_features;
        // weight is declared non-nullable by TorchSharp but is null when affine = false.
        Tensor? weight = norm.affine ? norm.weight : null;
        var scaleName = weight is not null
            ? graph.AddInitializer($"{name}.weight", weight)
            : graph.AddInitializer($"{name}.weight", Enumerable.Repeat(1f, (int)features).ToArray(), features);
        var biasName = norm.bias is { } bias
            ? graph.AddInitializer($"{name}.bias", bias)
            : graph.AddInitializer($"{name}.bias", new float[features], features);
        return graph.AddNamedNode(name, "BatchNormalization",
            new[] { input, scaleName, biasName, graph.AddInitializer($"{name}.running_mean", mean), graph.AddInitializer($"{name}.running_var", variance) },
            OnnxAttribute.Float("epsilon", (float)norm.eps));
    }

    /// <summary>ReLU as ONNX Relu.</summary>
    public static string Relu(OnnxGraphBuilder graph, string input, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        return graph.AddNamedNode(name ?? "relu", "Relu", new[] { input });
    }

    /// <summary>Element-wise sum of two tensors (e.g. a residual connection) as ONNX Add.</summary>
    public static string Add(OnnxGraphBuilder graph, string a, string b, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        return graph.AddNamedNode(name ?? "add", "Add", new[] { a, b });
    }

    /// <summary>MaxPool2d as ONNX MaxPool (kernel, strides, pads, dilations, ceil_mode).</summary>
    public static string MaxPool2d(OnnxGraphBuilder graph, MaxPool2dModule pool, string input, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(pool);
        var kernel = pool.kernel_size;
        if (kernel.Length != 2) throw new NotSupportedException($"MaxPool2d '{name}' needs a two-dimensional kernel size.");
        // Mirror TorchSharp's defaults: stride = kernel size, padding 0, dilation 1.
        var stride = pool.stride ?? kernel;
        var padding = pool.padding ?? new long[2];
        var dilation = pool.dilation ?? new long[] { 1, 1 };
        return graph.AddNamedNode(name ?? "maxpool", "MaxPool", new[] { input },
            OnnxAttribute.Ints("kernel_shape", kernel[0], kernel[1]),
            OnnxAttribute.Ints("strides", stride[0], stride[1]),
            OnnxAttribute.Ints("pads", padding[0], padding[1], padding[0], padding[1]),
            OnnxAttribute.Ints("dilations", dilation[0], dilation[1]),
            OnnxAttribute.Int("ceil_mode", pool.ceil_mode ? 1 : 0));
    }

    /// <summary>
    /// AvgPool2d as ONNX AveragePool. Only the forms whose semantics match exactly: no padding (so
    /// count_include_pad cannot matter), floor mode, no divisor override.
    /// </summary>
    public static string AvgPool2d(OnnxGraphBuilder graph, AvgPool2dModule pool, string input, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(pool);
        var kernel = pool.kernel_size;
        if (kernel is not { Length: 2 }) throw new NotSupportedException($"AvgPool2d '{name}' needs a two-dimensional kernel size.");
        var stride = pool.stride ?? kernel;
        var padding = pool.padding ?? new long[2];
        if (padding.Any(p => p != 0) || pool.ceil_mode || pool.divisor_override is not null)
        {
            throw new NotSupportedException($"ONNX export supports AvgPool2d without padding, ceil mode or divisor override only ('{name}').");
        }
        return graph.AddNamedNode(name ?? "avgpool", "AveragePool", new[] { input },
            OnnxAttribute.Ints("kernel_shape", kernel[0], kernel[1]),
            OnnxAttribute.Ints("strides", stride[0], stride[1]));
    }

    /// <summary>AdaptiveAvgPool2d with output size 1x1 as ONNX GlobalAveragePool ([N,C,H,W] to [N,C,1,1]); other output sizes are not supported.</summary>
    public static string AdaptiveAvgPool2d(OnnxGraphBuilder graph, AdaptiveAvgPool2dModule pool, string input, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(pool);
        if (pool.output_size is not { Length: 2 } size || size[0] != 1 || size[1] != 1)
        {
            throw new NotSupportedException($"ONNX export supports AdaptiveAvgPool2d with output size 1 only (global average pooling), not [{string.Join(", ", pool.output_size ?? Array.Empty<long>())}] in '{name}'.");
        }
        return GlobalAveragePool(graph, input, name);
    }

    /// <summary>
    /// Adaptive average pooling of a <c>[N, C, <paramref name="inputHeight"/>, <paramref name="inputWidth"/>]</c> tensor to
    /// <c>[N, C, <paramref name="outputHeight"/>, <paramref name="outputWidth"/>]</c>, with PyTorch's cells: output row i
    /// averages input rows floor(i*H/h) to ceil((i+1)*H/h) - 1, and likewise for columns. ONNX has no adaptive pooling
    /// operator and the graph does not track shapes, so the caller gives the input size and the pooling is written as two
    /// MatMuls with constant averaging matrices, <c>P_h · X · P_wᵀ</c> (the pooling is separable); an input that already
    /// has the output size passes through unchanged.
    /// </summary>
    public static string AdaptiveAvgPool2d(OnnxGraphBuilder graph, string input, long inputHeight, long inputWidth,
                                           long outputHeight, long outputWidth, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        if (inputHeight < 1 || inputWidth < 1 || outputHeight < 1 || outputWidth < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(outputHeight), $"Adaptive pooling needs positive sizes; got {inputHeight}x{inputWidth} to {outputHeight}x{outputWidth}.");
        }
        name ??= "adaptive_avgpool";
        var current = input;
        if (inputWidth != outputWidth)
        {
            // [N, C, H, W] x [W, w] -> [N, C, H, w]
            var columns = graph.AddInitializer($"{name}.column_weights", Transpose(AdaptivePoolingMatrix(inputWidth, outputWidth), outputWidth, inputWidth), inputWidth, outputWidth);
            current = graph.AddNamedNode($"{name}.columns", "MatMul", new[] { current, columns });
        }
        if (inputHeight != outputHeight)
        {
            // [h, H] x [N, C, H, w] -> [N, C, h, w] (MatMul broadcasts the constant over N and C)
            var rows = graph.AddInitializer($"{name}.row_weights", AdaptivePoolingMatrix(inputHeight, outputHeight), outputHeight, inputHeight);
            current = graph.AddNamedNode($"{name}.rows", "MatMul", new[] { rows, current });
        }
        return current;
    }

    /// <summary>The <c>[output, input]</c> row-major matrix whose row i averages input cells floor(i*in/out) .. ceil((i+1)*in/out) - 1.</summary>
    internal static float[] AdaptivePoolingMatrix(long input, long output)
    {
        var matrix = new float[output * input];
        for (long i = 0; i < output; i++)
        {
            long start = i * input / output;
            long end = ((i + 1) * input + output - 1) / output;
            for (long j = start; j < end; j++) matrix[i * input + j] = 1f / (end - start);
        }
        return matrix;
    }

    private static float[] Transpose(float[] matrix, long rows, long columns)
    {
        var result = new float[matrix.Length];
        for (long r = 0; r < rows; r++)
        {
            for (long c = 0; c < columns; c++) result[c * rows + r] = matrix[r * columns + c];
        }
        return result;
    }

    /// <summary>ONNX GlobalAveragePool: [N,C,H,W] to [N,C,1,1].</summary>
    public static string GlobalAveragePool(OnnxGraphBuilder graph, string input, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        return graph.AddNamedNode(name ?? "avgpool", "GlobalAveragePool", new[] { input });
    }

    /// <summary>Flatten(start_dim: 1, end_dim: -1), the only form that matches ONNX Flatten(axis: 1), to [N, rest].</summary>
    public static string Flatten(OnnxGraphBuilder graph, FlattenModule flatten, string input, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(flatten);
        if (flatten.start_dim != 1 || flatten.end_dim != -1)
        {
            throw new NotSupportedException($"ONNX export supports Flatten(start_dim: 1, end_dim: -1) only, not ({flatten.start_dim}, {flatten.end_dim}) in '{name}'.");
        }
        return Flatten(graph, input, name);
    }

    /// <summary>ONNX Flatten with axis 1: [N, d1, d2, ...] to [N, d1*d2*...].</summary>
    public static string Flatten(OnnxGraphBuilder graph, string input, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        return graph.AddNamedNode(name ?? "flatten", "Flatten", new[] { input }, OnnxAttribute.Int("axis", 1));
    }

    /// <summary>Linear on a [N, in] tensor as ONNX Gemm (y = x W^T + b, transB = 1).</summary>
    public static string Linear(OnnxGraphBuilder graph, LinearModule linear, string input, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(linear);
        name ??= "linear";
        var inputs = new List<string> { input, graph.AddInitializer($"{name}.weight", linear.weight) };
        if (linear.bias is { } bias) inputs.Add(graph.AddInitializer($"{name}.bias", bias));
        return graph.AddNamedNode(name, "Gemm", inputs, OnnxAttribute.Int("transB", 1));
    }

    private static string Join(string? prefix, string name) => string.IsNullOrEmpty(prefix) ? name : $"{prefix}.{name}";
}
