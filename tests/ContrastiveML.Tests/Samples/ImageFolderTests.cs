using ContrastiveML.Samples.Images;
using Microsoft.ML;

namespace ContrastiveML.Tests;

public sealed class ImageFolderTests : IDisposable
{
    private readonly ImageFolderFixture _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void FailNamesTheFileThatDoesNotDecode()
    {
        var report = new StringWriter();
        var error = Assert.Throws<InvalidDataException>(() => ImageFolder.Scan(_folder.Images, BadFilePolicy.Fail, report));
        Assert.Contains($"'{ImageFolderFixture.BrokenFile}'", error.Message);
        Assert.Contains("--on-bad-file skip", error.Message);
        Assert.Contains(ImageFolderFixture.BrokenFile, report.ToString());
    }

    [Fact]
    public void SkipReportsTheFileAndKeepsEveryImageWithItsSubfolderLabel()
    {
        var report = new StringWriter();
        IReadOnlyList<ImageFile> images = ImageFolder.Scan(_folder.Images, BadFilePolicy.Skip, report);

        Assert.Contains($"skipping: '{ImageFolderFixture.BrokenFile}'", report.ToString());
        Assert.Equal(2 * ImageFolderFixture.ImagesPerLabel, images.Count);
        Assert.Equal(new[] { "cats", "dogs" }, images.Select(i => i.Label).Distinct());
        Assert.Equal("cats/cats0.png", images[0].RelativePath);
        Assert.True(Path.IsPathFullyQualified(images[0].Path));
        Assert.DoesNotContain(images, i => i.RelativePath == ImageFolderFixture.BrokenFile);
    }

    [Fact]
    public void FilesDirectlyInTheFolderHaveAnEmptyLabelAndLimitKeepsTheFirst()
    {
        File.Copy(Path.Combine(_folder.Images, "cats", "cats0.png"), Path.Combine(_folder.Images, "top.png"));
        IReadOnlyList<ImageFile> images = ImageFolder.Scan(_folder.Images, BadFilePolicy.Skip, TextWriter.Null);
        Assert.Equal("", images.Single(i => i.RelativePath == "top.png").Label);
        Assert.Equal(3, ImageFolder.Scan(_folder.Images, BadFilePolicy.Fail, TextWriter.Null, limit: 3).Count);
    }

    [Fact]
    public void AMissingOrEmptyFolderIsNamed()
    {
        string missing = _folder.Output("nowhere");
        Assert.Contains("'" + missing + "'", Assert.Throws<DirectoryNotFoundException>(() => ImageFolder.Scan(missing, BadFilePolicy.Fail, TextWriter.Null)).Message);
        string empty = Directory.CreateDirectory(_folder.Output("empty")).FullName;
        Assert.Contains("no readable image", Assert.Throws<InvalidDataException>(() => ImageFolder.Scan(empty, BadFilePolicy.Fail, TextWriter.Null)).Message);
    }

    [Fact]
    public void RowsCarryPathAndLabel()
    {
        var ml = new MLContext(1);
        IReadOnlyList<ImageFile> images = ImageFolder.Scan(_folder.Images, BadFilePolicy.Skip, TextWriter.Null);
        ImageFolderRow[] rows = ml.Data.CreateEnumerable<ImageFolderRow>(ImageFolder.ToDataView(ml, images), false).ToArray();
        Assert.Equal(images.Select(i => i.Path), rows.Select(r => r.ImagePath));
        Assert.Equal(images.Select(i => i.Label), rows.Select(r => r.Label));
    }
}
