using ContrastiveML.Encoders;
using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace ContrastiveML;

/// <summary>
/// Pretrains image encoders with Contrastive Multiview Coding (CMC; Tian, Krishnan and Isola 2020) on the images of an
/// IDataView, and returns a transformer that writes the concatenated features of the per-view encoders. Create it with
/// <see cref="ContrastiveCatalog.Cmc(TransformsCatalog, string, string, ImageShape, EncoderKind, int, int)"/>.
/// </summary>
/// <remarks>
/// The view split is part of the model: the exported ONNX graph converts sRGB to Lab (or splits the gray image into
/// frequency bands) before the view encoders, so the saved pipeline takes the same raw pixels as every other estimator.
/// Options that do not fit the image shape (a Lab split for 1-channel images, any split for 2 or 4 channels) fail when
/// the estimator is created; a memory bank larger than the data (given explicitly) fails Fit before training, and the
/// default bank (MemoryBankSize = null) is sized from the data.
/// </remarks>
public sealed class CmcEstimator : ContrastiveEncoderEstimator<CmcOptions>
{
    /// <summary>Creates the estimator for <paramref name="mlContext"/> (its log receives progress; its CancelExecution stops Fit).</summary>
    public CmcEstimator(MLContext mlContext, CmcOptions options)
        : this((IHostEnvironment)mlContext, options)
    {
    }

    internal CmcEstimator(IHostEnvironment env, CmcOptions options)
        : base(env, options, Methods.Cmc.CmcDescriptor.Instance)
    {
    }
}
