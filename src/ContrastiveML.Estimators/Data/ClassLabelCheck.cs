using Microsoft.ML;

namespace ContrastiveML.Data;

/// <summary>How a method that reads class labels words the errors of <see cref="ClassLabelCheck"/>.</summary>
/// <param name="Subject">What needs the classes, e.g. "SupCon" or "Metric learning with labels".</param>
/// <param name="SingleClassAdvice">What to do when the data has fewer than two classes.</param>
/// <param name="UniqueLabelsAdvice">What to do when every label is unique.</param>
internal sealed record ClassLabelWording(string Subject, string SingleClassAdvice, string UniqueLabelsAdvice);

/// <summary>
/// The check every method that reads class labels makes before training: at least two classes (or nothing is
/// contrasted or classified) and not every label unique (the column then most likely holds row ids, not classes).
/// </summary>
internal static class ClassLabelCheck
{
    /// <summary>
    /// Counts the rows of each class of <paramref name="labels"/> in <paramref name="data"/> (which also fixes
    /// <see cref="LabelColumn.ClassCount"/>) and throws an <see cref="InvalidOperationException"/> naming the column
    /// when the classes cannot train the method.
    /// </summary>
    public static void Require(LabelColumn labels, IDataView data, long rows, ClassLabelWording wording, Action checkCanceled)
    {
        Dictionary<long, long> counts = labels.CountRows(data, checkCanceled);
        if (counts.Count < 2)
        {
            throw new InvalidOperationException(
                $"{wording.Subject} needs at least two classes, but label column '{labels.ColumnName}' holds {(counts.Count == 0 ? "no class" : "a single class")} " +
                $"in all {rows} rows. {wording.SingleClassAdvice}");
        }
        if (counts.Values.All(c => c == 1))
        {
            throw new InvalidOperationException(
                $"{wording.Subject} needs images that share a class, but every one of the {counts.Count} labels in column '{labels.ColumnName}' is unique. " +
                wording.UniqueLabelsAdvice);
        }
    }
}
