using static TorchSharp.torch;

namespace ContrastiveML.Evaluation;

/// <summary>
/// Label-free and labelled measures of an embedding, on [N, D] float tensors (CPU or CUDA). Each returns a plain
/// double; the caller owns the inputs. The formulas follow the papers cited on each method, so that the figures a run
/// reports can be compared with published ones.
/// </summary>
public static class EmbeddingMetrics
{
    /// <summary>
    /// k-nearest-neighbour accuracy with cosine similarity and a majority vote: each query takes the labels of its
    /// <paramref name="k"/> most similar bank rows; the class with most votes wins, and a tie goes to the tied class
    /// whose member ranks nearest (so k = 1 is plain nearest neighbour). With <paramref name="leaveOneOut"/> the bank is
    /// the queries themselves (same rows, same order) and each query's own row is excluded.
    /// </summary>
    /// <param name="bank">[B, D] reference embeddings with known labels.</param>
    /// <param name="bankLabels">B class indices.</param>
    /// <param name="queries">[Q, D] embeddings to classify.</param>
    /// <param name="queryLabels">Q true class indices.</param>
    /// <param name="k">Neighbours per query; reduced to the bank size (minus one when leaving one out).</param>
    /// <param name="leaveOneOut">True when <paramref name="bank"/> and <paramref name="queries"/> are the same rows.</param>
    public static double KnnAccuracy(Tensor bank, long[] bankLabels, Tensor queries, long[] queryLabels, int k, bool leaveOneOut = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        if (bank.shape[0] != bankLabels.Length) throw new ArgumentException($"The bank has {bank.shape[0]} rows but {bankLabels.Length} labels.", nameof(bankLabels));
        if (queries.shape[0] != queryLabels.Length) throw new ArgumentException($"The queries have {queries.shape[0]} rows but {queryLabels.Length} labels.", nameof(queryLabels));
        if (leaveOneOut && bank.shape[0] != queries.shape[0]) throw new ArgumentException("Leave-one-out needs the bank to be the queries.", nameof(leaveOneOut));
        int available = bankLabels.Length - (leaveOneOut ? 1 : 0);
        if (available < 1 || queryLabels.Length == 0) throw new ArgumentException($"kNN needs at least one query and one bank row to compare with; found {queryLabels.Length} queries and {available} bank rows.");
        k = Math.Min(k, available);

        long[] neighbours;
        using (NewDisposeScope())
        {
            Tensor b = nn.functional.normalize(bank.to_type(ScalarType.Float32), p: 2, dim: 1);
            Tensor q = nn.functional.normalize(queries.to_type(ScalarType.Float32), p: 2, dim: 1);
            Tensor similarity = q.matmul(b.t());
            // The query itself would always be its own nearest neighbour.
            if (leaveOneOut) similarity = similarity.masked_fill(eye(similarity.shape[0], dtype: ScalarType.Bool, device: similarity.device), double.NegativeInfinity);
            neighbours = similarity.topk(k, dim: 1, largest: true, sorted: true).indexes.cpu().data<long>().ToArray();
        }

        int correct = 0;
        var votes = new Dictionary<long, (int Count, int FirstRank)>();
        for (int i = 0; i < queryLabels.Length; i++)
        {
            votes.Clear();
            for (int j = 0; j < k; j++)
            {
                long label = bankLabels[neighbours[i * k + j]];
                votes[label] = votes.TryGetValue(label, out var v) ? (v.Count + 1, v.FirstRank) : (1, j);
            }
            // Most votes; among equal counts, the class whose nearest member ranks first.
            long best = votes.OrderByDescending(v => v.Value.Count).ThenBy(v => v.Value.FirstRank).First().Key;
            if (best == queryLabels[i]) correct++;
        }
        return (double)correct / queryLabels.Length;
    }

    /// <summary>
    /// Alignment of Wang and Isola (ICML 2020), E ||f(x) - f(x+)||^2 over positive pairs, on L2-normalised embeddings
    /// (their alpha = 2): 0 when the two views of every image map to the same point, at most 4. Lower is better, but a
    /// collapsed encoder scores 0 too; read it with <see cref="Uniformity"/>.
    /// </summary>
    /// <param name="first">[N, D] embeddings of the first view of N images.</param>
    /// <param name="second">[N, D] embeddings of the second view, row for row.</param>
    public static double Alignment(Tensor first, Tensor second)
    {
        if (!first.shape.SequenceEqual(second.shape)) throw new ArgumentException($"The two views' embeddings must have the same shape; found [{string.Join(", ", first.shape)}] and [{string.Join(", ", second.shape)}].", nameof(second));
        using (NewDisposeScope())
        {
            Tensor a = nn.functional.normalize(first.to_type(ScalarType.Float64), p: 2, dim: 1);
            Tensor b = nn.functional.normalize(second.to_type(ScalarType.Float64), p: 2, dim: 1);
            return a.sub(b).pow(2).sum(1).mean().item<double>();
        }
    }

    /// <summary>
    /// Uniformity of Wang and Isola (ICML 2020), log E exp(-t ||f(x) - f(y)||^2) over distinct pairs of L2-normalised
    /// embeddings with t = 2: 0 when every embedding is the same point (collapse), down to about -4 when they spread
    /// evenly over a high-dimensional sphere. Lower is better.
    /// </summary>
    /// <param name="embeddings">[N, D], N at least 2.</param>
    public static double Uniformity(Tensor embeddings)
    {
        long n = embeddings.shape[0];
        if (n < 2) throw new ArgumentException($"Uniformity needs at least 2 embeddings; found {n}.", nameof(embeddings));
        using (NewDisposeScope())
        {
            Tensor z = nn.functional.normalize(embeddings.to_type(ScalarType.Float64), p: 2, dim: 1);
            // For unit vectors ||u - v||^2 = 2 - 2 u.v; the pairs i < j are the strict upper triangle.
            Tensor squared = z.matmul(z.t()).mul(-2).add(2).clamp_min(0);
            Tensor upper = ones(n, n, dtype: ScalarType.Bool, device: z.device).triu(1);
            Tensor distances = squared.masked_select(upper);
            // log mean exp, computed stably.
            return (distances.mul(-2).logsumexp(0) - Math.Log(distances.shape[0])).item<double>();
        }
    }

    /// <summary>
    /// Effective rank of Roy and Vetterli (2007), exp(H(p)) with p the singular values of the centred [N, D] matrix
    /// divided by their sum: D when every direction carries equal variance, 1 when the embeddings vary along one line,
    /// 0 when they are all the same point. A collapsing encoder shows it as a falling effective rank (as RankMe, Garrido
    /// et al. 2023, uses it).
    /// </summary>
    /// <param name="embeddings">[N, D], N at least 2.</param>
    public static double EffectiveRank(Tensor embeddings)
    {
        long n = embeddings.shape[0];
        if (n < 2) throw new ArgumentException($"The effective rank needs at least 2 embeddings; found {n}.", nameof(embeddings));
        using (NewDisposeScope())
        {
            Tensor x = embeddings.to_type(ScalarType.Float64);
            x = x - x.mean(new long[] { 0 }, keepdim: true);
            // The singular values are the square roots of the eigenvalues of the smaller Gram matrix: a symmetric
            // eigenvalue problem of side min(N, D) after one matrix product (libtorch's CPU SVD of a 1,000 x 1,152
            // matrix takes seconds here; see OnlineEvaluator for how many rows it is given).
            Tensor gram = x.shape[0] <= x.shape[1] ? x.matmul(x.t()) : x.t().matmul(x);
            double[] singular = linalg.eigvalsh(gram).clamp_min(0).sqrt().cpu().data<double>().ToArray();
            double total = singular.Sum();
            // Below float32 round-off of the inputs the matrix is a single point: no direction at all.
            if (total <= 1e-6 * Math.Max(1, embeddings.abs().max().to_type(ScalarType.Float64).item<double>())) return 0;
            double entropy = 0;
            foreach (double s in singular)
            {
                double p = s / total;
                if (p > 0) entropy -= p * Math.Log(p);
            }
            return Math.Exp(entropy);
        }
    }
}
