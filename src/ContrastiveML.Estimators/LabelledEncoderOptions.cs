namespace ContrastiveML;

/// <summary>
/// Options of the methods that read class labels alongside the pixels (SupCon, cross-entropy, metric learning): the
/// label column, declared once. The labels are read only while fitting; the fitted transformer needs the pixels alone.
/// </summary>
public abstract class LabelledEncoderOptions : ContrastiveEncoderOptions
{
    /// <summary>
    /// The class-label column: a scalar key, UInt32, Int32, Int64, Single, Double, Boolean or Text column (missing values,
    /// i.e. key 0, NaN or empty text, are an error). "Label" by default; a method that can learn without labels
    /// (<see cref="LabelsOptional"/>) takes null for none and has null as its default.
    /// </summary>
    public string? LabelColumnName = "Label";

    /// <summary>Whether the method also learns without labels, from <see cref="LabelColumnName"/> = null.</summary>
    private protected virtual bool LabelsOptional => false;

    /// <inheritdoc />
    internal override void Validate()
    {
        base.Validate();
        if (LabelColumnName is null && LabelsOptional) return;
        if (string.IsNullOrWhiteSpace(LabelColumnName))
        {
            throw new ArgumentException(LabelsOptional
                ? "The label column name must be null (learn without labels) or a column name; found a blank name."
                : "The label column name must be given.", nameof(LabelColumnName));
        }
    }
}
