using ContrastiveML.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ContrastiveML.Methods.MoCo;

/// <summary>
/// MoCo's momentum update (He et al. 2020, eq. 2) of one key module from its query module:
/// <code>
/// θ_k ← m·θ_k + (1 − m)·θ_q        for every parameter
/// b_k ← b_q                        for every buffer (BatchNorm running statistics)
/// </code>
/// The key module is built with the query's architecture and starts as an exact copy of its state; its parameters never
/// require gradients (the optimiser must not see them: <see cref="Apply"/> is the only thing that changes them).
/// </summary>
/// <remarks>
/// The key module's parameters are found by name at each <see cref="Apply"/>, not cached: TorchSharp's Module.to(device)
/// replaces a module's parameter objects, so references taken before a move would update stale tensors.
/// </remarks>
internal sealed class MomentumUpdate
{
    /// <summary>
    /// Pairs <paramref name="key"/> with <paramref name="query"/>, copies the query's parameters and buffers into the key
    /// and freezes the key's parameters. Building <paramref name="key"/> draws its (discarded) initial weights from libtorch's
    /// global generator: do it where the other modules are built, under Fit's initialisation lock.
    /// </summary>
    /// <exception cref="ArgumentException">The modules' parameter or buffer names or shapes differ.</exception>
    public MomentumUpdate(nn.Module query, nn.Module key)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(key);
        if (ReferenceEquals(query, key)) throw new ArgumentException("The key module must be a separate copy of the query module.", nameof(key));
        Query = query;
        Key = key;
        CheckSameArchitecture();
        using var noGrad = no_grad();
        foreach (var (queryParameter, keyParameter) in Parameters())
        {
            keyParameter.copy_(queryParameter);
            keyParameter.requires_grad = false;
        }
        foreach (var (queryBuffer, keyBuffer) in Buffers()) keyBuffer.copy_(queryBuffer);
    }

    /// <summary>The module trained by the optimiser (θ_q).</summary>
    public nn.Module Query { get; }

    /// <summary>The momentum copy (θ_k).</summary>
    public nn.Module Key { get; }

    /// <summary>One update with momentum <paramref name="momentum"/> in [0, 1]: 0 copies the query, 1 leaves the key as it is.</summary>
    public void Apply(double momentum)
    {
        if (!(momentum >= 0 && momentum <= 1)) throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "The momentum must be in [0, 1].");
        using var noGrad = no_grad();
        // m and 1 - m as kept Scalars, made once for all parameters (see KeptScalars).
        using var s = new KeptScalars();
        Scalar keep = s.Of(momentum), blend = s.Of(1 - momentum);
        foreach (var (queryParameter, keyParameter) in Parameters()) keyParameter.mul_(keep).add_(queryParameter, alpha: blend);
        foreach (var (queryBuffer, keyBuffer) in Buffers()) keyBuffer.copy_(queryBuffer);
    }

    private IEnumerable<(Tensor Query, Tensor Key)> Parameters()
    {
        var keys = Key.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);
        return Query.named_parameters().Select(p => ((Tensor)p.parameter, keys[p.name]));
    }

    private IEnumerable<(Tensor Query, Tensor Key)> Buffers()
    {
        var keys = Key.named_buffers().ToDictionary(b => b.name, b => b.buffer);
        return Query.named_buffers().Select(b => (b.buffer, keys[b.name]));
    }

    private void CheckSameArchitecture()
    {
        static string Describe(IEnumerable<(string Name, Tensor Value)> entries) =>
            string.Join("; ", entries.Select(e => $"{e.Name} [{string.Join(",", e.Value.shape)}] {e.Value.dtype}"));
        string queryLayout = Describe(Query.named_parameters().Select(p => (p.name, (Tensor)p.parameter)).Concat(Query.named_buffers().Select(b => (b.name, b.buffer))));
        string keyLayout = Describe(Key.named_parameters().Select(p => (p.name, (Tensor)p.parameter)).Concat(Key.named_buffers().Select(b => (b.name, b.buffer))));
        if (queryLayout != keyLayout)
            throw new ArgumentException($"The key module must have the query module's architecture; query: {queryLayout}; key: {keyLayout}.", nameof(Key));
    }
}
