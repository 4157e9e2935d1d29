using System.Buffers.Binary;
using System.IO.Compression;
using ContrastiveML.Samples;
using Microsoft.ML;

namespace ContrastiveML.Tests;

public sealed class FashionMnistTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("contrastiveml-idx-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static void WriteIdx(string path, int magic, int[] dims, byte[] payload)
    {
        using var file = File.Create(path);
        using var gzip = new GZipStream(file, CompressionLevel.Fastest);
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, magic);
        gzip.Write(word);
        foreach (int d in dims)
        {
            BinaryPrimitives.WriteInt32BigEndian(word, d);
            gzip.Write(word);
        }
        gzip.Write(payload);
    }

    private void WriteSplit(string prefix, int count, int imageMagic = 2051)
    {
        byte[] pixels = Enumerable.Range(0, count * 784).Select(i => (byte)(i % 251)).ToArray();
        byte[] labels = Enumerable.Range(0, count).Select(i => (byte)(9 - i % 10)).ToArray();
        WriteIdx(Path.Combine(_folder, $"{prefix}-images-idx3-ubyte.gz"), imageMagic, new[] { count, 28, 28 }, pixels);
        WriteIdx(Path.Combine(_folder, $"{prefix}-labels-idx1-ubyte.gz"), 2049, new[] { count }, labels);
    }

    [Fact]
    public void ReadsPixelsAndLabelsFromIdxFiles()
    {
        WriteSplit("train", 3);
        var ml = new MLContext(1);
        FashionMnistImage[] rows = ml.Data.CreateEnumerable<FashionMnistImage>(FashionMnist.Load(ml, train: true, _folder), false).ToArray();

        Assert.Equal(3, rows.Length);
        Assert.Equal(new uint[] { 9, 8, 7 }, rows.Select(r => r.Label));
        Assert.Equal(784, rows[1].Pixels.Length);
        Assert.Equal((784 + 5) % 251, rows[1].Pixels[5]);
    }

    [Fact]
    public void LimitKeepsTheFirstRows()
    {
        WriteSplit("t10k", 5);
        var ml = new MLContext(1);
        Assert.Equal(2, ml.Data.CreateEnumerable<FashionMnistImage>(FashionMnist.Load(ml, train: false, _folder, limit: 2), false).Count());
    }

    [Fact]
    public void MissingFilesNameTheDebianPackage()
    {
        var error = Assert.Throws<FileNotFoundException>(() => FashionMnist.Load(new MLContext(1), train: true, _folder));
        Assert.Contains("dataset-fashion-mnist", error.Message);
        Assert.Contains("train-images-idx3-ubyte.gz", error.Message);
    }

    [Fact]
    public void AFileOfTheWrongKindIsRejected()
    {
        WriteSplit("train", 2, imageMagic: 2049);
        var error = Assert.Throws<InvalidDataException>(() => FashionMnist.Load(new MLContext(1), train: true, _folder));
        Assert.Contains("magic number 2049", error.Message);
    }

    [Fact]
    public void TheDebianPackageHoldsTheRealDataSet()
    {
        // .ci/run installs dataset-fashion-mnist; the first training image of Fashion-MNIST is an ankle boot (class 9).
        var (images, labels) = FashionMnist.Files(train: true);
        Assert.Equal(60_000, FashionMnist.ReadHeader(images, 2051, out int[] dims));
        Assert.Equal(new[] { 60_000, 28, 28 }, dims);
        Assert.Equal(60_000, FashionMnist.ReadHeader(labels, 2049, out _));
        var ml = new MLContext(1);
        FashionMnistImage first = ml.Data.CreateEnumerable<FashionMnistImage>(FashionMnist.Load(ml, train: true, limit: 1), false).Single();
        Assert.Equal(9u, first.Label);
        Assert.InRange(first.Pixels.Max(), 200, 255);
    }
}
