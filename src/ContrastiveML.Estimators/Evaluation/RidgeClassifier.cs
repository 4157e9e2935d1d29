using static TorchSharp.torch;

namespace ContrastiveML.Evaluation;

/// <summary>
/// A linear probe that costs a fraction of a second: a ridge-regression classifier (least squares onto one-hot
/// targets, features standardised on the training rows, a bias, the predicted class the largest output). It is the
/// closed-form counterpart of the logistic-regression probe of the papers, used because an iterative fit of the three
/// feature sets a run compares (pixels, random init, trained) would not fit in the evaluation's time allowance. The
/// penalty is chosen per feature set from <see cref="PenaltiesPerRow"/> on a validation fifth of the training rows,
/// since what suits 1,152 pooled features overfits 784 raw pixels and the other way round.
/// </summary>
public static class RidgeClassifier
{
    /// <summary>Ridge penalties tried, per training row on standardised features (lambda = this x rows).</summary>
    public static IReadOnlyList<double> PenaltiesPerRow { get; } = new[] { 1e-3, 1e-2, 1e-1, 1.0, 10.0 };

    /// <summary>Fits on (<paramref name="train"/>, <paramref name="trainLabels"/>) and returns the accuracy on the test rows.</summary>
    /// <param name="train">[N, D] training features.</param>
    /// <param name="trainLabels">N class indices (0-based).</param>
    /// <param name="test">[M, D] test features.</param>
    /// <param name="testLabels">M true class indices.</param>
    /// <param name="penaltyPerRow">A fixed penalty per training row; null chooses one from <see cref="PenaltiesPerRow"/> on every fifth training row.</param>
    public static double Accuracy(Tensor train, long[] trainLabels, Tensor test, long[] testLabels, double? penaltyPerRow = null)
    {
        if (train.shape[0] != trainLabels.Length) throw new ArgumentException($"The training features have {train.shape[0]} rows but {trainLabels.Length} labels.", nameof(trainLabels));
        if (test.shape[0] != testLabels.Length) throw new ArgumentException($"The test features have {test.shape[0]} rows but {testLabels.Length} labels.", nameof(testLabels));
        if (train.shape[1] != test.shape[1]) throw new ArgumentException($"Training and test features differ in width: {train.shape[1]} and {test.shape[1]}.", nameof(test));
        if (trainLabels.Length < 2) throw new ArgumentException($"A linear probe needs at least 2 training rows; found {trainLabels.Length}.", nameof(trainLabels));
        if (testLabels.Length == 0) return 0;
        long classes = Math.Max(trainLabels.Max(), testLabels.Max()) + 1;
        using (NewDisposeScope())
        {
            // Float32: the features are standardised and the penalty is at least 1e-3 per row, so the system is well
            // conditioned, and float32 products and factorisations cost half as much on a CPU.
            Tensor x = train.to_type(ScalarType.Float32).cpu(), t = test.to_type(ScalarType.Float32).cpu();
            double penalty = penaltyPerRow ?? ChoosePenalty(x, trainLabels, classes);
            return Accuracy(Fit(x, trainLabels, classes, new[] { penalty })[0], t, testLabels);
        }
    }

    /// <summary>The penalty of <see cref="PenaltiesPerRow"/> with the best accuracy on every fifth row, fitted on the others (ties: the larger penalty).</summary>
    private static double ChoosePenalty(Tensor x, long[] labels, long classes)
    {
        int n = labels.Length;
        long[] validation = Enumerable.Range(0, n).Where(i => i % 5 == 4).Select(i => (long)i).ToArray();
        long[] fitting = Enumerable.Range(0, n).Where(i => i % 5 != 4).Select(i => (long)i).ToArray();
        if (validation.Length == 0 || fitting.Length < 2) return 1.0;
        Tensor fitRows = x.index_select(0, tensor(fitting)), validationRows = x.index_select(0, tensor(validation));
        List<Model> models = Fit(fitRows, fitting.Select(i => labels[i]).ToArray(), classes, PenaltiesPerRow);
        long[] validationLabels = validation.Select(i => labels[i]).ToArray();
        double best = -1, bestPenalty = PenaltiesPerRow[0];
        for (int k = 0; k < models.Count; k++)
        {
            double accuracy = Accuracy(models[k], validationRows, validationLabels);
            if (accuracy >= best)
            {
                best = accuracy;
                bestPenalty = PenaltiesPerRow[k];
            }
        }
        return bestPenalty;
    }

    private sealed record Model(Tensor Mean, Tensor Std, Tensor Weights);

    /// <summary>One model per penalty: a Cholesky solve of the penalised Gram matrix each (cheaper than an eigendecomposition for a handful of penalties).</summary>
    private static List<Model> Fit(Tensor x, long[] labels, long classes, IReadOnlyList<double> penaltiesPerRow)
    {
        Tensor mean = x.mean(new long[] { 0 }, keepdim: true);
        // Constant features (std 0) stay 0 rather than being divided by 0.
        Tensor std = x.std(0, unbiased: false, keepdim: true).clamp_min(1e-8);
        Tensor a = x.sub(mean).div(std);
        // Centred features and centred targets: the bias is then the targets' mean and is not shrunk.
        Tensor y = nn.functional.one_hot(tensor(labels), classes).to_type(ScalarType.Float32);
        Tensor yMean = y.mean(new long[] { 0 }, keepdim: true);
        Tensor gram = a.t().matmul(a), right = a.t().matmul(y.sub(yMean));
        Tensor identity = eye(gram.shape[0], dtype: ScalarType.Float32);
        var models = new List<Model>();
        foreach (double penalty in penaltiesPerRow)
        {
            Tensor factor = linalg.cholesky(gram.add(identity.mul(penalty * labels.Length)));
            Tensor weights = cholesky_solve(right, factor);
            models.Add(new Model(mean, std, cat(new[] { weights, yMean }, 0)));
        }
        return models;
    }

    private static double Accuracy(Model model, Tensor x, long[] labels)
    {
        Tensor a = cat(new[] { x.sub(model.Mean).div(model.Std), ones(x.shape[0], 1, dtype: ScalarType.Float32) }, 1);
        long[] predicted = a.matmul(model.Weights).argmax(1).data<long>().ToArray();
        return (double)predicted.Where((p, i) => p == labels[i]).Count() / labels.Length;
    }
}
