using System.Diagnostics;

namespace ContrastiveML.Samples.Benchmarks;

/// <summary>The bench's timing arithmetic: seconds between timestamps, medians, interleaved repeats.</summary>
internal static class BenchStatistics
{
    public static double Seconds(long from, long to) => (to - from) / (double)Stopwatch.Frequency;

    public static double Median(IReadOnlyCollection<double> values)
    {
        double[] sorted = values.Order().ToArray();
        int middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    /// <summary>
    /// Seconds per run of each action over <paramref name="repeats"/> rounds that run every action once, in order,
    /// after one untimed round (warm-up).
    /// </summary>
    public static List<double>[] RepeatInterleaved(int repeats, params Action[] actions)
    {
        foreach (Action action in actions) action();
        List<double>[] seconds = actions.Select(_ => new List<double>()).ToArray();
        for (int r = 0; r < repeats; r++)
        {
            for (int i = 0; i < actions.Length; i++)
            {
                long start = Stopwatch.GetTimestamp();
                actions[i]();
                seconds[i].Add(Stopwatch.GetElapsedTime(start).TotalSeconds);
            }
        }
        return seconds;
    }
}
