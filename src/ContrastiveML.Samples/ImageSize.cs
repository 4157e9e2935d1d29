using System.Globalization;

namespace ContrastiveML.Samples;

/// <summary>Parses the <c>--size HxW</c> option (height first, as <see cref="ImageShape"/> orders it).</summary>
internal static class ImageSize
{
    /// <summary>Height and width from e.g. "32x32"; an <see cref="ArgumentException"/> naming the option and the text otherwise.</summary>
    public static (int Height, int Width) Parse(string text)
    {
        string[] parts = text.Split('x', 'X');
        if (parts.Length == 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int height)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int width)
            && height >= 4 && width >= 4 && height <= 4096 && width <= 4096)
        {
            return (height, width);
        }
        throw new ArgumentException($"--size must be HEIGHTxWIDTH with each from 4 to 4096, e.g. 32x32; found '{text}'.");
    }
}
