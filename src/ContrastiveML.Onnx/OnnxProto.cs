using Google.Protobuf;

namespace ContrastiveML.Onnx;

// A minimal, write-only encoding of the ONNX protobuf messages this project emits. Field numbers and
// enum values are those of onnx/onnx.proto (proto2). We write the wire format directly with
// Google.Protobuf's CodedOutputStream instead of generating classes: the exporter only ever writes, the
// subset is small, and ML.NET's own generated ONNX classes are internal.
//
// onnx.proto is proto2, so repeated scalar fields without [packed = true] (dims, ints, floats) are written
// unpacked, exactly as the reference implementation writes them; tensor payloads go into raw_data.

/// <summary>A message that can size and write itself in protobuf wire format.</summary>
internal abstract class ProtoMessage
{
    public abstract void WriteTo(CodedOutputStream output);

    public abstract int CalculateSize();

    public byte[] ToByteArray()
    {
        var buffer = new byte[CalculateSize()];
        var output = new CodedOutputStream(buffer);
        WriteTo(output);
        output.CheckNoSpaceLeft();
        return buffer;
    }

    // ---- field helpers: each writes one field (tag + payload) and has a matching size function ----

    protected static void WriteString(CodedOutputStream o, int field, string? value)
    {
        if (value is null) return;
        o.WriteTag(field, WireFormat.WireType.LengthDelimited);
        o.WriteString(value);
    }

    protected static int SizeString(int field, string? value) =>
        value is null ? 0 : CodedOutputStream.ComputeTagSize(field) + CodedOutputStream.ComputeStringSize(value);

    protected static void WriteInt64(CodedOutputStream o, int field, long? value)
    {
        if (value is null) return;
        o.WriteTag(field, WireFormat.WireType.Varint);
        o.WriteInt64(value.Value);
    }

    protected static int SizeInt64(int field, long? value) =>
        value is null ? 0 : CodedOutputStream.ComputeTagSize(field) + CodedOutputStream.ComputeInt64Size(value.Value);

    protected static void WriteInt32(CodedOutputStream o, int field, int? value)
    {
        if (value is null) return;
        o.WriteTag(field, WireFormat.WireType.Varint);
        o.WriteInt32(value.Value);
    }

    protected static int SizeInt32(int field, int? value) =>
        value is null ? 0 : CodedOutputStream.ComputeTagSize(field) + CodedOutputStream.ComputeInt32Size(value.Value);

    protected static void WriteFloat(CodedOutputStream o, int field, float? value)
    {
        if (value is null) return;
        o.WriteTag(field, WireFormat.WireType.Fixed32);
        o.WriteFloat(value.Value);
    }

    protected static int SizeFloat(int field, float? value) =>
        value is null ? 0 : CodedOutputStream.ComputeTagSize(field) + 4;

    protected static void WriteBytes(CodedOutputStream o, int field, ByteString? value)
    {
        if (value is null) return;
        o.WriteTag(field, WireFormat.WireType.LengthDelimited);
        o.WriteBytes(value);
    }

    protected static int SizeBytes(int field, ByteString? value) =>
        value is null ? 0 : CodedOutputStream.ComputeTagSize(field) + CodedOutputStream.ComputeBytesSize(value);

    protected static void WriteMessage(CodedOutputStream o, int field, ProtoMessage? value)
    {
        if (value is null) return;
        o.WriteTag(field, WireFormat.WireType.LengthDelimited);
        o.WriteLength(value.CalculateSize());
        value.WriteTo(o);
    }

    protected static int SizeMessage(int field, ProtoMessage? value)
    {
        if (value is null) return 0;
        var size = value.CalculateSize();
        return CodedOutputStream.ComputeTagSize(field) + CodedOutputStream.ComputeLengthSize(size) + size;
    }

    protected static void WriteMessages(CodedOutputStream o, int field, IEnumerable<ProtoMessage> values)
    {
        foreach (var value in values) WriteMessage(o, field, value);
    }

    protected static int SizeMessages(int field, IEnumerable<ProtoMessage> values) => values.Sum(v => SizeMessage(field, v));

    protected static void WriteStrings(CodedOutputStream o, int field, IEnumerable<string> values)
    {
        foreach (var value in values) WriteString(o, field, value);
    }

    protected static int SizeStrings(int field, IEnumerable<string> values) => values.Sum(v => SizeString(field, v));

    protected static void WriteInt64s(CodedOutputStream o, int field, IEnumerable<long> values)
    {
        foreach (var value in values) WriteInt64(o, field, value);
    }

    protected static int SizeInt64s(int field, IEnumerable<long> values) => values.Sum(v => SizeInt64(field, v));

    protected static void WriteFloats(CodedOutputStream o, int field, IEnumerable<float> values)
    {
        foreach (var value in values) WriteFloat(o, field, value);
    }

    protected static int SizeFloats(int field, IEnumerable<float> values) => values.Sum(v => SizeFloat(field, v));
}

/// <summary>TensorProto.DataType values used here.</summary>
internal enum OnnxDataType
{
    Float = 1,
    Int64 = 7,
}

/// <summary>AttributeProto.AttributeType values used here.</summary>
internal enum OnnxAttributeType
{
    Float = 1,
    Int = 2,
    Floats = 6,
    Ints = 7,
}

/// <summary>onnx.ModelProto.</summary>
internal sealed class ModelProto : ProtoMessage
{
    public long IrVersion { get; init; }
    public List<OperatorSetIdProto> OpsetImport { get; } = new();
    public string? ProducerName { get; init; }
    public string? ProducerVersion { get; init; }
    public string? DocString { get; init; }
    public GraphProto? Graph { get; init; }
    public List<StringStringEntryProto> MetadataProps { get; } = new();

    public override void WriteTo(CodedOutputStream o)
    {
        WriteInt64(o, 1, IrVersion);
        WriteString(o, 2, ProducerName);
        WriteString(o, 3, ProducerVersion);
        WriteString(o, 6, DocString);
        WriteMessage(o, 7, Graph);
        WriteMessages(o, 8, OpsetImport);
        WriteMessages(o, 14, MetadataProps);
    }

    public override int CalculateSize() =>
        SizeInt64(1, IrVersion) + SizeString(2, ProducerName) + SizeString(3, ProducerVersion) + SizeString(6, DocString)
        + SizeMessage(7, Graph) + SizeMessages(8, OpsetImport) + SizeMessages(14, MetadataProps);
}

/// <summary>onnx.OperatorSetIdProto.</summary>
internal sealed class OperatorSetIdProto : ProtoMessage
{
    public string Domain { get; init; } = "";
    public long Version { get; init; }

    public override void WriteTo(CodedOutputStream o)
    {
        WriteString(o, 1, Domain);
        WriteInt64(o, 2, Version);
    }

    public override int CalculateSize() => SizeString(1, Domain) + SizeInt64(2, Version);
}

/// <summary>onnx.StringStringEntryProto.</summary>
internal sealed class StringStringEntryProto : ProtoMessage
{
    public required string Key { get; init; }
    public required string Value { get; init; }

    public override void WriteTo(CodedOutputStream o)
    {
        WriteString(o, 1, Key);
        WriteString(o, 2, Value);
    }

    public override int CalculateSize() => SizeString(1, Key) + SizeString(2, Value);
}

/// <summary>onnx.GraphProto.</summary>
internal sealed class GraphProto : ProtoMessage
{
    public List<NodeProto> Node { get; } = new();
    public string? Name { get; init; }
    public List<TensorProto> Initializer { get; } = new();
    public List<ValueInfoProto> Input { get; } = new();
    public List<ValueInfoProto> Output { get; } = new();

    public override void WriteTo(CodedOutputStream o)
    {
        WriteMessages(o, 1, Node);
        WriteString(o, 2, Name);
        WriteMessages(o, 5, Initializer);
        WriteMessages(o, 11, Input);
        WriteMessages(o, 12, Output);
    }

    public override int CalculateSize() =>
        SizeMessages(1, Node) + SizeString(2, Name) + SizeMessages(5, Initializer) + SizeMessages(11, Input) + SizeMessages(12, Output);
}

/// <summary>onnx.NodeProto.</summary>
internal sealed class NodeProto : ProtoMessage
{
    public List<string> Input { get; } = new();
    public List<string> Output { get; } = new();
    public string? Name { get; init; }
    public required string OpType { get; init; }
    public List<AttributeProto> Attribute { get; } = new();

    public override void WriteTo(CodedOutputStream o)
    {
        WriteStrings(o, 1, Input);
        WriteStrings(o, 2, Output);
        WriteString(o, 3, Name);
        WriteString(o, 4, OpType);
        WriteMessages(o, 5, Attribute);
    }

    public override int CalculateSize() =>
        SizeStrings(1, Input) + SizeStrings(2, Output) + SizeString(3, Name) + SizeString(4, OpType) + SizeMessages(5, Attribute);
}

/// <summary>onnx.AttributeProto (the FLOAT, INT, FLOATS and INTS kinds).</summary>
internal sealed class AttributeProto : ProtoMessage
{
    public required string Name { get; init; }
    public required OnnxAttributeType Type { get; init; }
    public float? F { get; init; }
    public long? I { get; init; }
    public IReadOnlyList<float> Floats { get; init; } = Array.Empty<float>();
    public IReadOnlyList<long> Ints { get; init; } = Array.Empty<long>();

    public override void WriteTo(CodedOutputStream o)
    {
        WriteString(o, 1, Name);
        WriteFloat(o, 2, F);
        WriteInt64(o, 3, I);
        WriteFloats(o, 7, Floats);
        WriteInt64s(o, 8, Ints);
        WriteInt32(o, 20, (int)Type);
    }

    public override int CalculateSize() =>
        SizeString(1, Name) + SizeFloat(2, F) + SizeInt64(3, I) + SizeFloats(7, Floats) + SizeInt64s(8, Ints) + SizeInt32(20, (int)Type);
}

/// <summary>onnx.TensorProto with its payload in raw_data (little-endian, as the format requires).</summary>
internal sealed class TensorProto : ProtoMessage
{
    public required string Name { get; init; }
    public required OnnxDataType DataType { get; init; }
    public required IReadOnlyList<long> Dims { get; init; }
    public required ByteString RawData { get; init; }

    public override void WriteTo(CodedOutputStream o)
    {
        WriteInt64s(o, 1, Dims);
        WriteInt32(o, 2, (int)DataType);
        WriteString(o, 8, Name);
        WriteBytes(o, 9, RawData);
    }

    public override int CalculateSize() =>
        SizeInt64s(1, Dims) + SizeInt32(2, (int)DataType) + SizeString(8, Name) + SizeBytes(9, RawData);
}

/// <summary>onnx.ValueInfoProto for a tensor: name, element type and shape.</summary>
internal sealed class ValueInfoProto : ProtoMessage
{
    public required string Name { get; init; }
    public required TypeProto Type { get; init; }

    public override void WriteTo(CodedOutputStream o)
    {
        WriteString(o, 1, Name);
        WriteMessage(o, 2, Type);
    }

    public override int CalculateSize() => SizeString(1, Name) + SizeMessage(2, Type);
}

/// <summary>onnx.TypeProto holding a tensor_type.</summary>
internal sealed class TypeProto : ProtoMessage
{
    public required TensorTypeProto TensorType { get; init; }

    public override void WriteTo(CodedOutputStream o) => WriteMessage(o, 1, TensorType);

    public override int CalculateSize() => SizeMessage(1, TensorType);
}

/// <summary>onnx.TypeProto.Tensor.</summary>
internal sealed class TensorTypeProto : ProtoMessage
{
    public required OnnxDataType ElemType { get; init; }
    public required TensorShapeProto Shape { get; init; }

    public override void WriteTo(CodedOutputStream o)
    {
        WriteInt32(o, 1, (int)ElemType);
        WriteMessage(o, 2, Shape);
    }

    public override int CalculateSize() => SizeInt32(1, (int)ElemType) + SizeMessage(2, Shape);
}

/// <summary>onnx.TensorShapeProto.</summary>
internal sealed class TensorShapeProto : ProtoMessage
{
    public List<DimensionProto> Dim { get; } = new();

    public override void WriteTo(CodedOutputStream o) => WriteMessages(o, 1, Dim);

    public override int CalculateSize() => SizeMessages(1, Dim);
}

/// <summary>onnx.TensorShapeProto.Dimension: either dim_value or dim_param.</summary>
internal sealed class DimensionProto : ProtoMessage
{
    public long? DimValue { get; init; }
    public string? DimParam { get; init; }

    public override void WriteTo(CodedOutputStream o)
    {
        WriteInt64(o, 1, DimValue);
        WriteString(o, 2, DimParam);
    }

    public override int CalculateSize() => SizeInt64(1, DimValue) + SizeString(2, DimParam);
}
