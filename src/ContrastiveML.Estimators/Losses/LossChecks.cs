using static TorchSharp.torch;

namespace ContrastiveML.Losses;

/// <summary>Input checks shared by the label-aware losses.</summary>
internal static class LossChecks
{
    /// <summary>Throws unless <paramref name="features"/> is [M, D] (M, D ≥ 1) and <paramref name="labels"/> an int64 [M] on the same device.</summary>
    internal static void FeaturesAndLabels(Tensor features, Tensor labels, string featuresName, string labelsName)
    {
        if (features.dim() != 2 || features.shape[0] < 1 || features.shape[1] < 1)
            throw new ArgumentException($"Expected [M, D] features with M, D ≥ 1; got [{string.Join(", ", features.shape)}].", featuresName);
        if (!features.is_floating_point())
            throw new ArgumentException($"The features must be a floating-point tensor; got {features.dtype}.", featuresName);
        if (labels.dim() != 1 || labels.shape[0] != features.shape[0])
            throw new ArgumentException($"Expected labels of shape [{features.shape[0]}] (one per feature row); got [{string.Join(", ", labels.shape)}].", labelsName);
        if (labels.dtype != ScalarType.Int64)
            throw new ArgumentException($"The labels must be int64; got {labels.dtype}.", labelsName);
        if (features.device_type != labels.device_type || features.device_index != labels.device_index)
            throw new ArgumentException($"The features ({features.device}) and labels ({labels.device}) are on different devices.", labelsName);
    }

    /// <summary>Throws unless <paramref name="value"/> is a finite number ≥ 0; <paramref name="description"/> names it in the message.</summary>
    internal static void NonNegativeMargin(double value, string parameterName, string description)
    {
        if (!(value >= 0 && double.IsFinite(value)))
            throw new ArgumentOutOfRangeException(parameterName, value, $"{description} must be a finite number ≥ 0; found {value}.");
    }

    /// <summary>Throws unless <paramref name="value"/> is a defined member of its enum; <paramref name="what"/> names the kind.</summary>
    internal static void Defined<TEnum>(TEnum value, string parameterName, string what) where TEnum : struct, Enum
    {
        if (!Enum.IsDefined(value))
            throw new ArgumentOutOfRangeException(parameterName, value, $"Unknown {what} {value}.");
    }
}
