using Google.Protobuf;

namespace ContrastiveML.Onnx;

/// <summary>
/// Adds nodes, initializers, outputs and metadata to a serialized ONNX model without parsing it. Protobuf merges a
/// message field that occurs twice (its repeated fields are concatenated), so appending a second <c>graph</c> field
/// (ModelProto field 7) holding only the new nodes, initializers and outputs, and more <c>metadata_props</c> entries
/// (field 14), gives the model with everything it had plus the additions, as any conforming parser (ONNX Runtime's
/// included) reads it. This project's protobuf encoding is write-only, and the encoder exists after Fit only as ONNX
/// bytes, so this is how a head is put on an exported encoder.
/// </summary>
internal sealed class OnnxGraphExtension : ProtoMessage
{
    private readonly GraphProto _graph;
    private readonly IReadOnlyDictionary<string, string> _metadata;

    public OnnxGraphExtension(GraphProto additions, IReadOnlyDictionary<string, string> metadata)
    {
        if (additions.Input.Count != 0) throw new ArgumentException("An extension adds no graph inputs: the model keeps its own.", nameof(additions));
        _graph = additions;
        _metadata = metadata;
    }

    /// <summary>The model <paramref name="model"/> with the additions merged in.</summary>
    public byte[] AppendTo(byte[] model)
    {
        ArgumentNullException.ThrowIfNull(model);
        byte[] extension = ToByteArray();
        var merged = new byte[model.Length + extension.Length];
        model.CopyTo(merged, 0);
        extension.CopyTo(merged, model.Length);
        return merged;
    }

    public override void WriteTo(CodedOutputStream o)
    {
        // The graph's name (field 2) is left out so the model keeps its own; everything written here is repeated.
        WriteMessage(o, 7, new GraphAdditions(_graph));
        WriteMessages(o, 14, Entries());
    }

    public override int CalculateSize() => SizeMessage(7, new GraphAdditions(_graph)) + SizeMessages(14, Entries());

    private List<StringStringEntryProto> Entries() =>
        _metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => new StringStringEntryProto { Key = kv.Key, Value = kv.Value }).ToList();

    /// <summary>A GraphProto's nodes, initializers and outputs, without its name.</summary>
    private sealed class GraphAdditions : ProtoMessage
    {
        private readonly GraphProto _graph;

        public GraphAdditions(GraphProto graph) => _graph = graph;

        public override void WriteTo(CodedOutputStream o)
        {
            WriteMessages(o, 1, _graph.Node);
            WriteMessages(o, 5, _graph.Initializer);
            WriteMessages(o, 12, _graph.Output);
        }

        public override int CalculateSize() => SizeMessages(1, _graph.Node) + SizeMessages(5, _graph.Initializer) + SizeMessages(12, _graph.Output);
    }
}
