using System.Globalization;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;

namespace ContrastiveML.Onnx;

/// <summary>
/// Puts a linear classifier on an exported encoder, giving one ONNX model that classifies raw pixels:
/// <c>Gemm(embedding, W, b)</c>, then <c>Softmax</c> for a probabilistic classifier (multinomial logistic regression),
/// and <c>ArgMax</c> for the predicted class. The model keeps the encoder's input and outputs and adds:
/// <list type="bullet">
/// <item><c>scoreOutput</c> [N, K] float: the class scores (probabilities after Softmax);</item>
/// <item><c>indexOutput</c> [N] int64: the index of the highest score, into the class labels;</item>
/// <item>metadata_props <c>contrastiveml.classifier.labels</c> (a JSON array of the K labels in score order),
/// <c>contrastiveml.classifier.outputs</c>, <c>contrastiveml.classifier.softmax</c>, plus the caller's entries.</item>
/// </list>
/// </summary>
public static class OnnxClassifierHead
{
    /// <summary>Metadata key of the class labels (a JSON array of strings, in the order of the score columns).</summary>
    public const string LabelsKey = "contrastiveml.classifier.labels";

    /// <summary>
    /// Returns <paramref name="encoderModel"/> with the classifier appended (see the class summary).
    /// </summary>
    /// <param name="encoderModel">An exported encoder: one float input [N, C*H*W], an output <paramref name="embeddingOutput"/> [N, D].</param>
    /// <param name="embeddingOutput">The encoder output the classifier reads.</param>
    /// <param name="weights">K rows of D weights, row-major (class k's weights at [k*D, (k+1)*D)).</param>
    /// <param name="biases">K biases.</param>
    /// <param name="labels">K class labels, in the order of the weight rows.</param>
    /// <param name="softmax">Apply Softmax to the linear scores (true for a maximum-entropy classifier).</param>
    /// <param name="scoreOutput">Name of the score output.</param>
    /// <param name="indexOutput">Name of the predicted-index output.</param>
    /// <param name="metadata">Further metadata_props entries (keys must not be in the encoder already).</param>
    public static byte[] Append(byte[] encoderModel, string embeddingOutput, float[] weights, float[] biases, IReadOnlyList<string> labels, bool softmax,
                                string scoreOutput = "Score", string indexOutput = "PredictedIndex", IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(encoderModel);
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(biases);
        ArgumentNullException.ThrowIfNull(labels);
        int classes = biases.Length;
        if (classes < 2) throw new ArgumentException($"A classifier needs at least 2 classes; the biases give {classes}.", nameof(biases));
        if (labels.Count != classes) throw new ArgumentException($"{labels.Count} labels were given for {classes} classes.", nameof(labels));

        string[] inputs, outputs;
        long dimension;
        using (var session = new InferenceSession(encoderModel))
        {
            inputs = session.InputMetadata.Keys.ToArray();
            outputs = session.OutputMetadata.Keys.ToArray();
            if (!session.OutputMetadata.TryGetValue(embeddingOutput, out NodeMetadata? embedding))
            {
                throw new ArgumentException($"The encoder has no output '{embeddingOutput}'; its outputs are {string.Join(", ", outputs.Select(o => $"'{o}'"))}.", nameof(embeddingOutput));
            }
            int[] dims = embedding.Dimensions;
            if (dims.Length != 2 || dims[1] <= 0)
            {
                throw new ArgumentException($"The encoder output '{embeddingOutput}' has shape [{string.Join(", ", dims)}]; a classifier reads [N, D] with D known.", nameof(embeddingOutput));
            }
            dimension = dims[1];
            foreach (string key in session.ModelMetadata.CustomMetadataMap.Keys.Where(k => k.StartsWith("contrastiveml.classifier.", StringComparison.Ordinal) || metadata?.ContainsKey(k) == true))
            {
                throw new ArgumentException($"The encoder already has the metadata key '{key}' (a classifier was appended before?); append to the plain encoder.", nameof(encoderModel));
            }
        }
        if (weights.Length != classes * dimension)
        {
            throw new ArgumentException($"The weights hold {weights.Length} values; {classes} classes x {dimension} embedding values = {classes * dimension} were expected.", nameof(weights));
        }
        foreach (string name in new[] { scoreOutput, indexOutput })
        {
            if (string.IsNullOrWhiteSpace(name) || inputs.Contains(name) || outputs.Contains(name))
            {
                throw new ArgumentException($"The output name '{name}' is empty or already a graph input or output ({string.Join(", ", inputs.Concat(outputs))}).");
            }
        }
        if (scoreOutput == indexOutput) throw new ArgumentException($"The score and index outputs need different names; both are '{scoreOutput}'.");

        // Every tensor name here starts with a prefix the encoder export never uses, so nothing collides with the
        // encoder's internal names, which are not parsed.
        const string Prefix = "contrastiveml_classifier.";
        var graph = new OnnxGraphBuilder(Prefix + "head");
        graph.ReserveNames(inputs.Concat(outputs));
        OnnxDimension batch = OnnxDimension.Symbolic("N");
        string w = graph.AddInitializer(Prefix + "weights", weights, classes, dimension);
        string b = graph.AddInitializer(Prefix + "biases", biases, classes);
        string linear = graph.AddNamedNode(Prefix + "gemm", "Gemm", new[] { embeddingOutput, w, b }, OnnxAttribute.Int("transB", 1));
        string scores = softmax ? graph.AddNamedNode(Prefix + "softmax", "Softmax", new[] { linear }, OnnxAttribute.Int("axis", 1)) : linear;
        string index = graph.AddNamedNode(Prefix + "argmax", "ArgMax", new[] { scores }, OnnxAttribute.Int("axis", 1), OnnxAttribute.Int("keepdims", 0));
        graph.AddOutput(scoreOutput, scores, batch, classes);
        graph.AddInt64Output(indexOutput, index, batch);

        var entries = new Dictionary<string, string>(metadata ?? new Dictionary<string, string>())
        {
            [LabelsKey] = JsonSerializer.Serialize(labels),
            ["contrastiveml.classifier.outputs"] = $"{scoreOutput} [N,{classes}] float: class {(softmax ? "probabilities (Softmax)" : "scores")}; " +
                                                  $"{indexOutput} [N] int64: index of the highest score into {LabelsKey}",
            ["contrastiveml.classifier.softmax"] = softmax ? "true" : "false",
            ["contrastiveml.classifier.embedding_dim"] = dimension.ToString(CultureInfo.InvariantCulture),
        };
        return new OnnxGraphExtension(graph.Graph, entries).AppendTo(encoderModel);
    }
}
