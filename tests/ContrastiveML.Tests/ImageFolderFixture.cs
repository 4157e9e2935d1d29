using SkiaSharp;

namespace ContrastiveML.Tests;

/// <summary>
/// A temporary image folder: two labelled subfolders of small PNGs (written with SkiaSharp, ImageAnalytics' own
/// dependency) and one file that is not an image, <c>dogs/broken.png</c>.
/// </summary>
internal sealed class ImageFolderFixture : IDisposable
{
    public const int ImagesPerLabel = 4;
    public const string BrokenFile = "dogs/broken.png";

    public ImageFolderFixture()
    {
        Root = Directory.CreateTempSubdirectory("contrastiveml-images-").FullName;
        Images = Path.Combine(Root, "images");
        var random = new Random(11);
        foreach (string label in new[] { "cats", "dogs" })
        {
            Directory.CreateDirectory(Path.Combine(Images, label));
            for (int i = 0; i < ImagesPerLabel; i++) WritePng(Path.Combine(Images, label, $"{label}{i}.png"), 12 + i, 10, random);
        }
        File.WriteAllText(Path.Combine(Images, BrokenFile), "this is not a PNG");
    }

    /// <summary>The temporary folder (images and outputs).</summary>
    public string Root { get; }

    /// <summary>The image folder.</summary>
    public string Images { get; }

    /// <summary>A path under <see cref="Root"/> for an output file.</summary>
    public string Output(string name) => Path.Combine(Root, name);

    public void Dispose() => Directory.Delete(Root, recursive: true);

    private static void WritePng(string path, int width, int height, Random random)
    {
        using var bitmap = new SKBitmap(width, height);
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++) bitmap.SetPixel(x, y, new SKColor((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256)));
        }
        using SKImage image = SKImage.FromBitmap(bitmap);
        using SKData data = image.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(path, data.ToArray());
    }
}
