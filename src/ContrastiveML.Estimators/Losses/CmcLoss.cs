using ContrastiveML.Training;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ContrastiveML.Losses;

/// <summary>
/// The contrastive multiview coding loss of Tian, Krishnan and Isola, "Contrastive Multiview Coding", ECCV 2020
/// (eq. 2 and 3 for two views, eq. 6 and 7 for the core-view and full-graph objectives), in its softmax
/// cross-entropy form.
/// </summary>
/// <remarks>
/// Each view's projections are L2-normalised, and the critic is h(u, v) = exp(uᵀv / (‖u‖‖v‖ τ)) (τ = 0.07 in the
/// paper). Anchoring view i and contrasting against view j, for sample n with candidate set C_j(n):
/// <code>
/// L(V_i, V_j) = −(1/N) Σ_n log( h(z_i^n, z_j^n) / Σ_{c ∈ C_j(n)} h(z_i^n, c) )
/// two views:    L = L(V_1, V_2) + L(V_2, V_1)                                   (symmetric, eq. 3)
/// core view:    L = Σ_{j=2..M} [L(V_1, V_j) + L(V_j, V_1)]                      (eq. 6)
/// full graph:   L = Σ_{1≤i&lt;j≤M} [L(V_i, V_j) + L(V_j, V_i)]                   (eq. 7)
/// </code>
/// Batch negatives: C_j(n) = { z_j^m : m = 1..N }, the positive z_j^n and the other images' view j.
/// Memory-bank negatives: C_j(n) = { z_j^n } ∪ { b_j^k : k = 1..K }, the positive and the K (normalised, constant)
/// entries of view j's bank. The paper's NCE form approximates the same softmax; its code offers this softmax form
/// as an option and reports it as better. With two views both objectives are the same two terms.
/// </remarks>
public static class CmcLoss
{
    /// <summary>
    /// Computes the CMC loss; a scalar tensor on the inputs' device carrying gradients back to <paramref name="views"/>
    /// (not to the memory banks, which are constants here).
    /// </summary>
    /// <param name="views">Projections of each view, M ≥ 2 tensors of shape [N, D]; row n of every view is image n.</param>
    /// <param name="temperature">τ &gt; 0; the paper uses 0.07.</param>
    /// <param name="objective">Which pairs of views are contrasted when M &gt; 2.</param>
    /// <param name="memoryBanks">Null for batch negatives; otherwise one [K, D] bank per view (view j's bank supplies
    /// the negatives of every anchor contrasted against view j).</param>
    /// <exception cref="ArgumentOutOfRangeException">The temperature is not a positive finite number, or the objective is undefined.</exception>
    /// <exception cref="ArgumentException">Fewer than two views, shapes or devices that differ, or banks that do not match the views.</exception>
    public static Tensor Compute(IReadOnlyList<Tensor> views, double temperature, CmcObjective objective = CmcObjective.FullGraph,
                                 IReadOnlyList<Tensor>? memoryBanks = null)
    {
        ArgumentNullException.ThrowIfNull(views);
        if (!(temperature > 0 && double.IsFinite(temperature)))
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, $"The temperature must be a positive finite number; found {temperature}.");
        LossChecks.Defined(objective, nameof(objective), "CMC objective");
        CheckViews(views, memoryBanks);

        using var scope = NewDisposeScope();
        // Every number passed to libtorch is a Scalar kept alive until the return (see KeptScalars); Term runs inside
        // this method, so its uses are covered too.
        using var s = new KeptScalars();
        Scalar tau = s.Of(temperature);
        Tensor[] z = views.Select(v => F.normalize(v, p: 2, dim: 1)).ToArray();
        Tensor[]? banks = memoryBanks?.Select(b => F.normalize(b.detach(), p: 2, dim: 1)).ToArray();
        long n = z[0].shape[0];
        Tensor diagonal = s.Arange(0, n, 1, ScalarType.Int64, z[0].device);
        Tensor first = zeros(n, dtype: ScalarType.Int64, device: z[0].device);

        Tensor Term(int anchor, int contrast)
        {
            if (banks == null)
            {
                // Row n: the anchor against view `contrast` of every image in the batch; the positive is column n.
                return F.cross_entropy(z[anchor].matmul(z[contrast].t()).div(tau), diagonal);
            }
            // Column 0: the positive, then the K bank entries of view `contrast`.
            Tensor positive = z[anchor].mul(z[contrast]).sum(1, keepdim: true);
            Tensor negatives = z[anchor].matmul(banks[contrast].t());
            return F.cross_entropy(cat(new[] { positive, negatives }, 1).div(tau), first);
        }

        Tensor? total = null;
        foreach (var (i, j) in Pairs(views.Count, objective))
        {
            Tensor pair = Term(i, j).Plus(Term(j, i));
            total = total is null ? pair : total.Plus(pair);
        }
        return total!.MoveToOuterDisposeScope();
    }

    /// <summary>The (i, j), i &lt; j, pairs of views an objective contrasts among <paramref name="viewCount"/> views (0-based; view 0 is the core view).</summary>
    public static IEnumerable<(int, int)> Pairs(int viewCount, CmcObjective objective)
    {
        for (int i = 0; i < viewCount; i++)
            for (int j = i + 1; j < viewCount; j++)
                if (objective == CmcObjective.FullGraph || i == 0) yield return (i, j);
    }

    private static void CheckViews(IReadOnlyList<Tensor> views, IReadOnlyList<Tensor>? banks)
    {
        if (views.Count < 2) throw new ArgumentException($"CMC needs at least two views; got {views.Count}.", nameof(views));
        Tensor reference = views[0] ?? throw new ArgumentException("View 0 is null.", nameof(views));
        if (reference.dim() != 2 || reference.shape[0] < 1 || reference.shape[1] < 1)
            throw new ArgumentException($"Expected [N, D] projections with N, D ≥ 1; view 0 is [{string.Join(", ", reference.shape)}].", nameof(views));
        for (int v = 1; v < views.Count; v++)
        {
            Tensor view = views[v] ?? throw new ArgumentException($"View {v} is null.", nameof(views));
            if (view.dim() != 2 || view.shape[0] != reference.shape[0] || view.shape[1] != reference.shape[1])
                throw new ArgumentException($"Every view must have the shape of view 0, [{string.Join(", ", reference.shape)}]; view {v} is [{string.Join(", ", view.shape)}].", nameof(views));
            if (view.device_type != reference.device_type || view.device_index != reference.device_index)
                throw new ArgumentException($"View {v} is on {view.device}, view 0 on {reference.device}.", nameof(views));
        }
        if (banks == null) return;
        if (banks.Count != views.Count)
            throw new ArgumentException($"Expected one memory bank per view ({views.Count}); got {banks.Count}.", nameof(banks));
        for (int v = 0; v < banks.Count; v++)
        {
            Tensor bank = banks[v] ?? throw new ArgumentException($"Memory bank {v} is null.", nameof(banks));
            if (bank.dim() != 2 || bank.shape[0] < 1 || bank.shape[1] != reference.shape[1])
                throw new ArgumentException($"Memory bank {v} must be [K, {reference.shape[1]}] with K ≥ 1; it is [{string.Join(", ", bank.shape)}].", nameof(banks));
            if (bank.device_type != reference.device_type || bank.device_index != reference.device_index)
                throw new ArgumentException($"Memory bank {v} is on {bank.device}, the views on {reference.device}.", nameof(banks));
        }
    }
}
