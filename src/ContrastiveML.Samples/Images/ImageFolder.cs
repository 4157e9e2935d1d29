using Microsoft.ML;
using Microsoft.ML.Data;

namespace ContrastiveML.Samples.Images;

/// <summary>
/// A folder of images (any file, recursively, in ordinal path order), each checked up front by decoding it with
/// <see cref="MLImage.CreateFromFile"/>, so that a bad file is named before training rather than failing inside an
/// ML.NET cursor with a message that does not say which file it was.
/// </summary>
public static class ImageFolder
{
    /// <summary>
    /// Lists and checks the files under <paramref name="directory"/>. Every file that does not decode is written to
    /// <paramref name="report"/> by name; with <see cref="BadFilePolicy.Fail"/> an <see cref="InvalidDataException"/>
    /// naming them follows, with <see cref="BadFilePolicy.Skip"/> they are left out. <paramref name="limit"/> keeps the
    /// first N files (before checking). Throws when the folder is missing or holds no image.
    /// </summary>
    public static IReadOnlyList<ImageFile> Scan(string directory, BadFilePolicy policy, TextWriter report, int? limit = null)
    {
        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"--images: folder '{directory}' was not found.");
        }
        string root = Path.GetFullPath(directory);
        IEnumerable<string> files = Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal);
        if (limit is int l) files = files.Take(l);

        var images = new List<ImageFile>();
        var bad = new List<string>();
        foreach (string file in files)
        {
            string relative = Path.GetRelativePath(root, file).Replace(Path.DirectorySeparatorChar, '/');
            string? problem = TryDecode(file, out int width, out int height, out bool grayscale);
            if (problem != null)
            {
                bad.Add(relative);
                report.WriteLine($"{(policy == BadFilePolicy.Skip ? "skipping" : "bad file")}: '{relative}' is not a readable image ({problem})");
                continue;
            }
            int slash = relative.IndexOf('/');
            images.Add(new ImageFile(file, relative, slash < 0 ? "" : relative[..slash], width, height, grayscale));
        }
        if (bad.Count > 0 && policy == BadFilePolicy.Fail)
        {
            throw new InvalidDataException(
                $"{bad.Count} file(s) under '{directory}' are not readable images: {string.Join(", ", bad.Select(b => $"'{b}'"))}. " +
                "Remove them, or pass --on-bad-file skip to leave them out.");
        }
        if (images.Count == 0)
        {
            throw new InvalidDataException($"--images: folder '{directory}' holds no readable image (expected JPEG or PNG files, searched recursively).");
        }
        return images;
    }

    /// <summary>The rows for an ML.NET pipeline: one per image, path and label.</summary>
    public static IDataView ToDataView(MLContext mlContext, IReadOnlyList<ImageFile> images) =>
        mlContext.Data.LoadFromEnumerable(images.Select(i => new ImageFolderRow { ImagePath = i.Path, Label = i.Label }).ToList());

    /// <summary>
    /// True when every pixel's three colour bytes are equal. MLImage decodes every file to 4 bytes per pixel (BGRA or
    /// RGBA; either way the colour bytes are the first three), so a gray PNG or JPEG is recognised by its content.
    /// </summary>
    internal static bool IsGray(ReadOnlySpan<byte> pixels)
    {
        for (int i = 0; i + 2 < pixels.Length; i += 4)
        {
            if (pixels[i] != pixels[i + 1] || pixels[i] != pixels[i + 2]) return false;
        }
        return true;
    }

    /// <summary>Null when the file decodes (with its size and whether it is gray), otherwise what went wrong.</summary>
    private static string? TryDecode(string file, out int width, out int height, out bool grayscale)
    {
        width = height = 0;
        grayscale = false;
        try
        {
            using MLImage image = MLImage.CreateFromFile(file);
            width = image.Width;
            height = image.Height;
            grayscale = IsGray(image.Pixels);
            return image.Width > 0 && image.Height > 0 ? null : "empty image";
        }
        catch (Exception e) when (e is ArgumentException or IOException or InvalidOperationException or UnauthorizedAccessException or NotSupportedException)
        {
            // MLImage reports undecodable content as "Invalid path (Parameter 'imagePath')", which misleads; say what it means.
            return e is ArgumentException ? "it does not decode as JPEG, PNG, BMP, GIF or WebP" : e.Message;
        }
    }
}
