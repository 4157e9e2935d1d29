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

    /// <summary>
    /// Average pooling over a 3x3 grid of (overlapping) cells of the last feature map: nine values per channel, a finer
    /// layout than <see cref="Quadrants"/> for linear probes on small aligned images, at 9x the embedding size.
    /// </summary>
    Grid3x3,
}

/// <summary>The pooling layers behind <see cref="EmbeddingPooling"/>.</summary>
internal static class EmbeddingPoolingLayers
{
    /// <summary>Values per channel that <paramref name="pooling"/> keeps.</summary>
    public static int Cells(EmbeddingPooling pooling) => GridSide(pooling) * GridSide(pooling);

    private static int GridSide(EmbeddingPooling pooling) => pooling switch
    {
        EmbeddingPooling.Global => 1,
        EmbeddingPooling.Quadrants => 2,
        EmbeddingPooling.Grid3x3 => 3,
        _ => throw new ArgumentOutOfRangeException(nameof(pooling), pooling, "Unknown embedding pooling."),
    };

    /// <summary>
    /// The pooling module for a final feature map of <paramref name="mapHeight"/> x <paramref name="mapWidth"/>.
    /// A grid of n x n cells is an average pool of stride floor(s/n) and kernel s - (n-1)*stride along each side s:
    /// exact cells where n divides s, cells overlapping by a line or two otherwise; ONNX AveragePool exports it as is.
    /// </summary>
    public static Module<Tensor, Tensor> Create(EmbeddingPooling pooling, long mapHeight, long mapWidth, string encoderName)
    {
        int side = GridSide(pooling);
        if (side == 1) return AdaptiveAvgPool2d(1);
        if (mapHeight < side || mapWidth < side)
        {
            throw new ArgumentException(
                $"{encoderName}'s last feature map is {mapHeight}x{mapWidth} for this image size; {pooling} pooling needs at least {side}x{side}. " +
                "Use EmbeddingPooling.Global or larger images.");
        }
        long strideH = mapHeight / side, strideW = mapWidth / side;
        long kernelH = mapHeight - (side - 1) * strideH, kernelW = mapWidth - (side - 1) * strideW;
        return AvgPool2d(new[] { kernelH, kernelW }, new[] { strideH, strideW });
    }
}
