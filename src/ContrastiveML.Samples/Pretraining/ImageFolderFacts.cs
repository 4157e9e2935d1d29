using ContrastiveML.Samples.Images;

namespace ContrastiveML.Samples.Pretraining;

/// <summary>What <c>pretrain</c> knows about an image folder before it chooses its defaults.</summary>
/// <param name="ImageCount">Images that will be trained on (after any held-out part is set aside).</param>
/// <param name="MedianHeight">Median decoded height in pixels.</param>
/// <param name="MedianWidth">Median decoded width in pixels.</param>
/// <param name="AllGrayscale">True when every image is gray (equal red, green and blue everywhere).</param>
/// <param name="HasTimeBudget">True when <c>--minutes</c> was given.</param>
internal sealed record ImageFolderFacts(int ImageCount, int MedianHeight, int MedianWidth, bool AllGrayscale, bool HasTimeBudget)
{
    /// <summary>What the defaults are chosen from: the training images' count, median size and whether all are gray.</summary>
    public static ImageFolderFacts Of(IReadOnlyList<ImageFile> files, bool hasTimeBudget)
    {
        int Median(IEnumerable<int> values)
        {
            int[] sorted = values.Order().ToArray();
            return sorted[sorted.Length / 2];
        }
        return new ImageFolderFacts(files.Count, Median(files.Select(f => f.Height)), Median(files.Select(f => f.Width)),
                                    files.All(f => f.Grayscale), hasTimeBudget);
    }
}
