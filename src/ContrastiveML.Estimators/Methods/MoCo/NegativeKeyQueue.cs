using System.Runtime.InteropServices;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ContrastiveML.Methods.MoCo;

/// <summary>
/// MoCo's dictionary of negatives (He et al. 2020, §3.2): a ring buffer of the K most recent keys, [K, D], L2-normalised,
/// on the training device. Each step enqueues the batch's keys over the oldest ones, so the negatives are keys the
/// momentum encoder produced over the last K / N steps.
/// </summary>
/// <remarks>
/// MoCo's reference code asserts that K is a multiple of the batch size; here a batch of any size (the last, smaller batch
/// of an epoch included) is written from the pointer onward and wraps around to the start, exactly as if its keys were
/// enqueued one at a time. The queue is a plain tensor: it never requires gradients.
/// </remarks>
internal sealed class NegativeKeyQueue : IMethodState
{
    private const int FormatMagic = 0x4D6F436F; // "MoCo"
    private Tensor _keys;

    /// <summary>
    /// A queue of <paramref name="capacity"/> random unit keys of size <paramref name="dimension"/>, as MoCo initialises it
    /// (normal draws normalised to unit length, from libtorch's global generator: build it where the module initialisation
    /// draws happen, under Fit's initialisation lock, so a seed gives the same queue). On the CPU; see <see cref="MoveTo"/>.
    /// </summary>
    public NegativeKeyQueue(int capacity, int dimension)
    {
        if (capacity < 1) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "The queue needs at least one slot.");
        if (dimension < 1) throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "The key dimension must be at least 1.");
        using (NewDisposeScope())
        {
            _keys = F.normalize(randn(capacity, dimension), p: 2, dim: 1).MoveToOuterDisposeScope();
        }
        Capacity = capacity;
        Dimension = dimension;
    }

    /// <summary>A queue holding a copy of <paramref name="initialKeys"/> [K, D] as they are (tests start from known contents).</summary>
    public NegativeKeyQueue(Tensor initialKeys)
    {
        ArgumentNullException.ThrowIfNull(initialKeys);
        if (initialKeys.dim() != 2 || initialKeys.shape[0] < 1 || initialKeys.shape[1] < 1 || initialKeys.dtype != ScalarType.Float32)
            throw new ArgumentException($"Expected float32 [K, D] keys with K, D ≥ 1; got {initialKeys.dtype} [{string.Join(", ", initialKeys.shape)}].", nameof(initialKeys));
        _keys = initialKeys.detach().clone();
        Capacity = (int)initialKeys.shape[0];
        Dimension = (int)initialKeys.shape[1];
    }

    /// <summary>K, the number of keys held.</summary>
    public int Capacity { get; }

    /// <summary>D, the size of one key.</summary>
    public int Dimension { get; }

    /// <summary>The slot the next enqueued key goes to, in [0, K): the oldest key.</summary>
    public int Pointer { get; private set; }

    /// <summary>The keys, [K, D]. Read it; do not modify or dispose it (<see cref="Enqueue"/> writes into it in place).</summary>
    public Tensor Keys => _keys;

    /// <summary>Moves the keys to <paramref name="device"/>.</summary>
    public void MoveTo(Device device)
    {
        if (_keys.device_type == device.type && _keys.device_index == device.index) return;
        Tensor moved = _keys.to(device);
        _keys.Dispose();
        _keys = moved;
    }

    /// <summary>
    /// Writes <paramref name="keys"/> [n, D] (any n ≥ 1, any device; L2-normalised here, detached) over the n oldest keys,
    /// wrapping around the end. With n &gt; K only the last K keys remain, as if the keys were enqueued one at a time.
    /// </summary>
    public void Enqueue(Tensor keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        if (keys.dim() != 2 || keys.shape[0] < 1 || keys.shape[1] != Dimension || !keys.is_floating_point())
            throw new ArgumentException($"Expected floating-point [n, {Dimension}] keys with n ≥ 1; got {keys.dtype} [{string.Join(", ", keys.shape)}].", nameof(keys));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Tensor incoming = F.normalize(keys.detach(), p: 2, dim: 1).to(_keys.dtype).to(_keys.device);
        long n = incoming.shape[0];
        long pointer = Pointer;
        if (n > Capacity)
        {
            // The first n - K keys would be overwritten within this same call.
            pointer = (pointer + n - Capacity) % Capacity;
            incoming = incoming.narrow(0, n - Capacity, Capacity);
            n = Capacity;
        }
        long first = Math.Min(n, Capacity - pointer);
        _keys.narrow(0, pointer, first).copy_(incoming.narrow(0, 0, first));
        if (n > first) _keys.narrow(0, 0, n - first).copy_(incoming.narrow(0, first, n - first));
        Pointer = (int)((pointer + n) % Capacity);
    }

    /// <summary>Writes capacity, dimension, pointer and the keys (float32, little-endian) for a training checkpoint.</summary>
    public void Save(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(FormatMagic);
        writer.Write(Capacity);
        writer.Write(Dimension);
        writer.Write(Pointer);
        using Tensor onCpu = _keys.detach().cpu().contiguous();
        float[] values = onCpu.data<float>().ToArray();
        writer.Write(MemoryMarshal.AsBytes(values.AsSpan()));
    }

    /// <summary>Restores what <see cref="Save"/> wrote into this queue, which must have the same capacity and dimension.</summary>
    /// <exception cref="InvalidDataException">The data is not a queue, or one of another capacity or dimension.</exception>
    public void Load(BinaryReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        if (reader.ReadInt32() != FormatMagic) throw new InvalidDataException("The negative-key queue's state is missing or damaged.");
        int capacity = reader.ReadInt32();
        int dimension = reader.ReadInt32();
        int pointer = reader.ReadInt32();
        if (capacity != Capacity || dimension != Dimension)
            throw new InvalidDataException($"The saved negative-key queue holds {capacity} keys of size {dimension}; this model's queue holds {Capacity} keys of size {Dimension} (QueueSize or ProjectionDim differ).");
        if (pointer < 0 || pointer >= capacity) throw new InvalidDataException($"The saved queue pointer {pointer} is outside [0, {capacity}).");
        var values = new float[(long)capacity * dimension];
        Span<byte> bytes = MemoryMarshal.AsBytes(values.AsSpan());
        for (int read = 0; read < bytes.Length;)
        {
            int got = reader.Read(bytes[read..]);
            if (got == 0) throw new InvalidDataException("The negative-key queue's state is truncated.");
            read += got;
        }
        using Tensor loaded = tensor(values, new long[] { capacity, dimension });
        using (no_grad()) _keys.copy_(loaded);
        Pointer = pointer;
    }

    public void Dispose() => _keys.Dispose();
}
