using Microsoft.ML;
using Microsoft.ML.Data;

namespace ContrastiveML.Tests;

/// <summary>A row with a known-size pixel vector, as the estimators expect.</summary>
public sealed class PixelRowData
{
    [VectorType(16)]
    public float[] Pixels { get; set; } = Array.Empty<float>();

    public uint Label { get; set; }
}

/// <summary>Small synthetic data sets made in the tests (nothing downloaded).</summary>
internal static class TestData
{
    /// <summary>
    /// <paramref name="rows"/> 1x4x4 images whose first pixel is the row index, so tests can tell rows apart,
    /// and whose other pixels are 0..255 values drawn from <paramref name="seed"/>.
    /// </summary>
    public static IDataView IndexedImages(MLContext ml, int rows, int seed = 0)
    {
        var random = new Random(seed);
        var data = Enumerable.Range(0, rows).Select(i =>
        {
            var pixels = new float[16];
            pixels[0] = i;
            for (int p = 1; p < 16; p++) pixels[p] = random.Next(256);
            return new PixelRowData { Pixels = pixels, Label = (uint)(i % 3) };
        }).ToList();
        return ml.Data.LoadFromEnumerable(data);
    }
}
