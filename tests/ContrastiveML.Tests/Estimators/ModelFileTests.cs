using System.IO.Compression;
using Microsoft.ML;

namespace ContrastiveML.Tests;

/// <summary>
/// A damaged model zip fails to load with an exception, never a process crash: ML.NET's own exception for a
/// truncated zip (FormatException "Failed to open a zip archive") and for corrupted ONNX bytes (InvalidOperationException
/// "Error during class instantiation") name neither the file nor the cause, so <see cref="ContrastiveModel.Load(MLContext, string, out DataViewSchema)"/>
/// rethrows them as <see cref="InvalidDataException"/> naming both.
/// </summary>
public class ModelFileTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("contrastiveml-model-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private (MLContext Ml, IDataView Data, string Path, float[][] Embeddings) SavedModel()
    {
        var ml = new MLContext(1);
        IDataView data = TinyFits.Data(ml, 4);
        ContrastiveEncoderTransformer model = ml.Transforms.SimClr(TinyFits.Options(maxSteps: 0)).Fit(data);
        string path = Path.Combine(_directory, "model.zip");
        ml.Model.Save(model, data.Schema, path);
        return (ml, data, path, TinyFits.Embeddings(ml, model.Transform(data)));
    }

    /// <summary>Rewrites the zip's ONNX entry with its second half scrambled (the zip itself stays valid).</summary>
    private static void CorruptOnnxBytes(string path)
    {
        using var zip = ZipFile.Open(path, ZipArchiveMode.Update);
        ZipArchiveEntry entry = zip.Entries.Single(e => e.FullName.EndsWith("/OnnxModel", StringComparison.Ordinal));
        byte[] bytes;
        using (Stream read = entry.Open())
        using (var copy = new MemoryStream())
        {
            read.CopyTo(copy);
            bytes = copy.ToArray();
        }
        string name = entry.FullName;
        entry.Delete();
        for (int i = bytes.Length / 3; i < bytes.Length; i++) bytes[i] ^= 0x5A;
        using Stream write = zip.CreateEntry(name).Open();
        write.Write(bytes);
    }

    [Fact]
    public void AGoodModelLoadsAndScoresAsSaved()
    {
        var (ml, data, path, expected) = SavedModel();
        ITransformer loaded = ContrastiveModel.Load(new MLContext(2), path, out DataViewSchema schema);
        Assert.NotNull(schema.GetColumnOrNull("Pixels"));
        float[][] actual = TinyFits.Embeddings(ml, loaded.Transform(data));
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i]);
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.99)]
    [InlineData(0)]
    public void ATruncatedZipIsAnErrorNamingTheFile(double keptFraction)
    {
        var (ml, _, path, _) = SavedModel();
        byte[] bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes.AsSpan(0, (int)(bytes.Length * keptFraction)).ToArray());

        // ML.NET alone: an exception, but one that names neither the file nor what is wrong with it.
        Assert.Throws<FormatException>(() => ml.Model.Load(path, out _));
        var error = Assert.Throws<InvalidDataException>(() => ContrastiveModel.Load(ml, path, out _));
        Assert.Contains(path, error.Message);
        Assert.Contains("truncated", error.Message);
    }

    [Fact]
    public void CorruptedOnnxBytesAreAnErrorNamingTheFileAndTheCause()
    {
        var (ml, _, path, _) = SavedModel();
        CorruptOnnxBytes(path);

        Assert.Throws<InvalidOperationException>(() => ml.Model.Load(path, out _));
        var error = Assert.Throws<InvalidDataException>(() => ContrastiveModel.Load(ml, path, out _));
        Assert.Contains(path, error.Message);
        Assert.Contains("ONNX", error.Message);
    }

    [Fact]
    public void AMissingFileIsNamed()
    {
        string path = Path.Combine(_directory, "absent.zip");
        var error = Assert.Throws<FileNotFoundException>(() => ContrastiveModel.Load(new MLContext(1), path, out _));
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void AFlippedBitInsideTheZipIsAnErrorNamingTheFileAndTheEntry()
    {
        var (ml, _, path, _) = SavedModel();
        byte[] bytes = File.ReadAllBytes(path);
        // A bit inside the ONNX entry's compressed data, which follows the entry's name in its local header. Such a
        // flip can load without an error through ML.NET alone (one tried here loaded and scored).
        int name = System.Text.Encoding.ASCII.GetString(bytes).IndexOf("Transform_000/OnnxModel", StringComparison.Ordinal);
        Assert.True(name > 0);
        bytes[name + 5000] ^= 0x10;
        File.WriteAllBytes(path, bytes);

        var error = Assert.Throws<InvalidDataException>(() => ContrastiveModel.Load(ml, path, out _));
        Assert.Contains(path, error.Message);
        Assert.Contains("OnnxModel", error.Message);
        Assert.Contains("corrupt", error.Message);
    }

    [Fact]
    public void TheChecksumOfEveryEntryOfAGoodModelMatches()
    {
        var (_, _, path, _) = SavedModel();
        using FileStream stream = File.OpenRead(path);
        ZipIntegrity.Verify(stream, path); // no exception: the CRC-32 agrees with what System.IO.Compression wrote
        Assert.Equal(0, stream.Position);
    }
}
