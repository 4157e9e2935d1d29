namespace ContrastiveML.Samples.Plots;

/// <summary>
/// Projection of vectors onto their first two principal components (centred; power iteration on the covariance with
/// deflation). Enough for a picture of a few thousand embeddings of a few hundred dimensions, and deterministic.
/// </summary>
internal static class Pca2D
{
    /// <summary>(x, y) coordinates of each vector on the first and second principal axes.</summary>
    public static (double X, double Y)[] Project(IReadOnlyList<float[]> vectors)
    {
        if (vectors.Count == 0) return Array.Empty<(double, double)>();
        int d = vectors[0].Length;
        if (vectors.Any(v => v.Length != d))
        {
            throw new ArgumentException($"All vectors must have the same length; expected {d}, found {vectors.First(v => v.Length != d).Length}.", nameof(vectors));
        }
        var mean = new double[d];
        foreach (float[] v in vectors) for (int j = 0; j < d; j++) mean[j] += v[j];
        for (int j = 0; j < d; j++) mean[j] /= vectors.Count;

        var covariance = new double[d, d];
        var centred = new double[d];
        foreach (float[] v in vectors)
        {
            for (int j = 0; j < d; j++) centred[j] = v[j] - mean[j];
            for (int a = 0; a < d; a++)
            {
                if (centred[a] == 0) continue;
                for (int b = a; b < d; b++) covariance[a, b] += centred[a] * centred[b];
            }
        }
        for (int a = 0; a < d; a++) for (int b = 0; b < a; b++) covariance[a, b] = covariance[b, a];

        double[] first = LeadingEigenvector(covariance, d, out double firstValue);
        // Deflate: remove the first component so that power iteration finds the second.
        for (int a = 0; a < d; a++) for (int b = 0; b < d; b++) covariance[a, b] -= firstValue * first[a] * first[b];
        double[] second = LeadingEigenvector(covariance, d, out _);

        return vectors.Select(v =>
        {
            double x = 0, y = 0;
            for (int j = 0; j < d; j++)
            {
                double c = v[j] - mean[j];
                x += c * first[j];
                y += c * second[j];
            }
            return (x, y);
        }).ToArray();
    }

    private static double[] LeadingEigenvector(double[,] matrix, int d, out double eigenvalue)
    {
        // A fixed, non-symmetric start so that the iteration is deterministic and unlikely to be orthogonal to the answer.
        var vector = Enumerable.Range(0, d).Select(i => 1.0 + 0.01 * i).ToArray();
        Normalize(vector);
        var next = new double[d];
        eigenvalue = 0;
        for (int iteration = 0; iteration < 500; iteration++)
        {
            for (int a = 0; a < d; a++)
            {
                double sum = 0;
                for (int b = 0; b < d; b++) sum += matrix[a, b] * vector[b];
                next[a] = sum;
            }
            double norm = Normalize(next);
            if (norm == 0) return vector;
            double change = 0;
            for (int a = 0; a < d; a++) change = Math.Max(change, Math.Abs(next[a] - vector[a]));
            Array.Copy(next, vector, d);
            eigenvalue = norm;
            if (change < 1e-9) break;
        }
        return vector;
    }

    private static double Normalize(double[] vector)
    {
        double norm = Math.Sqrt(vector.Sum(x => x * x));
        if (norm > 0) for (int i = 0; i < vector.Length; i++) vector[i] /= norm;
        return norm;
    }
}
