using System.Buffers.Binary;
using System.IO.Compression;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace ContrastiveML.Samples;

/// <summary>One Fashion-MNIST image: 784 raw pixel values (0..255, 1x28x28 CHW) and its class (0..9).</summary>
public sealed class FashionMnistImage
{
    /// <summary>Pixels, row-major 28x28, 0..255.</summary>
    [VectorType(FashionMnist.Pixels)]
    public float[] Pixels { get; set; } = Array.Empty<float>();

    /// <summary>Class index 0..9 (T-shirt/top, Trouser, Pullover, Dress, Coat, Sandal, Shirt, Sneaker, Bag, Ankle boot).</summary>
    public uint Label { get; set; }
}

/// <summary>
/// Fashion-MNIST (Xiao, Rasul, Vollgraf 2017) from the IDX files that Debian's <c>dataset-fashion-mnist</c> package
/// installs. The files are streamed (gzip-decoded on every pass), never held in memory whole.
/// </summary>
public static class FashionMnist
{
    /// <summary>Where Debian's dataset-fashion-mnist package installs the files.</summary>
    public const string DefaultDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>Pixels per image.</summary>
    public const int Pixels = 28 * 28;

    /// <summary>The shape of one image.</summary>
    public static ImageShape Shape { get; } = new(1, 28, 28);

    /// <summary>
    /// The training (60,000) or test (10,000) split as a streaming IDataView with columns Pixels (784 floats) and Label (uint).
    /// <paramref name="limit"/> keeps only the first rows (for quick runs).
    /// </summary>
    public static IDataView Load(MLContext mlContext, bool train, string? directory = null, int? limit = null)
    {
        (string images, string labels) = Files(train, directory);
        // Read the headers now so that a missing or malformed file fails here, not inside a cursor.
        int count = Math.Min(ReadHeader(images, 2051, out _), ReadHeader(labels, 2049, out _));
        if (limit is int l) count = Math.Min(count, l);
        return mlContext.Data.LoadFromEnumerable(new StreamedImages(images, labels, count));
    }

    /// <summary>The paths of a split's image and label files, with an error naming the apt package when they are missing.</summary>
    public static (string Images, string Labels) Files(bool train, string? directory = null)
    {
        directory ??= DefaultDirectory;
        string prefix = train ? "train" : "t10k";
        string images = Path.Combine(directory, $"{prefix}-images-idx3-ubyte.gz");
        string labels = Path.Combine(directory, $"{prefix}-labels-idx1-ubyte.gz");
        foreach (string file in new[] { images, labels })
        {
            if (!File.Exists(file))
            {
                throw new FileNotFoundException(
                    $"Fashion-MNIST file '{file}' was not found. Install Debian's package: sudo apt-get install dataset-fashion-mnist " +
                    "(or pass the folder holding the four IDX .gz files).", file);
            }
        }
        return (images, labels);
    }

    /// <summary>Reads an IDX header; returns the item count and checks the magic number.</summary>
    internal static int ReadHeader(string path, int magic, out int[] dimensions)
    {
        using Stream stream = OpenIdx(path);
        return ReadHeader(stream, path, magic, out dimensions);
    }

    private static int ReadHeader(Stream stream, string path, int magic, out int[] dimensions)
    {
        Span<byte> word = stackalloc byte[4];
        stream.ReadExactly(word);
        int found = BinaryPrimitives.ReadInt32BigEndian(word);
        if (found != magic)
        {
            throw new InvalidDataException($"'{path}' is not an IDX file of the expected kind: magic number {found}, expected {magic}.");
        }
        int dims = magic & 0xff;
        dimensions = new int[dims];
        for (int i = 0; i < dims; i++)
        {
            stream.ReadExactly(word);
            dimensions[i] = BinaryPrimitives.ReadInt32BigEndian(word);
        }
        if (dims == 3 && (dimensions[1] != 28 || dimensions[2] != 28))
        {
            throw new InvalidDataException($"'{path}' holds {dimensions[1]}x{dimensions[2]} images; Fashion-MNIST images are 28x28.");
        }
        return dimensions[0];
    }

    private static Stream OpenIdx(string path)
    {
        Stream file = File.OpenRead(path);
        return path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionMode.Decompress) : file;
    }

    private sealed class StreamedImages : IEnumerable<FashionMnistImage>
    {
        private readonly string _images;
        private readonly string _labels;
        private readonly int _count;

        public StreamedImages(string images, string labels, int count)
        {
            _images = images;
            _labels = labels;
            _count = count;
        }

        public IEnumerator<FashionMnistImage> GetEnumerator()
        {
            using Stream images = new BufferedStream(OpenIdx(_images), 1 << 16);
            using Stream labels = new BufferedStream(OpenIdx(_labels), 1 << 16);
            ReadHeader(images, _images, 2051, out _);
            ReadHeader(labels, _labels, 2049, out _);
            var bytes = new byte[Pixels];
            for (int i = 0; i < _count; i++)
            {
                images.ReadExactly(bytes);
                int label = labels.ReadByte();
                if (label < 0) throw new EndOfStreamException($"'{_labels}' ended at label {i}.");
                var pixels = new float[Pixels];
                for (int p = 0; p < Pixels; p++) pixels[p] = bytes[p];
                yield return new FashionMnistImage { Pixels = pixels, Label = (uint)label };
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
