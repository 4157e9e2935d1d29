using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ContrastiveML.Encoders;

/// <summary>How an encoder pools its last feature map into the embedding vector.</summary>
public enum EmbeddingPooling
{
    /// <summary>Global average pooling: one value per channel (the SimCLR/ResNet convention).</summary>
    Global,

    /// <summary>
    /// Average pooling over the four quadrants of the last feature map: four values per channel, so the embedding
    /// keeps where in the image a feature fired. Quadrant pooling is the classic readout for linear classifiers on
    /// small, roughly aligned images (Coates, Lee and Ng, "An Analysis of Single-Layer Networks in Unsupervised
    /// Feature Learning", AISTATS 2011); on an odd-sized map the two halves share the middle row or column.
    /// </summary>
    Quadrants,
}

/// <summary>The pooling layers behind <see cref="EmbeddingPooling"/>.</summary>
internal static class EmbeddingPoolingLayers
{
    /// <summary>Values per channel that <paramref name="pooling"/> keeps.</summary>
    public static int Cells(EmbeddingPooling pooling) => pooling == EmbeddingPooling.Quadrants ? 4 : 1;

    /// <summary>
    /// The pooling module for a final feature map of <paramref name="mapHeight"/> x <paramref name="mapWidth"/>.
    /// Quadrants use an average pool of kernel ceil(s/2) and stride s - ceil(s/2): exact halves on even sizes,
    /// halves overlapping by one line on odd sizes, exported to ONNX as a plain AveragePool.
    /// </summary>
    public static Module<Tensor, Tensor> Create(EmbeddingPooling pooling, long mapHeight, long mapWidth, string encoderName)
    {
        switch (pooling)
        {
            case EmbeddingPooling.Global:
                return AdaptiveAvgPool2d(1);
            case EmbeddingPooling.Quadrants:
                if (mapHeight < 2 || mapWidth < 2)
                {
                    throw new ArgumentException(
                        $"{encoderName}'s last feature map is {mapHeight}x{mapWidth} for this image size; quadrant pooling needs at least 2x2. Use EmbeddingPooling.Global or larger images.");
                }
                long kernelH = (mapHeight + 1) / 2, kernelW = (mapWidth + 1) / 2;
                return AvgPool2d(new[] { kernelH, kernelW }, new[] { mapHeight - kernelH, mapWidth - kernelW });
            default:
                throw new ArgumentOutOfRangeException(nameof(pooling), pooling, "Unknown embedding pooling.");
        }
    }
}
