namespace ContrastiveML.Samples.Images;

/// <summary>One decodable image found in an image folder.</summary>
/// <param name="Path">Full path of the file.</param>
/// <param name="RelativePath">Path relative to the scanned folder, with '/' separators (what reports and CSV rows show).</param>
/// <param name="Label">Name of the first-level subfolder holding the file; empty for files directly in the folder.</param>
/// <param name="Width">Width in pixels as decoded (0 when not recorded).</param>
/// <param name="Height">Height in pixels as decoded (0 when not recorded).</param>
/// <param name="Grayscale">True when every pixel has equal red, green and blue (a gray image, whatever the file's colour type).</param>
public sealed record ImageFile(string Path, string RelativePath, string Label, int Width = 0, int Height = 0, bool Grayscale = false);
