namespace ContrastiveML.Samples.Images;

/// <summary>
/// The row an image-folder pipeline starts from: ML.NET's LoadImages reads <see cref="ImagePath"/>. The label travels
/// with it (unused by SimCLR, kept for supervised methods and for colouring plots).
/// </summary>
public sealed class ImageFolderRow
{
    /// <summary>Name of the path column that saved image models expect.</summary>
    public const string PathColumn = nameof(ImagePath);

    /// <summary>Full path of the image file.</summary>
    public string ImagePath { get; set; } = "";

    /// <summary>Subfolder name, or empty.</summary>
    public string Label { get; set; } = "";
}
