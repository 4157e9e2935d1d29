using ContrastiveML.Encoders;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace ContrastiveML.Samples.Benchmarks;

/// <summary>The images the bench runs on: Fashion-MNIST where the encoder takes it, else generated pixels of the encoder's input shape.</summary>
internal static class BenchImages
{
    /// <summary>The images one encoder is benchmarked on: Fashion-MNIST for CompactCnn (streamed from the IDX files), else random pixels of <paramref name="shape"/>.</summary>
    public static (IDataView Data, string DataName) For(EncoderKind kind, BenchSettings settings, MLContext ml, ImageShape shape, int rows) =>
        kind == EncoderKind.CompactCnn && !settings.Tiny
            ? (FashionMnist.Load(ml, train: true, settings.DataDirectory, rows), "Fashion-MNIST train (streamed, gzip)")
            : (SyntheticPixels(ml, shape, rows), "random pixels (in memory)");

    public static IDataView SyntheticPixels(MLContext ml, ImageShape shape, int rows)
    {
        var random = new Random(1);
        var list = new List<PixelRow>(rows);
        for (int i = 0; i < rows; i++)
        {
            var values = new float[shape.Size];
            for (int j = 0; j < values.Length; j++) values[j] = random.Next(256);
            list.Add(new PixelRow { Pixels = values });
        }
        return ml.Data.LoadFromEnumerable(list, RowSchema(shape));
    }

    public static SchemaDefinition RowSchema(ImageShape shape)
    {
        SchemaDefinition schema = SchemaDefinition.Create(typeof(PixelRow));
        schema[nameof(PixelRow.Pixels)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, shape.Size);
        return schema;
    }

    /// <summary>One row of pixels, for the in-memory data views.</summary>
    internal sealed class PixelRow
    {
        public float[] Pixels { get; set; } = Array.Empty<float>();
    }

    /// <summary>
    /// <paramref name="rows"/> rows of random 0..255 pixels and a uint label (10 classes), made afresh, the same every
    /// time, on each pass over the data (no gigabytes held for 60,000 3x32x32 images).
    /// </summary>
    public static IDataView LabelledSyntheticPixels(MLContext ml, ImageShape shape, int rows)
    {
        IEnumerable<LabelledPixelRow> Generate()
        {
            for (int i = 0; i < rows; i++)
            {
                var random = new Random(i);
                var values = new float[shape.Size];
                for (int j = 0; j < values.Length; j++) values[j] = random.Next(256);
                yield return new LabelledPixelRow { Pixels = values, Label = (uint)(i % 10) };
            }
        }
        SchemaDefinition schema = SchemaDefinition.Create(typeof(LabelledPixelRow));
        schema[nameof(LabelledPixelRow.Pixels)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, shape.Size);
        // An iterator runs its body again on every enumeration, and ML.NET enumerates once per cursor.
        return ml.Data.LoadFromEnumerable(Generate(), schema);
    }

    private sealed class LabelledPixelRow
    {
        public float[] Pixels { get; set; } = Array.Empty<float>();

        public uint Label { get; set; }
    }
}
