using SkiaSharp;

namespace ContrastiveML.Tests;

/// <summary>
/// A temporary image folder: two labelled subfolders of small images of different sizes (written with SkiaSharp,
/// ImageAnalytics' own dependency): colour PNGs and, as the last cat, a grayscale JPEG; and one file that is not an
/// image, <c>dogs/broken.png</c>.
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
            for (int i = 0; i < ImagesPerLabel; i++)
            {
                bool grayJpeg = label == "cats" && i == ImagesPerLabel - 1;
                Write(Path.Combine(Images, label, $"{label}{i}.{(grayJpeg ? "jpg" : "png")}"), 12 + i, 10, random,
                      grayJpeg ? SKColorType.Gray8 : SKColorType.Rgba8888, grayJpeg ? SKEncodedImageFormat.Jpeg : SKEncodedImageFormat.Png);
            }
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

    private static void Write(string path, int width, int height, Random random, SKColorType colorType, SKEncodedImageFormat format)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, colorType, SKAlphaType.Opaque));
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++) bitmap.SetPixel(x, y, new SKColor((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256)));
        }
        using SKImage image = SKImage.FromBitmap(bitmap);
        using SKData data = image.Encode(format, 90);
        File.WriteAllBytes(path, data.ToArray());
    }
}
