using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ContrastiveML.Optimization;

/// <summary>
/// Per-parameter state tensors of an optimizer (LARS velocity, AdamW moments, SGD momentum): one slot per parameter,
/// empty until the parameter's first update, written to and read from a checkpoint.
/// </summary>
internal sealed class OptimizerBuffers : IDisposable
{
    private readonly Parameter[] _parameters;
    private readonly Tensor?[] _buffers;
    private readonly string _name;

    /// <param name="parameters">The optimizer's parameters, in its order.</param>
    /// <param name="name">What the buffers are, for error messages ("LARS velocity").</param>
    public OptimizerBuffers(Parameter[] parameters, string name)
    {
        _parameters = parameters;
        _buffers = new Tensor?[parameters.Length];
        _name = name;
    }

    /// <summary>Whether parameter <paramref name="i"/>'s buffer exists (it has been used or loaded).</summary>
    public bool Has(int i) => _buffers[i] is not null;

    /// <summary>The buffer of parameter <paramref name="i"/>, created as zeros of its shape (outside any dispose scope) on first use.</summary>
    public Tensor For(int i)
    {
        Tensor? buffer = _buffers[i];
        if (buffer is null)
        {
            buffer = zeros_like(_parameters[i]).DetachFromDisposeScope();
            _buffers[i] = buffer;
        }
        return buffer;
    }

    /// <summary>Writes the slot count, then per slot a flag and, when set, its float32 values.</summary>
    public void Save(BinaryWriter writer)
    {
        writer.Write(_buffers.Length);
        using var scope = NewDisposeScope();
        foreach (Tensor? buffer in _buffers)
        {
            writer.Write(buffer is not null);
            if (buffer is null) continue;
            float[] values = buffer.detach().cpu().contiguous().data<float>().ToArray();
            writer.Write(values.Length);
            foreach (float value in values) writer.Write(value);
        }
    }

    /// <summary>Restores what <see cref="Save"/> wrote for the same parameters.</summary>
    /// <exception cref="InvalidDataException">The state does not fit these parameters.</exception>
    public void Load(BinaryReader reader)
    {
        int count = reader.ReadInt32();
        if (count != _parameters.Length)
            throw new InvalidDataException($"The optimizer state holds {count} {_name} buffers; the model has {_parameters.Length} parameters.");
        for (int i = 0; i < count; i++)
        {
            _buffers[i]?.Dispose();
            _buffers[i] = null;
            if (!reader.ReadBoolean()) continue;
            int length = reader.ReadInt32();
            if (length != _parameters[i].numel())
                throw new InvalidDataException($"The {_name} buffer of parameter {i} has {length} values; the parameter has {_parameters[i].numel()}.");
            var values = new float[length];
            for (int j = 0; j < length; j++) values[j] = reader.ReadSingle();
            Tensor buffer = For(i);
            using (NewDisposeScope())
            using (no_grad())
            {
                buffer.copy_(tensor(values).reshape(_parameters[i].shape));
            }
        }
    }

    public void Dispose()
    {
        for (int i = 0; i < _buffers.Length; i++)
        {
            _buffers[i]?.Dispose();
            _buffers[i] = null;
        }
    }
}
