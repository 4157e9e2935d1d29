namespace ContrastiveML.Onnx;

/// <summary>
/// ONNX exporters for tensor arithmetic that is not a layer: slicing along an axis, concatenation, clipping,
/// element-wise binary operators with a constant, power and a thresholded select. Each helper appends the nodes
/// (and constant initializers) and returns the name of its output tensor. Modules that compute with these
/// operations in TorchSharp (e.g. a colour-space conversion in front of an encoder) use the matching helper for
/// every step, so ONNX Runtime and TorchSharp perform the same float operations in the same order.
/// </summary>
public static class OnnxTensorOps
{
    /// <summary>ONNX Slice of <paramref name="input"/> along <paramref name="axis"/>, elements [start, end) (TorchSharp's <c>narrow(axis, start, end - start)</c>).</summary>
    public static string Slice(OnnxGraphBuilder graph, string input, long axis, long start, long end, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        if (start < 0 || end <= start) throw new ArgumentOutOfRangeException(nameof(end), end, $"A slice needs 0 <= start < end; got [{start}, {end}).");
        name ??= "slice";
        var starts = graph.AddInt64Initializer($"{name}.starts", new[] { start }, 1);
        var ends = graph.AddInt64Initializer($"{name}.ends", new[] { end }, 1);
        var axes = graph.AddInt64Initializer($"{name}.axes", new[] { axis }, 1);
        return graph.AddNamedNode(name, "Slice", new[] { input, starts, ends, axes });
    }

    /// <summary>ONNX Concat of <paramref name="inputs"/> along <paramref name="axis"/> (TorchSharp's <c>cat</c>).</summary>
    public static string Concat(OnnxGraphBuilder graph, IReadOnlyList<string> inputs, long axis, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Count == 0) throw new ArgumentException("Concat needs at least one input.", nameof(inputs));
        return graph.AddNamedNode(name ?? "concat", "Concat", inputs, OnnxAttribute.Int("axis", axis));
    }

    /// <summary>ONNX Clip to [<paramref name="min"/>, <paramref name="max"/>]; a null bound is left open (TorchSharp's <c>clamp</c>).</summary>
    public static string Clip(OnnxGraphBuilder graph, string input, float? min, float? max, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        name ??= "clip";
        // Opset 11+ takes the bounds as optional scalar inputs; an empty name omits one.
        var minName = min is float lo ? graph.AddInitializer($"{name}.min", new[] { lo }) : "";
        var maxName = max is float hi ? graph.AddInitializer($"{name}.max", new[] { hi }) : "";
        return graph.AddNamedNode(name, "Clip", new[] { input, minName, maxName });
    }

    /// <summary>
    /// An element-wise binary operator (<c>Add</c>, <c>Sub</c>, <c>Mul</c>, <c>Div</c>, <c>Pow</c>) of a tensor and a
    /// float constant: <c>input op value</c>, the constant broadcast as a scalar.
    /// </summary>
    public static string WithScalar(OnnxGraphBuilder graph, string opType, string input, float value, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        if (opType is not ("Add" or "Sub" or "Mul" or "Div" or "Pow"))
        {
            throw new ArgumentException($"Expected Add, Sub, Mul, Div or Pow; got '{opType}'.", nameof(opType));
        }
        name ??= opType.ToLowerInvariant();
        var constant = graph.AddInitializer($"{name}.value", new[] { value });
        return graph.AddNamedNode(name, opType, new[] { input, constant });
    }

    /// <summary>An element-wise binary operator (<c>Add</c>, <c>Sub</c>, <c>Mul</c>, <c>Div</c>) of two tensors, with ONNX (numpy) broadcasting.</summary>
    public static string Binary(OnnxGraphBuilder graph, string opType, string a, string b, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        if (opType is not ("Add" or "Sub" or "Mul" or "Div"))
        {
            throw new ArgumentException($"Expected Add, Sub, Mul or Div; got '{opType}'.", nameof(opType));
        }
        return graph.AddNamedNode(name ?? opType.ToLowerInvariant(), opType, new[] { a, b });
    }

    /// <summary>
    /// <c>Where(condition &gt; threshold, whenGreater, otherwise)</c>: element-wise select between two tensors of the
    /// same shape by comparing <paramref name="condition"/> with a constant (TorchSharp's <c>where(x.gt(t), a, b)</c>).
    /// </summary>
    public static string WhereGreater(OnnxGraphBuilder graph, string condition, float threshold, string whenGreater, string otherwise, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        name ??= "where";
        var constant = graph.AddInitializer($"{name}.threshold", new[] { threshold });
        var mask = graph.AddNamedNode($"{name}.greater", "Greater", new[] { condition, constant });
        return graph.AddNamedNode(name, "Where", new[] { mask, whenGreater, otherwise });
    }
}
