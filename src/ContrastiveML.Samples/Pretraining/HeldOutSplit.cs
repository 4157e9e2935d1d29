using ContrastiveML.Samples.Images;

namespace ContrastiveML.Samples.Pretraining;

/// <summary>
/// Which images <c>pretrain</c> trains on and which it evaluates on: <c>--eval-images DIR</c> when given; otherwise, for
/// labelled folders, every tenth image of each class (at most <see cref="MaxHeldOut"/>), never trained on; for unlabelled
/// folders, an even sample of the training images themselves (label-free measures need no held-out part, and taking
/// images away from training would cost the user data for nothing).
/// </summary>
/// <param name="Training">The images trained on.</param>
/// <param name="HeldOut">The images evaluated on; null when evaluation is off.</param>
/// <param name="HeldOutLabelled">True when every evaluated image has a label (accuracy can be measured).</param>
/// <param name="Description">One line for the output saying what was held out.</param>
internal sealed record HeldOutSplit(IReadOnlyList<ImageFile> Training, IReadOnlyList<ImageFile>? HeldOut, bool HeldOutLabelled, string Description)
{
    /// <summary>Most images evaluated on: the cost of one evaluation grows with it; 1,000 give accuracies to about ±1.3 points.</summary>
    public const int MaxHeldOut = 1000;

    /// <summary>Fewest held-out images worth evaluating on (kNN and the effective rank need a few).</summary>
    public const int MinimumHeldOut = 10;

    /// <summary>One image in this many of each class is held out when the folder is labelled.</summary>
    public const int HoldOutEvery = 10;

    /// <summary>Chooses the split (see the type's summary); <paramref name="evalImages"/> is scanned like --images.</summary>
    public static HeldOutSplit Choose(IReadOnlyList<ImageFile> files, bool labelled, string? evalImages, bool noEval, BadFilePolicy onBadFile, TextWriter error)
    {
        if (noEval) return new HeldOutSplit(files, null, false, "evaluation off (--no-eval).");
        if (evalImages != null)
        {
            IReadOnlyList<ImageFile> given = Take(ImageFolder.Scan(evalImages, onBadFile, error), MaxHeldOut);
            bool givenLabelled = given.All(f => f.Label.Length > 0) && given.Select(f => f.Label).Distinct().Count() >= 2;
            return new HeldOutSplit(files, given, givenLabelled,
                $"evaluating on {given.Count} images of '{evalImages}'" + (givenLabelled ? " (labelled by subfolder)" : " (no labels: alignment, uniformity and effective rank only; accuracy needs labels)") + ".");
        }
        if (labelled)
        {
            var held = new List<ImageFile>();
            var training = new List<ImageFile>();
            foreach (IGrouping<string, ImageFile> group in files.GroupBy(f => f.Label))
            {
                int i = 0;
                foreach (ImageFile file in group) (++i % HoldOutEvery == 0 ? held : training).Add(file);
            }
            if (held.Count < MinimumHeldOut)
            {
                return new HeldOutSplit(files, Take(files, MaxHeldOut), false,
                    $"too few images to hold out one in {HoldOutEvery} per class; evaluating on the training images without labels.");
            }
            IReadOnlyList<ImageFile> used = Take(held, MaxHeldOut);
            return new HeldOutSplit(training, held, true,
                $"held out {held.Count} of {files.Count} images (one in {HoldOutEvery} per class), not trained on; evaluating on {used.Count} of them (kNN and linear accuracy need these labels).");
        }
        IReadOnlyList<ImageFile> sample = Take(files, MaxHeldOut);
        return new HeldOutSplit(files, sample, false,
            $"the images have no labels (no class subfolders): evaluating alignment, uniformity and effective rank on {sample.Count} training images; accuracy needs labels (class subfolders, or --eval-images DIR with them).");
    }

    /// <summary>At most <paramref name="count"/> files spread evenly over the list (folders are sorted by class, so the first N would miss classes).</summary>
    internal static IReadOnlyList<ImageFile> Take(IReadOnlyList<ImageFile> files, int count)
    {
        if (files.Count <= count) return files;
        return Enumerable.Range(0, count).Select(i => files[(int)((long)i * files.Count / count)]).ToList();
    }
}
