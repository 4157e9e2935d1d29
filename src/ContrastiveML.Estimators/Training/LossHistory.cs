namespace ContrastiveML.Training;

/// <summary>
/// The running record of the training loss that the <see cref="TrainingReport"/> is built from: the mean loss of each
/// finished epoch, the (step, loss) curve sampled once per progress interval, and the sums of the epoch and of the
/// interval in progress. A checkpoint carries it whole, so the report of a resumed Fit covers the whole run, not only
/// the part after the resume, and its curve has the points an uninterrupted Fit would have had.
/// </summary>
internal sealed class LossHistory
{
    /// <summary>Mean loss of each finished epoch, in order.</summary>
    public List<double> EpochLosses { get; } = new();

    /// <summary>(step, mean loss since the previous point) samples, one per progress interval and one at the end.</summary>
    public List<(long Step, double Loss)> Curve { get; } = new();

    /// <summary>Sum of the losses of the epoch in progress.</summary>
    public double EpochLossSum { get; private set; }

    /// <summary>Steps taken in the epoch in progress.</summary>
    public int EpochSteps { get; private set; }

    /// <summary>Sum of the losses since the last progress report.</summary>
    public double IntervalLossSum { get; private set; }

    /// <summary>Steps since the last progress report.</summary>
    public int IntervalSteps { get; private set; }

    /// <summary>Images trained on since the last progress report (for the throughput figure).</summary>
    public long IntervalImages { get; private set; }

    /// <summary>Training seconds (resumed parts included) at the last progress report.</summary>
    public double LastReportSeconds { get; private set; }

    /// <summary>Records one step's loss.</summary>
    public void AddStep(double loss, int images)
    {
        EpochLossSum += loss;
        EpochSteps++;
        IntervalLossSum += loss;
        IntervalSteps++;
        IntervalImages += images;
    }

    /// <summary>
    /// Closes the epoch in progress: appends its mean loss when it took steps (a resumed epoch whose batches were all
    /// trained before the checkpoint counts the steps recorded there) and returns it; null when it took none.
    /// </summary>
    public double? EndEpoch()
    {
        double? mean = EpochSteps > 0 ? EpochLossSum / EpochSteps : null;
        if (mean is double m) EpochLosses.Add(m);
        EpochLossSum = 0;
        EpochSteps = 0;
        return mean;
    }

    /// <summary>Closes the interval in progress at <paramref name="step"/>: appends its mean loss to the curve and returns it.</summary>
    public double EndInterval(long step, double elapsedSeconds)
    {
        double mean = IntervalLossSum / IntervalSteps;
        Curve.Add((step, mean));
        IntervalLossSum = 0;
        IntervalSteps = 0;
        IntervalImages = 0;
        LastReportSeconds = elapsedSeconds;
        return mean;
    }

    /// <summary>Writes the history for a checkpoint.</summary>
    public void Write(BinaryWriter writer)
    {
        writer.Write(EpochLosses.Count);
        foreach (double loss in EpochLosses) writer.Write(loss);
        writer.Write(Curve.Count);
        foreach ((long step, double loss) in Curve)
        {
            writer.Write(step);
            writer.Write(loss);
        }
        writer.Write(EpochLossSum);
        writer.Write(EpochSteps);
        writer.Write(IntervalLossSum);
        writer.Write(IntervalSteps);
        writer.Write(IntervalImages);
        writer.Write(LastReportSeconds);
    }

    /// <summary>Reads what <see cref="Write"/> wrote; throws <see cref="FormatException"/> on impossible counts (the checkpoint reader names the file).</summary>
    public static LossHistory Read(BinaryReader reader)
    {
        var history = new LossHistory();
        int epochs = ReadCount(reader, sizeof(double), "epoch losses");
        for (int i = 0; i < epochs; i++) history.EpochLosses.Add(reader.ReadDouble());
        int points = ReadCount(reader, sizeof(long) + sizeof(double), "loss-curve points");
        for (int i = 0; i < points; i++) history.Curve.Add((reader.ReadInt64(), reader.ReadDouble()));
        history.EpochLossSum = reader.ReadDouble();
        history.EpochSteps = reader.ReadInt32();
        history.IntervalLossSum = reader.ReadDouble();
        history.IntervalSteps = reader.ReadInt32();
        history.IntervalImages = reader.ReadInt64();
        history.LastReportSeconds = reader.ReadDouble();
        if (history.EpochSteps < 0 || history.IntervalSteps < 0 || history.IntervalImages < 0)
            throw new FormatException("its loss history holds a negative step count");
        return history;
    }

    private static int ReadCount(BinaryReader reader, int bytesPerItem, string what)
    {
        int count = reader.ReadInt32();
        if (count < 0 || (long)count * bytesPerItem > reader.BaseStream.Length - reader.BaseStream.Position)
            throw new FormatException($"its loss history announces {count} {what}; the file holds fewer");
        return count;
    }
}
