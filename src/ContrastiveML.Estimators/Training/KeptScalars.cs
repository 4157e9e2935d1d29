using TorchSharp;

namespace ContrastiveML.Training;

/// <summary>
/// TorchSharp <see cref="Scalar"/>s that stay alive until this object is disposed, for tensor arithmetic with
/// .NET numbers on the training path: <c>x.mul(s.Of(0.5)).add(s.Of(1.0), KeptScalars.One)</c> instead of
/// <c>x * 0.5 + 1.0</c> (an addition also needs its alpha given, see <see cref="KeptScalarArithmetic"/>).
/// </summary>
/// <remarks>
/// <para>
/// Why: in TorchSharp 0.107 every number converted implicitly to a <see cref="Scalar"/> (<c>x * 0.5</c>,
/// <c>x.masked_fill(m, 0)</c>, and the hidden <c>alpha = 1</c> of <c>a + b</c> and <c>a.add_(b)</c>) becomes a
/// native <c>c10::Scalar</c> owned by nobody but the finalizer. The wrapper's only use is to pass its native
/// pointer into the call, so once the call has started the JIT may consider the wrapper dead; a garbage
/// collection started by another thread during the call can then finalize it and free the native scalar while
/// libtorch is still reading it. The likelier the more often another thread collects (long runs, parallel tests),
/// it shows as <c>ExternalException: Expected false to be true ... toDouble at c10/core/Scalar.h:140</c>, libtorch
/// finding a freed scalar's type tag; a freed scalar whose memory is reused could as well be read as a wrong number,
/// silently. TorchSharp pull requests 1434 and 1496 (open) address this upstream.
/// </para>
/// <para>
/// A Scalar created here is referenced from this object until <see cref="Dispose"/>, which the <c>using</c> in
/// the calling method runs after the last tensor call, so no collection can free it during a call. The fixed
/// <see cref="One"/> lives for the process and serves as the explicit <c>alpha</c> of tensor additions
/// (<see cref="KeptScalarArithmetic"/>). Scalars are a few bytes each; one per operation and step costs nothing measurable.
/// </para>
/// </remarks>
internal sealed class KeptScalars : IDisposable
{
    private readonly List<Scalar> _kept = new();

    /// <summary>The integer 1 (an Int64 Scalar, valid as alpha for every dtype), alive for the whole process.</summary>
    public static readonly Scalar One = 1L.ToScalar();

    /// <summary>A Float64 Scalar of <paramref name="value"/>, alive until this object is disposed.</summary>
    public Scalar Of(double value) => Keep(value.ToScalar());

    /// <summary>An Int64 Scalar of <paramref name="value"/> (for integer and boolean tensors), alive until this object is disposed.</summary>
    public Scalar Of(long value) => Keep(value.ToScalar());

    /// <summary>A Boolean Scalar of <paramref name="value"/>, alive until this object is disposed.</summary>
    public Scalar Of(bool value) => Keep(value.ToScalar());

    /// <summary>
    /// <c>arange(start, stop, step)</c> of integers with all three as Scalars kept alive by this object:
    /// <c>arange(n)</c> and <c>arange(a, b)</c> would make their own 0 and step 1 inside TorchSharp, finalizer-owned.
    /// </summary>
    public torch.Tensor Arange(long start, long stop, long step, torch.ScalarType dtype, torch.Device device) =>
        torch.arange(Of(start), Of(stop), step == 1 ? One : Of(step), dtype: dtype, device: device);

    private Scalar Keep(Scalar scalar)
    {
        _kept.Add(scalar);
        return scalar;
    }

    /// <summary>Frees every Scalar made by <see cref="Of(double)"/> and its overloads.</summary>
    public void Dispose()
    {
        foreach (Scalar scalar in _kept) scalar.Dispose();
        _kept.Clear();
    }
}

/// <summary>
/// Tensor additions with the explicit, never-collected alpha <see cref="KeptScalars.One"/>: <c>a + b</c> and
/// <c>a.add_(b)</c> pass a finalizer-owned <c>alpha = 1</c> (see <see cref="KeptScalars"/>); subtraction,
/// multiplication and division of two tensors pass no Scalar and need no replacement. TorchSharp adds the same hidden
/// alpha to <c>x.add(scalar)</c>, <c>x.add_(scalar)</c> and <c>number - x</c> (<c>x.neg().add(number)</c>): write
/// <c>x.add(s.Of(k), KeptScalars.One)</c>; and <c>arange(stop)</c> / <c>arange(start, stop)</c> make their own 0 and
/// step 1: use <see cref="KeptScalars.Arange"/>.
/// </summary>
internal static class KeptScalarArithmetic
{
    /// <summary><c>a + b</c>, element-wise with broadcasting.</summary>
    public static torch.Tensor Plus(this torch.Tensor a, torch.Tensor b) => a.add(b, KeptScalars.One);

    /// <summary><c>a += b</c> in place; returns <paramref name="a"/>.</summary>
    public static torch.Tensor PlusInPlace(this torch.Tensor a, torch.Tensor b) => a.add_(b, KeptScalars.One);
}
