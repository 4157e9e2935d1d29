using ContrastiveML.Onnx;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ContrastiveML.Encoders;

/// <summary>
/// An encoder's last feature map average-pooled to an S x S grid (PyTorch's adaptive average pooling cells): the dense
/// features DenseCL matches between views, projects cell by cell, and optionally exports.
/// </summary>
internal static class DenseFeatureGrid
{
    /// <summary>DenseCL's grid side (the 7x7 map of a ResNet-50 at 224x224 pixels).</summary>
    public const int DefaultSize = 7;

    /// <summary>
    /// The grid side to use: <paramref name="requested"/> when given (it must not exceed the feature map, whose cells
    /// would otherwise be repeated), else <see cref="DefaultSize"/> or the map's smaller side when that is smaller.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The requested side is larger than the encoder's feature map.</exception>
    public static int Resolve(int? requested, ImageEncoder encoder, string optionName)
    {
        int largest = Math.Min(encoder.FeatureMapHeight, encoder.FeatureMapWidth);
        if (requested is not int size) return Math.Min(DefaultSize, largest);
        if (size > largest)
        {
            throw new ArgumentOutOfRangeException(optionName, size,
                $"Option {optionName} must be at most {largest}, the smaller side of {encoder.Kind}'s last feature map " +
                $"({encoder.FeatureMapHeight}x{encoder.FeatureMapWidth} for {encoder.InputShape} images); found {size}. " +
                "Use a smaller grid, larger images, or leave it null for the default.");
        }
        return size;
    }

    /// <summary>Pools a feature map [N, C, h, w] to [N, C, S, S]; the map itself when it already is S x S.</summary>
    public static Tensor Pool(Tensor featureMap, int size) =>
        featureMap.shape[2] == size && featureMap.shape[3] == size
            ? featureMap.alias()
            : F.adaptive_avg_pool2d(featureMap, new long[] { size, size });

    /// <summary>The same pooling in an ONNX graph, reading <paramref name="featureMap"/>, the encoder's feature map tensor.</summary>
    public static string ExportOnnx(OnnxGraphBuilder graph, string featureMap, ImageEncoder encoder, int size) =>
        OnnxLayers.AdaptiveAvgPool2d(graph, featureMap, encoder.FeatureMapHeight, encoder.FeatureMapWidth, size, size, "dense_grid");
}
