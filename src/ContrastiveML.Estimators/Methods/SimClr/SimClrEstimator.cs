using ContrastiveML.Encoders;
using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace ContrastiveML;

/// <summary>
/// Pretrains an image encoder with SimCLR (Chen et al. 2020) on the images of an IDataView, without labels, and
/// returns a transformer that writes the encoder's embedding. Create it with
/// <see cref="ContrastiveCatalog.SimClr(TransformsCatalog, string, string, ImageShape, EncoderKind, int, int)"/>.
/// </summary>
public sealed class SimClrEstimator : ContrastiveEncoderEstimator<SimClrOptions>
{
    /// <summary>Creates the estimator for <paramref name="mlContext"/> (its log receives progress; its CancelExecution stops Fit).</summary>
    public SimClrEstimator(MLContext mlContext, SimClrOptions options)
        : this((IHostEnvironment)mlContext, options)
    {
    }

    internal SimClrEstimator(IHostEnvironment env, SimClrOptions options)
        : base(env, options, Methods.SimClr.SimClrDescriptor.Instance)
    {
    }
}
