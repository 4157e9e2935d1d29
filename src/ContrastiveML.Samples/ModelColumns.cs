namespace ContrastiveML.Samples;

/// <summary>The column names of the models <c>pretrain</c> saves and <c>embed</c> loads.</summary>
internal static class ModelColumns
{
    /// <summary>The image column the pipeline loads into and the estimator reads.</summary>
    public const string Image = "Image";

    /// <summary>The embedding column of saved models.</summary>
    public const string Embedding = "Embedding";
}
