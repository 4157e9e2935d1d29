using System.Buffers.Binary;
using System.Reflection;
using System.Runtime.InteropServices;
using Google.Protobuf;
using static TorchSharp.torch;

namespace ContrastiveML.Onnx;

/// <summary>
/// One dimension of a declared graph input or output: a fixed size or a named symbolic size
/// (ONNX <c>dim_param</c>, e.g. "batch", which lets the model run on any batch size).
/// </summary>
public readonly record struct OnnxDimension
{
    private OnnxDimension(long? value, string? symbol)
    {
        Value = value;
        Symbol = symbol;
    }

    /// <summary>The fixed size, or null for a symbolic dimension.</summary>
    public long? Value { get; }

    /// <summary>The symbolic name, or null for a fixed dimension.</summary>
    public string? Symbol { get; }

    /// <summary>A dimension of known size.</summary>
    public static OnnxDimension Fixed(long value) =>
        value >= 0 ? new OnnxDimension(value, null) : throw new ArgumentOutOfRangeException(nameof(value), value, "A fixed dimension cannot be negative.");

    /// <summary>A dimension whose size is only known at run time, named <paramref name="name"/> (ONNX dim_param).</summary>
    public static OnnxDimension Symbolic(string name) =>
        string.IsNullOrWhiteSpace(name) ? throw new ArgumentException("A symbolic dimension needs a name.", nameof(name)) : new OnnxDimension(null, name);

    /// <summary>A fixed dimension from its size.</summary>
    public static implicit operator OnnxDimension(long value) => Fixed(value);

    /// <inheritdoc />
    public override string ToString() => Symbol ?? Value!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>A node attribute: an int, a list of ints, a float or a list of floats.</summary>
public sealed class OnnxAttribute
{
    private OnnxAttribute(string name, OnnxAttributeType type, long? i = null, float? f = null, long[]? ints = null, float[]? floats = null)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("An attribute needs a name.", nameof(name));
        Name = name;
        Type = type;
        IntValue = i;
        FloatValue = f;
        IntsValue = ints;
        FloatsValue = floats;
    }

    /// <summary>The attribute's name, as the operator's schema spells it (e.g. "strides").</summary>
    public string Name { get; }

    internal OnnxAttributeType Type { get; }
    internal long? IntValue { get; }
    internal float? FloatValue { get; }
    internal long[]? IntsValue { get; }
    internal float[]? FloatsValue { get; }

    /// <summary>An INT attribute.</summary>
    public static OnnxAttribute Int(string name, long value) => new(name, OnnxAttributeType.Int, i: value);

    /// <summary>An INTS attribute.</summary>
    public static OnnxAttribute Ints(string name, params long[] values) => new(name, OnnxAttributeType.Ints, ints: values.ToArray());

    /// <summary>A FLOAT attribute.</summary>
    public static OnnxAttribute Float(string name, float value) => new(name, OnnxAttributeType.Float, f: value);

    /// <summary>A FLOATS attribute.</summary>
    public static OnnxAttribute Floats(string name, params float[] values) => new(name, OnnxAttributeType.Floats, floats: values.ToArray());

    internal AttributeProto ToProto() => new()
    {
        Name = Name,
        Type = Type,
        I = IntValue,
        F = FloatValue,
        Ints = IntsValue ?? Array.Empty<long>(),
        Floats = FloatsValue ?? Array.Empty<float>(),
    };
}

/// <summary>
/// Builds one ONNX graph (IR version 8, default-domain opset 17) node by node: initializers, nodes with
/// attributes, declared inputs and outputs, and finally the serialized ModelProto. Every tensor and node
/// name it hands out is unique within the graph.
/// </summary>
public sealed class OnnxGraphBuilder
{
    /// <summary>The ONNX IR version written into the model.</summary>
    public const long IrVersion = 8;

    /// <summary>The default-domain operator set version the graph's nodes are written against.</summary>
    public const long OpsetVersion = 17;

    /// <summary>The producer name written into the model.</summary>
    public const string ProducerName = "ContrastiveML";

    private readonly GraphProto graph;
    private readonly HashSet<string> usedNames = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> nextSuffix = new(StringComparer.Ordinal);

    /// <summary>Starts an empty graph named <paramref name="graphName"/>.</summary>
    public OnnxGraphBuilder(string graphName = "contrastiveml")
    {
        if (string.IsNullOrWhiteSpace(graphName)) throw new ArgumentException("The graph needs a name.", nameof(graphName));
        graph = new GraphProto { Name = graphName };
    }

    /// <summary>Number of nodes added so far.</summary>
    public int NodeCount => graph.Node.Count;

    /// <summary>Number of initializers added so far.</summary>
    public int InitializerCount => graph.Initializer.Count;

    /// <summary>
    /// Returns a name not used yet in this graph, built from <paramref name="hint"/> (the hint itself when it
    /// is free, else the hint with a numeric suffix) and reserves it.
    /// </summary>
    public string UniqueName(string hint)
    {
        if (string.IsNullOrWhiteSpace(hint)) hint = "t";
        if (usedNames.Add(hint)) return hint;
        nextSuffix.TryGetValue(hint, out var suffix);
        string candidate;
        do
        {
            suffix++;
            candidate = $"{hint}_{suffix}";
        }
        while (!usedNames.Add(candidate));
        nextSuffix[hint] = suffix;
        return candidate;
    }

    /// <summary>Adds a float initializer (a constant tensor) of shape <paramref name="dims"/>; returns its unique name.</summary>
    public string AddInitializer(string nameHint, ReadOnlySpan<float> data, params long[] dims)
    {
        CheckElementCount(data.Length, dims);
        var bytes = new byte[data.Length * sizeof(float)];
        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.AsBytes(data).CopyTo(bytes);
        }
        else
        {
            for (var i = 0; i < data.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), data[i]);
        }
        return AddRawInitializer(nameHint, OnnxDataType.Float, dims, bytes);
    }

    /// <summary>Adds an int64 initializer of shape <paramref name="dims"/> (e.g. a Reshape target shape); returns its unique name.</summary>
    public string AddInt64Initializer(string nameHint, ReadOnlySpan<long> data, params long[] dims)
    {
        CheckElementCount(data.Length, dims);
        var bytes = new byte[data.Length * sizeof(long)];
        for (var i = 0; i < data.Length; i++) BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(i * 8), data[i]);
        return AddRawInitializer(nameHint, OnnxDataType.Int64, dims, bytes);
    }

    /// <summary>
    /// Adds a float initializer holding a copy of a TorchSharp tensor's values (any device, any float dtype;
    /// the tensor itself is not modified). Returns its unique name.
    /// </summary>
    public string AddInitializer(string nameHint, Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var (values, shape) = OnnxTensorData.ToFloatArray(tensor);
        return AddInitializer(nameHint, values, shape);
    }

    /// <summary>
    /// Adds a node of operator <paramref name="opType"/> (default domain) reading <paramref name="inputs"/>
    /// (an empty string marks an omitted optional input) and writing <paramref name="outputCount"/> fresh
    /// tensors, whose unique names it returns.
    /// </summary>
    public IReadOnlyList<string> AddNode(string opType, IReadOnlyList<string> inputs, int outputCount, IEnumerable<OnnxAttribute>? attributes = null, string? nameHint = null)
    {
        if (string.IsNullOrWhiteSpace(opType)) throw new ArgumentException("A node needs an operator type.", nameof(opType));
        ArgumentNullException.ThrowIfNull(inputs);
        if (outputCount < 1) throw new ArgumentOutOfRangeException(nameof(outputCount), outputCount, "A node writes at least one output.");
        var name = UniqueName(nameHint ?? opType);
        var node = new NodeProto { OpType = opType, Name = name };
        node.Input.AddRange(inputs);
        for (var i = 0; i < outputCount; i++) node.Output.Add(UniqueName(outputCount == 1 ? $"{name}_out" : $"{name}_out{i}"));
        if (attributes is not null)
        {
            foreach (var attribute in attributes) node.Attribute.Add(attribute.ToProto());
        }
        graph.Node.Add(node);
        return node.Output;
    }

    /// <summary>Adds a single-output node (see the general overload) and returns the name of its output.</summary>
    public string AddNode(string opType, IReadOnlyList<string> inputs, params OnnxAttribute[] attributes) =>
        AddNode(opType, inputs, 1, attributes)[0];

    /// <summary>
    /// Adds a single-output node with a readable name hint (e.g. the module path "layer1.0.conv1")
    /// and returns the name of its output.
    /// </summary>
    public string AddNamedNode(string nameHint, string opType, IReadOnlyList<string> inputs, params OnnxAttribute[] attributes) =>
        AddNode(opType, inputs, 1, attributes, nameHint)[0];

    /// <summary>
    /// Declares a float graph input named exactly <paramref name="name"/> with shape <paramref name="shape"/>
    /// (use <see cref="OnnxDimension.Symbolic"/> for a dynamic batch). Returns the name, which nodes then read.
    /// </summary>
    public string AddInput(string name, params OnnxDimension[] shape)
    {
        ReserveExact(name);
        graph.Input.Add(ValueInfo(name, shape));
        return name;
    }

    /// <summary>
    /// Declares a float graph output named exactly <paramref name="name"/> with shape <paramref name="shape"/>,
    /// fed by the tensor <paramref name="source"/> (through an Identity node, so the output gets its public name
    /// whatever produced it).
    /// </summary>
    public void AddOutput(string name, string source, params OnnxDimension[] shape) => AddOutput(name, source, OnnxDataType.Float, shape);

    /// <summary>As <see cref="AddOutput(string, string, OnnxDimension[])"/>, for an int64 tensor (e.g. ArgMax's indices).</summary>
    public void AddInt64Output(string name, string source, params OnnxDimension[] shape) => AddOutput(name, source, OnnxDataType.Int64, shape);

    private void AddOutput(string name, string source, OnnxDataType type, OnnxDimension[] shape)
    {
        ReserveExact(name);
        var node = new NodeProto { OpType = "Identity", Name = UniqueName($"{name}_identity") };
        node.Input.Add(source);
        node.Output.Add(name);
        graph.Node.Add(node);
        graph.Output.Add(ValueInfo(name, shape, type));
    }

    /// <summary>
    /// Reserves <paramref name="names"/> (those of a graph this one will be merged into, see
    /// <see cref="OnnxGraphExtension"/>), so that no node, initializer or output added here takes one of them.
    /// </summary>
    internal void ReserveNames(IEnumerable<string> names)
    {
        foreach (string name in names) usedNames.Add(name);
    }

    /// <summary>The graph built so far (nodes, initializers, inputs, outputs).</summary>
    internal GraphProto Graph => graph;

    /// <summary>
    /// Serializes the graph as an ONNX ModelProto (IR <see cref="IrVersion"/>, opset <see cref="OpsetVersion"/>,
    /// producer <see cref="ProducerName"/>) with <paramref name="metadata"/> as its metadata_props.
    /// </summary>
    public byte[] ToModelBytes(IReadOnlyDictionary<string, string>? metadata = null, string? docString = null)
    {
        if (graph.Input.Count == 0) throw new InvalidOperationException("The graph declares no input.");
        if (graph.Output.Count == 0) throw new InvalidOperationException("The graph declares no output.");
        var model = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = ProducerName,
            ProducerVersion = typeof(OnnxGraphBuilder).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
                              ?? typeof(OnnxGraphBuilder).Assembly.GetName().Version?.ToString(),
            DocString = docString,
            Graph = graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = OpsetVersion });
        if (metadata is not null)
        {
            foreach (var (key, value) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value ?? "" });
            }
        }
        return model.ToByteArray();
    }

    private string AddRawInitializer(string nameHint, OnnxDataType type, long[] dims, byte[] bytes)
    {
        var name = UniqueName(nameHint);
        graph.Initializer.Add(new TensorProto { Name = name, DataType = type, Dims = dims.ToArray(), RawData = UnsafeByteOperations.UnsafeWrap(bytes) });
        return name;
    }

    private void ReserveExact(string name)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("A graph input or output needs a name.", nameof(name));
        if (!usedNames.Add(name)) throw new ArgumentException($"The name '{name}' is already used in this graph.", nameof(name));
    }

    private static void CheckElementCount(int count, long[] dims)
    {
        ArgumentNullException.ThrowIfNull(dims);
        long expected = 1;
        foreach (var d in dims)
        {
            if (d < 0) throw new ArgumentOutOfRangeException(nameof(dims), d, "Initializer dimensions cannot be negative.");
            expected *= d;
        }
        if (expected != count)
        {
            throw new ArgumentException($"The shape [{string.Join(", ", dims)}] holds {expected} values but {count} were given.", nameof(dims));
        }
    }

    private static ValueInfoProto ValueInfo(string name, OnnxDimension[] shape, OnnxDataType type = OnnxDataType.Float)
    {
        var tensorShape = new TensorShapeProto();
        foreach (var dim in shape) tensorShape.Dim.Add(new DimensionProto { DimValue = dim.Value, DimParam = dim.Symbol });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TensorTypeProto { ElemType = type, Shape = tensorShape } },
        };
    }
}

/// <summary>Copies TorchSharp tensor values out without touching the tensor.</summary>
internal static class OnnxTensorData
{
    public static (float[] Values, long[] Shape) ToFloatArray(Tensor tensor)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var cpu = tensor.detach().cpu().to_type(ScalarType.Float32).contiguous();
        return (cpu.data<float>().ToArray(), cpu.shape);
    }
}
