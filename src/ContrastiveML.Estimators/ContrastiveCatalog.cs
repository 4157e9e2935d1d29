using ContrastiveML.Encoders;
using Microsoft.ML;

namespace ContrastiveML;

/// <summary>
/// Contrastive pretraining estimators on <c>mlContext.Transforms</c>. Each method has a simple overload for the
/// common case and an overload taking its options class for everything else.
/// </summary>
public static class ContrastiveCatalog
{
    /// <summary>
    /// SimCLR: pretrains an encoder on the images of <paramref name="inputColumnName"/> (no labels needed) and writes its
    /// embedding to <paramref name="outputColumnName"/>.
    /// </summary>
    /// <param name="catalog">The transforms catalog (<c>mlContext.Transforms</c>).</param>
    /// <param name="outputColumnName">Output: a known-size float vector, the encoder's pooled features.</param>
    /// <param name="inputColumnName">Input: a known-size float vector of C*H*W pixels (0..255, CHW) or an image column.</param>
    /// <param name="imageShape">Channels, height and width of one image.</param>
    /// <param name="encoder">The backbone.</param>
    /// <param name="epochs">Passes over the data.</param>
    /// <param name="batchSize">Images per batch.</param>
    public static SimClrEstimator SimClr(this TransformsCatalog catalog, string outputColumnName, string inputColumnName,
                                         ImageShape imageShape, EncoderKind encoder = EncoderKind.CompactCnn, int epochs = 10, int batchSize = 256)
    {
        return catalog.SimClr(new SimClrOptions
        {
            OutputColumnName = outputColumnName,
            InputColumnName = inputColumnName,
            ImageShape = imageShape,
            Encoder = encoder,
            Epochs = epochs,
            BatchSize = batchSize,
        });
    }

    /// <summary>SimCLR with every option (see <see cref="SimClrOptions"/>).</summary>
    /// <param name="catalog">The transforms catalog (<c>mlContext.Transforms</c>).</param>
    /// <param name="options">The options.</param>
    public static SimClrEstimator SimClr(this TransformsCatalog catalog, SimClrOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new SimClrEstimator(MLNetInterop.GetEnvironment(catalog), options);
    }

    /// <summary>
    /// SupCon (supervised contrastive learning, Khosla et al. 2020): pretrains an encoder on the images of
    /// <paramref name="inputColumnName"/> and the class labels of <paramref name="labelColumnName"/>, and writes its
    /// embedding to <paramref name="outputColumnName"/>. The label column is read only while fitting; the fitted
    /// transformer needs the image column alone.
    /// </summary>
    /// <param name="catalog">The transforms catalog (<c>mlContext.Transforms</c>).</param>
    /// <param name="outputColumnName">Output: a known-size float vector, the encoder's pooled features.</param>
    /// <param name="inputColumnName">Input: a known-size float vector of C*H*W pixels (0..255, CHW) or an image column.</param>
    /// <param name="labelColumnName">Class labels: a scalar key, UInt32, Int32, Int64, Single, Double, Boolean or Text column
    /// (missing values, i.e. key 0, NaN or empty text, are an error).</param>
    /// <param name="imageShape">Channels, height and width of one image.</param>
    /// <param name="encoder">The backbone.</param>
    /// <param name="epochs">Passes over the data.</param>
    /// <param name="batchSize">Images per batch (each gives two views); keep it well above the number of classes.</param>
    public static SupConEstimator SupCon(this TransformsCatalog catalog, string outputColumnName, string inputColumnName, string labelColumnName,
                                         ImageShape imageShape, EncoderKind encoder = EncoderKind.CompactCnn, int epochs = 10, int batchSize = 256)
    {
        return catalog.SupCon(new SupConOptions
        {
            OutputColumnName = outputColumnName,
            InputColumnName = inputColumnName,
            LabelColumnName = labelColumnName,
            ImageShape = imageShape,
            Encoder = encoder,
            Epochs = epochs,
            BatchSize = batchSize,
        });
    }

    /// <summary>SupCon with every option (see <see cref="SupConOptions"/>).</summary>
    /// <param name="catalog">The transforms catalog (<c>mlContext.Transforms</c>).</param>
    /// <param name="options">The options.</param>
    public static SupConEstimator SupCon(this TransformsCatalog catalog, SupConOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new SupConEstimator(MLNetInterop.GetEnvironment(catalog), options);
    }

    /// <summary>
    /// Metric learning: pretrains an encoder on the images of <paramref name="inputColumnName"/> with the triplet margin
    /// loss (FaceNet, semi-hard mining, margin 0.2) or the contrastive pair loss (Hadsell et al. 2006, margins 0 and 1)
    /// on Euclidean distances of unit-length embeddings, and writes its embedding to <paramref name="outputColumnName"/>.
    /// With <paramref name="labelColumnName"/> the positives are the images of the same class; without it (null) the
    /// two augmented views of each image. The label column is read only while fitting.
    /// </summary>
    /// <param name="catalog">The transforms catalog (<c>mlContext.Transforms</c>).</param>
    /// <param name="outputColumnName">Output: a known-size float vector, the encoder's pooled features.</param>
    /// <param name="inputColumnName">Input: a known-size float vector of C*H*W pixels (0..255, CHW) or an image column.</param>
    /// <param name="imageShape">Channels, height and width of one image.</param>
    /// <param name="labelColumnName">Class labels (a scalar key, UInt32, Int32, Int64, Single, Double, Boolean or Text
    /// column), or null to learn from the two views of each image without labels.</param>
    /// <param name="loss">Triplet (FaceNet) or Contrastive (Hadsell et al.).</param>
    /// <param name="encoder">The backbone.</param>
    /// <param name="epochs">Passes over the data.</param>
    /// <param name="batchSize">Images per batch (each gives two views); triplets and pairs are mined inside a batch.</param>
    public static MetricLearningEstimator MetricLearning(this TransformsCatalog catalog, string outputColumnName, string inputColumnName,
                                                         ImageShape imageShape, string? labelColumnName = null, MetricLossKind loss = MetricLossKind.Triplet,
                                                         EncoderKind encoder = EncoderKind.CompactCnn, int epochs = 10, int batchSize = 256)
    {
        return catalog.MetricLearning(new MetricLearningOptions
        {
            OutputColumnName = outputColumnName,
            InputColumnName = inputColumnName,
            ImageShape = imageShape,
            LabelColumnName = labelColumnName,
            Loss = loss,
            Encoder = encoder,
            Epochs = epochs,
            BatchSize = batchSize,
        });
    }

    /// <summary>Metric learning with every option (see <see cref="MetricLearningOptions"/>).</summary>
    /// <param name="catalog">The transforms catalog (<c>mlContext.Transforms</c>).</param>
    /// <param name="options">The options.</param>
    public static MetricLearningEstimator MetricLearning(this TransformsCatalog catalog, MetricLearningOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new MetricLearningEstimator(MLNetInterop.GetEnvironment(catalog), options);
    }
}
