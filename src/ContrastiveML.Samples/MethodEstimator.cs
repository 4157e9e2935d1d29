using Microsoft.ML;

namespace ContrastiveML.Samples;

/// <summary>The catalog estimator of a method's options: the one switch the probe, pretrain and bench verbs share.</summary>
internal static class MethodEstimator
{
    /// <summary>
    /// <c>ml.Transforms.X(options)</c> for the method whose options <paramref name="options"/> are. DenseCL's options
    /// derive from MoCo's, so they are matched first.
    /// </summary>
    /// <exception cref="InvalidOperationException">The options are of a type no catalog method takes.</exception>
    public static IEstimator<ContrastiveEncoderTransformer> For(MLContext ml, ContrastiveEncoderOptions options) => options switch
    {
        CmcOptions cmc => ml.Transforms.Cmc(cmc),
        SupConOptions supCon => ml.Transforms.SupCon(supCon),
        SupervisedPretrainingOptions crossEntropy => ml.Transforms.SupervisedPretraining(crossEntropy),
        DenseClOptions denseCl => ml.Transforms.DenseCl(denseCl),
        MoCoOptions moCo => ml.Transforms.MoCo(moCo),
        MetricLearningOptions metric => ml.Transforms.MetricLearning(metric),
        SimClrOptions simClr => ml.Transforms.SimClr(simClr),
        _ => throw new InvalidOperationException($"No estimator for {options.GetType().Name}."),
    };
}
