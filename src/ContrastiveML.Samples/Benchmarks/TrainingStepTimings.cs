using System.Diagnostics;
using ContrastiveML.Data;
using ContrastiveML.Optimization;
using ContrastiveML.Training;
using static TorchSharp.torch;

namespace ContrastiveML.Samples.Benchmarks;

/// <summary>
/// The parts of Fit's own <see cref="TrainingStep"/>, timed over steps of a <see cref="TrainingSetup"/>: reading a batch
/// (the reader's next batch and its copy into tensors on the device), making the method's views, the loss forward and
/// backward, and the optimiser step with the method's after-step update. Seconds per timed step, in step order.
/// </summary>
/// <remarks>
/// The step marks each boundary through <see cref="ITrainingStepProbe"/> after synchronising the device, so the parts
/// add up to the whole step. The optimiser, generator and normalisation are made as Fit makes them; the rate is the
/// options' peak rate (a step costs the same at any rate).
/// </remarks>
internal sealed class TrainingStepTimings : ITrainingStepProbe
{
    private readonly long[] _marks = new long[Enum.GetValues<TrainingStepPhase>().Length];

    private TrainingStepTimings()
    {
    }

    /// <summary>From asking the reader for the batch to its tensors on the device.</summary>
    public List<double> Read { get; } = new();

    /// <summary>From the batch on the device to the method's views made.</summary>
    public List<double> Views { get; } = new();

    /// <summary>From the views made to the loss back-propagated (normalisation, encoders, heads, loss, backward).</summary>
    public List<double> ForwardBackward { get; } = new();

    /// <summary>The optimiser step and the method's after-step update.</summary>
    public List<double> Optimizer { get; } = new();

    /// <summary>The whole step, reading included.</summary>
    public List<double> Total { get; } = new();

    /// <summary>
    /// Runs <paramref name="warmupSteps"/> untimed steps, then <paramref name="timedSteps"/> timed ones, of
    /// <paramref name="setup"/>'s method on its reader's batches (epoch after epoch as needed).
    /// </summary>
    /// <param name="firstStep">Runs the first warm-up step it is given (e.g. inside a FLOP recorder); null to run it plainly.</param>
    public static TrainingStepTimings Measure(TrainingSetup setup, int warmupSteps, int timedSteps, Action<Action>? firstStep = null)
    {
        ContrastiveEncoderOptions options = setup.Options;
        IContrastiveMethod method = setup.Method;
        method.SetTraining(true);
        using TrainingOptimizer optimizer = TrainingOptimizer.Create(options, method.TrainableParameters());
        using var generator = new Generator(1, setup.Device);
        using var normalization = new TrainingNormalization(setup.Normalization, setup.Device);
        using var step = new TrainingStep(method, optimizer, normalization.Apply, generator, setup.Device, options.RequiredImageShape,
                                          normalization.Scale, options.LearningRate);
        using IEnumerator<PixelBatch> batches = BatchesAcrossEpochs(setup.Reader, setup.BatchSize, new Random(1)).GetEnumerator();

        var timings = new TrainingStepTimings();
        for (int i = 0; i < warmupSteps + timedSteps; i++)
        {
            Array.Clear(timings._marks);
            long start = Stopwatch.GetTimestamp();
            batches.MoveNext();
            PixelBatch batch = batches.Current;
            long stepNumber = i + 1;
            void Run() => step.Run(batch, options.LearningRate, stepNumber, epoch: 1, probe: timings);
            if (i == 0 && firstStep != null) firstStep(Run);
            else Run();
            if (i >= warmupSteps) timings.Record(start);
        }
        return timings;
    }

    void ITrainingStepProbe.Reached(TrainingStepPhase phase) => _marks[(int)phase] = Stopwatch.GetTimestamp();

    private void Record(long start)
    {
        long Mark(TrainingStepPhase phase)
        {
            long mark = _marks[(int)phase];
            // The step marks its own phases; ViewsMade comes from the method, which may have forgotten to call it.
            if (mark == 0) throw new InvalidOperationException($"A training step reported no {phase} mark (a method calls ContrastiveBatch.ViewsMade once its views are made).");
            return mark;
        }
        Read.Add(BenchStatistics.Seconds(start, Mark(TrainingStepPhase.BatchOnDevice)));
        Views.Add(BenchStatistics.Seconds(Mark(TrainingStepPhase.BatchOnDevice), Mark(TrainingStepPhase.ViewsMade)));
        ForwardBackward.Add(BenchStatistics.Seconds(Mark(TrainingStepPhase.ViewsMade), Mark(TrainingStepPhase.ForwardBackwardDone)));
        Optimizer.Add(BenchStatistics.Seconds(Mark(TrainingStepPhase.ForwardBackwardDone), Mark(TrainingStepPhase.OptimizerStepDone)));
        Total.Add(BenchStatistics.Seconds(start, Mark(TrainingStepPhase.OptimizerStepDone)));
    }

    /// <summary>
    /// The reader's batches, epoch after epoch (a new shuffle each time), without end: a timing loop takes as many steps
    /// as it needs whatever the data's size. The data must give at least one batch per epoch.
    /// </summary>
    private static IEnumerable<PixelBatch> BatchesAcrossEpochs(PixelBatchReader reader, int batchSize, Random random)
    {
        while (true)
        {
            bool any = false;
            foreach (PixelBatch batch in reader.ReadEpoch(batchSize, random))
            {
                any = true;
                yield return batch;
            }
            if (!any) throw new InvalidOperationException("The data gave no batch in an epoch.");
        }
    }
}
