using ContrastiveML.Training;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ContrastiveML.Methods.Cmc;

/// <summary>
/// CMC's memory of negatives: per view, the L2-normalised projections of the last K images, held without gradient in a
/// ring buffer that each step's images overwrite oldest first. Both the entries and the write position are module
/// buffers, so a checkpoint (<c>Module.save</c>) holds the whole bank and a resumed Fit continues with the same one.
/// </summary>
/// <remarks>
/// The paper keeps one entry per training image, updated with momentum 0.5 when the image comes round again, and draws
/// K of them per anchor. Fit streams the data through a shuffle buffer and does not know a row's index in the data,
/// so this bank keeps the most recent K images instead (MoCo's queue without its momentum encoder): every negative is
/// then at most K / BatchSize steps old, fresher than an entry that waits a whole epoch for its next update. Before K
/// images have been seen, the entries not yet written are the random unit vectors the bank starts with.
/// </remarks>
internal sealed class CmcMemoryBank : nn.Module, IMethodState
{
    private const string EntriesName = "entries";
    private const string PositionName = "position";

    /// <summary>Creates a bank of <paramref name="size"/> random unit vectors of <paramref name="dimension"/> per view (drawn from libtorch's global generator).</summary>
    public CmcMemoryBank(int views, int size, int dimension) : base(nameof(CmcMemoryBank))
    {
        if (views < 2) throw new ArgumentOutOfRangeException(nameof(views), views, "CMC has at least two views.");
        if (size < 1) throw new ArgumentOutOfRangeException(nameof(size), size, "The bank holds at least one entry.");
        Size = size;
        register_buffer(EntriesName, F.normalize(randn(views, size, dimension), p: 2, dim: 2));
        register_buffer(PositionName, zeros(1, dtype: ScalarType.Int64));
    }

    /// <summary>Entries per view (K).</summary>
    public int Size { get; }

    private Tensor Entries => get_buffer(EntriesName)!;

    private Tensor Position => get_buffer(PositionName)!;

    /// <summary>The bank of each view, <c>[K, D]</c>, as views of the buffer (read them before the next <see cref="Enqueue"/>).</summary>
    public Tensor[] Banks() => Enumerable.Range(0, (int)Entries.shape[0]).Select(v => Entries[v]).ToArray();

    /// <summary>The index the next image is written to.</summary>
    public long NextPosition => Position.item<long>();

    /// <summary>Writes one step's projections (one <c>[N, D]</c> tensor per view, N ≤ K) over the N oldest entries, normalised.</summary>
    public void Enqueue(IReadOnlyList<Tensor> projections)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        // Integers as kept Int64 Scalars (see KeptScalars).
        using var s = new KeptScalars();
        Tensor entries = Entries;
        if (projections.Count != entries.shape[0]) throw new ArgumentException($"Expected {entries.shape[0]} views; got {projections.Count}.", nameof(projections));
        long n = projections[0].shape[0];
        if (n > Size) throw new ArgumentException($"A step of {n} images does not fit a bank of {Size}.", nameof(projections));
        Scalar size = s.Of((long)Size);
        Tensor index = s.Arange(0, n, 1, ScalarType.Int64, entries.device).Plus(Position.to(entries.device)).remainder(size);
        for (int v = 0; v < projections.Count; v++)
        {
            entries[v].index_copy_(0, index, F.normalize(projections[v].detach(), p: 2, dim: 1).to(entries.dtype));
        }
        Position.copy_(Position.add(s.Of(n), KeptScalars.One).remainder(size));
    }

    // The bank's entries and position are module buffers: Module.save and Module.load carry them.
    void IMethodState.MoveTo(Device device) => this.to(device);

    void IMethodState.Save(BinaryWriter writer) => this.save(writer);

    void IMethodState.Load(BinaryReader reader) => this.load(reader, strict: true);
}
