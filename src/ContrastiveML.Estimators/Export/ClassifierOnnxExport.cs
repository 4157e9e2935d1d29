using System.Collections.Immutable;
using ContrastiveML.Onnx;
using ContrastiveML.Scoring;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using Microsoft.ML.Transforms;
using Microsoft.ML.Transforms.Onnx;

namespace ContrastiveML.Export;

/// <summary>
/// Finds, in a fitted or loaded ML.NET pipeline, the contrastive encoder and the stock linear multiclass trainer fed by
/// its embedding (directly or through an affine normalizer such as NormalizeMeanVariance / NormalizeMinMax), and writes
/// both as one ONNX graph (<see cref="OnnxClassifierHead"/>): the normalizer is folded into the classifier's weights.
/// ML.NET's own converter (Microsoft.ML.OnnxConverter) cannot do this: the encoder's transformers are not ones it can
/// convert (see the README).
/// </summary>
internal static class ClassifierOnnxExport
{
    public static byte[] Export(ITransformer model, DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputSchema);

        // The pipeline's stages in order, each with the schema it reads.
        var stages = new List<(ITransformer Transformer, DataViewSchema Input)>();
        DataViewSchema schema = inputSchema;
        foreach (ITransformer stage in Flatten(model))
        {
            stages.Add((stage, schema));
            schema = stage.GetOutputSchema(schema);
        }

        int encoderAt = -1;
        byte[]? encoder = null;
        string? embedding = null;
        for (int i = 0; i < stages.Count; i++)
        {
            if (EncoderOf(stages[i].Transformer) is not (byte[] bytes, string output)) continue;
            if (encoder != null)
            {
                throw new ArgumentException($"The model holds more than one contrastive encoder (stages {encoderAt + 1} and {i + 1}); export a pipeline with one.", nameof(model));
            }
            (encoderAt, encoder, embedding) = (i, bytes, output);
        }
        if (encoder == null || embedding == null)
        {
            throw new ArgumentException(
                "The model holds no contrastive encoder (a fitted SimClr/MoCo/... transformer, or its ONNX scorer in a loaded model zip); " +
                $"its stages are {Describe(stages.Select(s => s.Transformer))}.", nameof(model));
        }

        // The last multiclass prediction transformer after the encoder.
        int trainerAt = stages.FindLastIndex(s => IsMulticlassPrediction(s.Transformer));
        if (trainerAt < encoderAt)
        {
            throw new ArgumentException(
                "The model has no multiclass trainer after the encoder (expected e.g. SdcaMaximumEntropy or LbfgsMaximumEntropy on the embedding); " +
                $"its stages are {Describe(stages.Select(s => s.Transformer))}.", nameof(model));
        }
        var trainer = (ISingleFeaturePredictionTransformer<object>)stages[trainerAt].Transformer;
        string features = trainer.FeatureColumnName;

        // Follow the embedding column from the encoder to the trainer: each column that still holds an affine function
        // of the embedding maps to its scale and offset (null: the embedding itself).
        var derived = new Dictionary<string, (float[] Scale, float[] Offset)?> { [embedding] = null };
        for (int i = encoderAt + 1; i < trainerAt; i++)
        {
            (ITransformer stage, DataViewSchema before) = stages[i];
            DataViewSchema after = stage.GetOutputSchema(before);
            var normalized = new Dictionary<string, (float[], float[])?>();
            if (stage is NormalizingTransformer normalizer)
            {
                foreach (var (name, input, parameters) in MLNetInterop.NormalizerColumns(normalizer))
                {
                    if (!derived.TryGetValue(input, out var source)) continue;
                    if (source != null)
                    {
                        throw new ArgumentException($"Column '{name}' normalizes '{input}', which is already a normalized embedding; export supports one affine normalizer between the encoder and the trainer.", nameof(model));
                    }
                    if (parameters is not NormalizingTransformer.AffineNormalizerModelParameters<ImmutableArray<float>> affine)
                    {
                        throw new ArgumentException(
                            $"Column '{name}' normalizes the embedding with {parameters.GetType().Name}; only affine normalizers ((x - offset) * scale: NormalizeMeanVariance, " +
                            "NormalizeMinMax, ...) fold into the classifier.", nameof(model));
                    }
                    float[] scales = affine.Scale.ToArray();
                    float[] offsets = affine.Offset.IsDefaultOrEmpty ? new float[scales.Length] : affine.Offset.ToArray();
                    normalized[name] = (scales, offsets);
                }
            }
            // A stage that writes a column adds one of that name (a new one, or one hiding the input's, placed next to
            // it): a tracked column the stage writes, or drops, no longer holds what it did.
            foreach (string name in derived.Keys.ToList())
            {
                bool written = after.Count(c => c.Name == name) > before.Count(c => c.Name == name);
                if (written || after.GetColumnOrNull(name) is null) derived.Remove(name);
            }
            foreach (var (name, value) in normalized) derived[name] = value;
        }
        if (!derived.TryGetValue(features, out var featureMap))
        {
            throw new ArgumentException(
                $"The trainer reads column '{features}', which is not the encoder's embedding '{embedding}' or an affine normalization of it; " +
                "the classifier can only be exported when its features are the embedding (optionally normalized).", nameof(model));
        }

        if (((IPredictionTransformer<object>)trainer).Model is not LinearMulticlassModelParametersBase linear)
        {
            throw new ArgumentException(
                $"The trainer's model is {((IPredictionTransformer<object>)trainer).Model.GetType().Name}; export supports the linear multiclass models " +
                "(MaximumEntropyModelParameters from SdcaMaximumEntropy / LbfgsMaximumEntropy, LinearMulticlassModelParameters from SdcaNonCalibrated).", nameof(model));
        }
        VBuffer<float>[] rows = Array.Empty<VBuffer<float>>();
        linear.GetWeights(ref rows, out int classes);
        float[] biases = linear.GetBiases().ToArray();
        int dimension = rows[0].Length;
        var weights = new float[classes * dimension];
        for (int k = 0; k < classes; k++) rows[k].CopyTo(weights.AsSpan(k * dimension, dimension));
        if (featureMap is var (scale, offset))
        {
            // W (x - o) * s + b = (W diag(s)) x + (b - W diag(s) o): the normalizer becomes part of the Gemm.
            for (int k = 0; k < classes; k++)
            {
                double shift = 0;
                for (int j = 0; j < dimension; j++)
                {
                    weights[k * dimension + j] *= scale[j];
                    shift += (double)weights[k * dimension + j] * offset[j];
                }
                biases[k] = (float)(biases[k] - shift);
            }
        }

        string[] labels = ClassLabels(stages[trainerAt].Transformer.GetOutputSchema(stages[trainerAt].Input), classes);
        var metadata = new Dictionary<string, string>
        {
            ["contrastiveml.classifier.trainer"] = linear.GetType().Name,
            ["contrastiveml.classifier.features"] = featureMap is null ? embedding : $"{features} (an affine normalization of {embedding}, folded into the weights)",
        };
        return OnnxClassifierHead.Append(encoder, embedding, weights, biases, labels, softmax: linear is MaximumEntropyModelParameters, metadata: metadata);
    }

    /// <summary>
    /// The class labels in score order: the slot names of the trainer's Score column (text label values), else the key
    /// values of its PredictedLabel column written as text (e.g. "9" for a numeric label whose key 0 is class 9: keys
    /// are numbered in the order the values were first seen, not by value), else "0".."K-1" (a key label without values).
    /// </summary>
    private static string[] ClassLabels(DataViewSchema scored, int classes)
    {
        if (scored.GetColumnOrNull("Score") is { } score && score.HasSlotNames())
        {
            VBuffer<ReadOnlyMemory<char>> names = default;
            score.GetSlotNames(ref names);
            string[] labels = names.DenseValues().Select(n => n.ToString()).ToArray();
            if (labels.Length == classes) return labels;
        }
        // HasKeyValues() without a type looks for text values only; a numeric label's are numbers.
        if (scored.GetColumnOrNull("PredictedLabel") is { } predicted
            && predicted.Annotations.Schema.GetColumnOrNull("KeyValues")?.Type is VectorDataViewType { ItemType: var itemType })
        {
            string[] labels = (string[])typeof(ClassifierOnnxExport).GetMethod(nameof(KeyValuesAsText), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!
                .MakeGenericMethod(itemType.RawType).Invoke(null, new object[] { predicted })!;
            if (labels.Length == classes) return labels;
        }
        return Enumerable.Range(0, classes).Select(k => k.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
    }

    private static string[] KeyValuesAsText<T>(DataViewSchema.Column column)
    {
        VBuffer<T> values = default;
        column.Annotations.GetValue("KeyValues", ref values);
        return values.DenseValues().Select(v => Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture) ?? "").ToArray();
    }

    private static bool IsMulticlassPrediction(ITransformer transformer) =>
        transformer.GetType() is { IsGenericType: true } type && type.GetGenericTypeDefinition() == typeof(MulticlassPredictionTransformer<>);

    /// <summary>The exported ONNX bytes and embedding column of an encoder stage, or null for any other stage.</summary>
    private static (byte[] Bytes, string Embedding)? EncoderOf(ITransformer stage)
    {
        switch (stage)
        {
            case ContrastiveEncoderTransformer fitted:
                return (fitted.GetOnnxModel(), fitted.OutputColumnName);
            case BatchedOnnxScorer batched when batched.Stock is OnnxTransformer stock:
                return MLNetInterop.OnnxModelBytes(stock) is byte[] b ? (b, batched.OutputColumnName) : null;
            case OnnxTransformer onnx:
                byte[]? bytes = MLNetInterop.OnnxModelBytes(onnx);
                if (bytes == null || bytes.AsSpan().IndexOf("contrastiveml.method"u8) < 0) return null;
                using (var session = OnnxScoringSession.Create(bytes))
                {
                    if (!session.ModelMetadata.CustomMetadataMap.ContainsKey("contrastiveml.method")) return null;
                    return (bytes, session.OutputMetadata.Keys.First());
                }
            default:
                return null;
        }
    }

    /// <summary>The stages of nested chains in order; a fitted encoder is one stage (its inner chain is its own business).</summary>
    private static IEnumerable<ITransformer> Flatten(ITransformer model)
    {
        if (model is not ContrastiveEncoderTransformer && model is IEnumerable<ITransformer> parts)
        {
            foreach (ITransformer part in parts)
            {
                foreach (ITransformer inner in Flatten(part)) yield return inner;
            }
        }
        else
        {
            yield return model;
        }
    }

    private static string Describe(IEnumerable<ITransformer> stages) =>
        string.Join(" -> ", stages.Select(s => s.GetType().IsGenericType ? s.GetType().Name.Split('`')[0] : s.GetType().Name));
}
