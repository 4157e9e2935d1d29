using Microsoft.ML;
using Microsoft.ML.Data;

namespace ContrastiveML.Samples.Probing;

/// <summary>
/// Linear probing, the standard evaluation of self-supervised representations: a multinomial logistic regression
/// (ML.NET's L-BFGS maximum entropy) on frozen features, standardised per feature, scored by test accuracy.
/// </summary>
internal static class LinearProbe
{
    /// <summary>Accuracy of the linear trainer on column <paramref name="features"/> as it already is in the data.</summary>
    public static double Accuracy(MLContext ml, IDataView train, IDataView test, string features)
    {
        return Accuracy<ITransformer>(ml, train, test, features, featurizer: null, out _);
    }

    /// <summary>
    /// Accuracy of the linear trainer on the features written by <paramref name="featurizer"/>, fitted as the first
    /// stage of one ordinary ML.NET pipeline: featurizer -> drop pixels -> cache -> key labels -> normalise -> L-BFGS.
    /// </summary>
    public static double Accuracy<TFeaturizer>(MLContext ml, IDataView train, IDataView test, string features,
                                              IEstimator<TFeaturizer>? featurizer, out TFeaturizer? fitted)
        where TFeaturizer : class, ITransformer => Accuracy(ml, train, test, features, featurizer, out fitted, out _);

    /// <summary>As above, also giving the whole fitted pipeline (featurizer and probe), e.g. to export it as one classifier.</summary>
    public static double Accuracy<TFeaturizer>(MLContext ml, IDataView train, IDataView test, string features,
                                              IEstimator<TFeaturizer>? featurizer, out TFeaturizer? fitted, out ITransformer fittedPipeline)
        where TFeaturizer : class, ITransformer
    {
        IEstimator<ITransformer> probe = ml.Transforms.Conversion.MapValueToKey("LabelKey", "Label")
            .Append(ml.Transforms.NormalizeMeanVariance("ProbeFeatures", features))
            .Append(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy("LabelKey", "ProbeFeatures"));
        ITransformer model;
        fitted = null;
        if (featurizer == null)
        {
            model = probe.Fit(train);
        }
        else
        {
            // The featurizer's output is cached so the trainer's passes do not recompute the embeddings.
            var pipeline = featurizer
                .Append(ml.Transforms.SelectColumns("Label", features))
                .AppendCacheCheckpoint(ml)
                .Append(probe);
            var chain = pipeline.Fit(train);
            fitted = ((IEnumerable<ITransformer>)chain).OfType<TFeaturizer>().First();
            model = chain;
        }
        fittedPipeline = model;
        MulticlassClassificationMetrics metrics = ml.MulticlassClassification.Evaluate(model.Transform(test), "LabelKey");
        return metrics.MicroAccuracy;
    }
}
