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
    /// The estimator of the pretraining method whose options type is <typeparamref name="TOptions"/>: any of the library's
    /// methods (the same estimator as its own catalog method) or a method registered at run time.
    /// </summary>
    /// <typeparam name="TOptions">The method's options type.</typeparam>
    /// <param name="catalog">The transforms catalog (<c>mlContext.Transforms</c>).</param>
    /// <param name="options">The options.</param>
    /// <exception cref="ArgumentException">No method takes <typeparamref name="TOptions"/>, or an option is invalid.</exception>
    public static ContrastiveEncoderEstimator<TOptions> ContrastiveEncoder<TOptions>(this TransformsCatalog catalog, TOptions options)
        where TOptions : ContrastiveEncoderOptions, new()
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(options);
        return Methods.MethodRegistry.Get<TOptions>().CreateEstimator(MLNetInterop.GetEnvironment(catalog), options);
    }

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
    /// CMC (Contrastive Multiview Coding, Tian, Krishnan and Isola 2020): splits each image of <paramref name="inputColumnName"/>
    /// into views (Lab's L and ab for 3-channel images, low and high frequency bands for 1-channel images), pretrains one
    /// encoder per view without labels, and writes the concatenated view features to <paramref name="outputColumnName"/>.
    /// </summary>
    /// <param name="catalog">The transforms catalog (<c>mlContext.Transforms</c>).</param>
    /// <param name="outputColumnName">Output: a known-size float vector, the view encoders' pooled features, concatenated.</param>
    /// <param name="inputColumnName">Input: a known-size float vector of C*H*W pixels (0..255, CHW) or an image column; 1 or 3 channels.</param>
    /// <param name="imageShape">Channels, height and width of one image.</param>
    /// <param name="encoder">The backbone of each view (at half its default width).</param>
    /// <param name="epochs">Passes over the data.</param>
    /// <param name="batchSize">Images per batch.</param>
    public static CmcEstimator Cmc(this TransformsCatalog catalog, string outputColumnName, string inputColumnName,
                                   ImageShape imageShape, EncoderKind encoder = EncoderKind.CompactCnn, int epochs = 10, int batchSize = 256)
    {
        return catalog.Cmc(new CmcOptions
        {
            OutputColumnName = outputColumnName,
            InputColumnName = inputColumnName,
            ImageShape = imageShape,
            Encoder = encoder,
            Epochs = epochs,
            BatchSize = batchSize,
        });
    }

    /// <summary>CMC with every option (see <see cref="CmcOptions"/>).</summary>
    /// <param name="catalog">The transforms catalog (<c>mlContext.Transforms</c>).</param>
    /// <param name="options">The options.</param>
    public static CmcEstimator Cmc(this TransformsCatalog catalog, CmcOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new CmcEstimator(MLNetInterop.GetEnvironment(catalog), options);
    }

    /// <summary>
    /// Supervised pretraining with cross-entropy: trains an encoder on the images of <paramref name="inputColumnName"/>
    /// with a linear classifier head on the class labels of <paramref name="labelColumnName"/> (the head is dropped
    /// after training), and writes its embedding to <paramref name="outputColumnName"/>. The reference the contrastive
    /// methods are compared with at the same budget. The label column is read only while fitting.
    /// </summary>
    /// <param name="catalog">The transforms catalog (<c>mlContext.Transforms</c>).</param>
    /// <param name="outputColumnName">Output: a known-size float vector, the encoder's pooled features.</param>
    /// <param name="inputColumnName">Input: a known-size float vector of C*H*W pixels (0..255, CHW) or an image column.</param>
    /// <param name="labelColumnName">Class labels: a scalar key, UInt32, Int32, Int64, Single, Double, Boolean or Text column
    /// (missing values, i.e. key 0, NaN or empty text, are an error).</param>
    /// <param name="imageShape">Channels, height and width of one image.</param>
    /// <param name="encoder">The backbone.</param>
    /// <param name="epochs">Passes over the data.</param>
    /// <param name="batchSize">Images per batch.</param>
    public static SupervisedPretrainingEstimator SupervisedPretraining(this TransformsCatalog catalog, string outputColumnName, string inputColumnName,
                                                                      string labelColumnName, ImageShape imageShape, EncoderKind encoder = EncoderKind.CompactCnn,
                                                                      int epochs = 10, int batchSize = 256)
    {
        return catalog.SupervisedPretraining(new SupervisedPretrainingOptions
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

    /// <summary>Supervised cross-entropy pretraining with every option (see <see cref="SupervisedPretrainingOptions"/>).</summary>
    /// <param name="catalog">The transforms catalog (<c>mlContext.Transforms</c>).</param>
    /// <param name="options">The options.</param>
    public static SupervisedPretrainingEstimator SupervisedPretraining(this TransformsCatalog catalog, SupervisedPretrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new SupervisedPretrainingEstimator(MLNetInterop.GetEnvironment(catalog), options);
    }

    /// <summary>
    /// MoCo v2 (momentum contrast, He et al. 2020; Chen et al. 2020): pretrains an encoder on the images of
    /// <paramref name="inputColumnName"/> (no labels needed) against a queue of negative keys from a momentum encoder,
    /// and writes the query encoder's embedding to <paramref name="outputColumnName"/>. The queue size, key momentum
    /// and the rest are in <see cref="MoCoOptions"/>.
    /// </summary>
    /// <param name="catalog">The transforms catalog (<c>mlContext.Transforms</c>).</param>
    /// <param name="outputColumnName">Output: a known-size float vector, the encoder's pooled features.</param>
    /// <param name="inputColumnName">Input: a known-size float vector of C*H*W pixels (0..255, CHW) or an image column.</param>
    /// <param name="imageShape">Channels, height and width of one image.</param>
    /// <param name="encoder">The backbone.</param>
    /// <param name="epochs">Passes over the data.</param>
    /// <param name="batchSize">Images per batch (the paper's 256); at least 2 * <see cref="MoCoOptions.ShuffleBatchNormGroups"/>.</param>
    public static MoCoEstimator MoCo(this TransformsCatalog catalog, string outputColumnName, string inputColumnName,
                                     ImageShape imageShape, EncoderKind encoder = EncoderKind.CompactCnn, int epochs = 10, int batchSize = 256)
    {
        return catalog.MoCo(new MoCoOptions
        {
            OutputColumnName = outputColumnName,
            InputColumnName = inputColumnName,
            ImageShape = imageShape,
            Encoder = encoder,
            Epochs = epochs,
            BatchSize = batchSize,
        });
    }

    /// <summary>MoCo v2 with every option (see <see cref="MoCoOptions"/>).</summary>
    /// <param name="catalog">The transforms catalog (<c>mlContext.Transforms</c>).</param>
    /// <param name="options">The options.</param>
    public static MoCoEstimator MoCo(this TransformsCatalog catalog, MoCoOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new MoCoEstimator(MLNetInterop.GetEnvironment(catalog), options);
    }

    /// <summary>
    /// DenseCL (dense contrastive learning, Wang et al. 2021): pretrains an encoder on the images of
    /// <paramref name="inputColumnName"/> (no labels needed) with MoCo v2 plus a dense contrastive loss between the
    /// matched cells of the two views' feature grids, and writes its embedding to <paramref name="outputColumnName"/>.
    /// Set <see cref="DenseClOptions.DenseOutputColumnName"/> (Options overload) to also write the grid of dense features.
    /// </summary>
    /// <param name="catalog">The transforms catalog (<c>mlContext.Transforms</c>).</param>
    /// <param name="outputColumnName">Output: a known-size float vector, the query encoder's pooled features.</param>
    /// <param name="inputColumnName">Input: a known-size float vector of C*H*W pixels (0..255, CHW) or an image column.</param>
    /// <param name="imageShape">Channels, height and width of one image.</param>
    /// <param name="encoder">The backbone.</param>
    /// <param name="epochs">Passes over the data.</param>
    /// <param name="batchSize">Images per batch.</param>
    public static DenseClEstimator DenseCl(this TransformsCatalog catalog, string outputColumnName, string inputColumnName,
                                           ImageShape imageShape, EncoderKind encoder = EncoderKind.CompactCnn, int epochs = 10, int batchSize = 256)
    {
        return catalog.DenseCl(new DenseClOptions
        {
            OutputColumnName = outputColumnName,
            InputColumnName = inputColumnName,
            ImageShape = imageShape,
            Encoder = encoder,
            Epochs = epochs,
            BatchSize = batchSize,
        });
    }

    /// <summary>DenseCL with every option (see <see cref="DenseClOptions"/>).</summary>
    /// <param name="catalog">The transforms catalog (<c>mlContext.Transforms</c>).</param>
    /// <param name="options">The options.</param>
    public static DenseClEstimator DenseCl(this TransformsCatalog catalog, DenseClOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new DenseClEstimator(MLNetInterop.GetEnvironment(catalog), options);
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
