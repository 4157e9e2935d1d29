using ContrastiveML.Training;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace ContrastiveML.Tests;

/// <summary>
/// What every estimator owes a user who reruns or resumes training on the CPU, checked for each method of the registry
/// the same way (<see cref="EstimatorTestKit.All"/>, with its <see cref="EstimatorCase.LongRun"/> settings): the same seed
/// gives bit-identical outputs and loss curves and another seed different outputs; a Fit killed after a checkpoint
/// resumes to exactly the outputs and report of an uninterrupted Fit; a checkpoint written with one of the method's own
/// settings changed is refused naming that setting with both values.
/// </summary>
/// <remarks>
/// Exactness needs the process to itself: weight initialisation draws from libtorch's one process-wide generator, which
/// Fit seeds and draws from under a lock, but which other test classes building modules or calling randn at the same
/// moment would draw from too. A kill is modelled as in <see cref="CheckpointTests"/>: an exception from the progress
/// callback two steps after a checkpoint, so the Fit stops without writing anything more and the steps since the last
/// checkpoint are lost and redone by the resumed Fit.
/// </remarks>
[Collection(nameof(ProcessMeasurements))]
public sealed class EstimatorReproducibilityTests : IDisposable
{
    private const int Rows = 48;     // six batches of 8 per epoch
    private const int Steps = 20;    // four epochs (the last one partial)
    private const int Every = 5;     // checkpoints at steps 5, 10, 15 and 20
    private const int KilledAt = 12; // two steps after the checkpoint of step 10

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "cml-repro-" + Guid.NewGuid().ToString("N"));

    public static TheoryData<EstimatorCase> Estimators => EstimatorTestKit.Cases();

    public static TheoryData<EstimatorCase> EstimatorsWithOwnSettings()
    {
        var data = new TheoryData<EstimatorCase>();
        foreach (EstimatorCase estimator in EstimatorTestKit.All().Where(e => e.OwnSettings.Count > 0)) data.Add(estimator);
        return data;
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
    }

    private string CheckpointPath => Path.Combine(_directory, TrainingCheckpoint.FileName);

    private static IDataView Data(MLContext ml) => ml.Data.LoadFromEnumerable(EstimatorTestKit.LabelledRows(Rows));

    /// <summary>The method's long-run options: a loss-curve point per step, a shuffle buffer smaller than the data.</summary>
    private static Action<ContrastiveEncoderOptions> LongRun(EstimatorCase estimator, int seed = 7, string? directory = null, int steps = Steps,
                                                             Action<ContrastiveEncoderOptions>? then = null) => options =>
    {
        estimator.LongRun?.Invoke(options);
        options.MaxSteps = steps;
        options.Seed = seed;
        options.ShuffleBufferSize = 10; // resuming must replay the streaming shuffle
        options.ProgressIntervalSeconds = 1e-9;
        options.CheckpointDirectory = directory;
        options.CheckpointEverySteps = Every;
        then?.Invoke(options);
    };

    /// <summary>Every float vector column the model adds (the embedding, and any other output such as DenseCL's dense one), row by row.</summary>
    private static Dictionary<string, float[][]> Outputs(ITransformer model, IDataView data)
    {
        IDataView scored = model.Transform(data);
        var columns = scored.Schema
            .Where(c => !c.IsHidden && data.Schema.GetColumnOrNull(c.Name) == null
                        && c.Type is VectorDataViewType vector && vector.ItemType == NumberDataViewType.Single)
            .ToList();
        var rows = columns.ToDictionary(c => c.Name, _ => new List<float[]>());
        using DataViewRowCursor cursor = scored.GetRowCursor(columns);
        var getters = columns.Select(c => cursor.GetGetter<VBuffer<float>>(c)).ToList();
        var buffer = default(VBuffer<float>);
        while (cursor.MoveNext())
        {
            for (int i = 0; i < columns.Count; i++)
            {
                getters[i](ref buffer);
                rows[columns[i].Name].Add(buffer.DenseValues().ToArray());
            }
        }
        Assert.Contains("Embedding", rows.Keys);
        return rows.ToDictionary(p => p.Key, p => p.Value.ToArray());
    }

    private static void AssertSameOutputs(EstimatorCase estimator, Dictionary<string, float[][]> expected, Dictionary<string, float[][]> actual)
    {
        Assert.Equal(expected.Keys.OrderBy(k => k), actual.Keys.OrderBy(k => k));
        foreach ((string column, float[][] rows) in expected)
        {
            Assert.Equal(Rows, rows.Length);
            for (int i = 0; i < rows.Length; i++) Assert.True(rows[i].SequenceEqual(actual[column][i]), $"{estimator}: column '{column}', row {i} differs."); // exact: tolerance 0
        }
    }

    [Theory]
    [MemberData(nameof(Estimators))]
    public void TheSameSeedGivesBitIdenticalOutputsAndLossesAndAnotherSeedDifferentOutputs(EstimatorCase estimator)
    {
        (Dictionary<string, float[][]> Outputs, ContrastiveEncoderTransformer Model) Fit(int seed, int mlSeed)
        {
            // A fresh MLContext per fit, with a seed of its own, so nothing but the options' seed is shared.
            var ml = new MLContext(mlSeed);
            IDataView data = Data(ml);
            ContrastiveEncoderTransformer model = estimator.Create(ml, LongRun(estimator, seed)).Fit(data);
            Assert.Equal(Steps, model.Report.Steps);
            return (Outputs(model, data), model);
        }

        var first = Fit(seed: 11, mlSeed: 1);
        var second = Fit(seed: 11, mlSeed: 2);
        AssertSameOutputs(estimator, first.Outputs, second.Outputs);
        Assert.Equal(Steps, first.Model.Report.LossCurve.Count);
        Assert.Equal(first.Model.Report.LossCurve.Select(p => p.Loss), second.Model.Report.LossCurve.Select(p => p.Loss));

        var other = Fit(seed: 12, mlSeed: 1);
        double maxDifference = first.Outputs["Embedding"].Zip(other.Outputs["Embedding"])
            .SelectMany(p => p.First.Zip(p.Second, (a, b) => Math.Abs(a - b))).Max();
        Assert.True(maxDifference > 1e-3, $"{estimator}: seeds 11 and 12 differ by at most {maxDifference}");
    }

    [Theory]
    [MemberData(nameof(Estimators))]
    public void AFitKilledAfterACheckpointResumesToTheOutputsAndReportOfAnUninterruptedFit(EstimatorCase estimator)
    {
        var ml = new MLContext(1);
        IDataView data = Data(ml);
        ContrastiveEncoderTransformer reference = estimator.Create(ml, LongRun(estimator)).Fit(data);
        Assert.Equal(Steps, reference.Report.Steps);
        Assert.Null(reference.Report.ResumedFromStep);

        var killed = LongRun(estimator, directory: _directory,
                             then: o => o.Progress = new SynchronousProgress(p => { if (p.Step == KilledAt) throw new SimulatedKill(); }));
        Assert.Throws<SimulatedKill>(() => estimator.Create(ml, killed).Fit(data));
        TrainingCheckpoint checkpoint = TrainingCheckpoint.Read(CheckpointPath);
        Assert.Equal(10, checkpoint.Step); // steps 11 and 12 are lost, as after a SIGKILL
        Assert.Equal(reference.Report.LossCurve.Take(10), checkpoint.History.Curve);

        var messages = new List<string>();
        var resumedContext = new MLContext(2);
        resumedContext.Log += (_, e) => { lock (messages) messages.Add(e.Message); };
        ContrastiveEncoderTransformer resumed = estimator.Create(resumedContext, LongRun(estimator, directory: _directory)).Fit(data);
        Assert.Contains(messages, m => m.Contains("resumed from checkpoint") && m.Contains($"at step 10 of {Steps}"));
        Assert.Equal(10, resumed.Report.ResumedFromStep);
        Assert.Equal(Steps, TrainingCheckpoint.Read(CheckpointPath).Step); // the end of training is checkpointed too

        AssertSameOutputs(estimator, Outputs(reference, data), Outputs(resumed, data));
        // The resumed report covers the whole run: the loss history and the elapsed time travel in the checkpoint.
        Assert.Equal(reference.Report.Steps, resumed.Report.Steps);
        Assert.Equal(reference.Report.ImagesSeen, resumed.Report.ImagesSeen);
        Assert.Equal(reference.Report.EpochsCompleted, resumed.Report.EpochsCompleted);
        Assert.Equal(Steps, reference.Report.LossCurve.Count);
        Assert.Equal(reference.Report.LossCurve, resumed.Report.LossCurve);
        Assert.Equal(4, reference.Report.EpochLosses.Count);
        Assert.Equal(reference.Report.EpochLosses, resumed.Report.EpochLosses);
        Assert.True(resumed.Report.TrainingSeconds >= checkpoint.TrainingSeconds);
    }

    [Theory]
    [MemberData(nameof(EstimatorsWithOwnSettings))]
    public void ACheckpointWrittenWithOneOfTheMethodsOwnSettingsChangedIsRefusedNamingIt(EstimatorCase estimator)
    {
        var ml = new MLContext(1);
        IDataView data = Data(ml);
        estimator.Create(ml, LongRun(estimator, directory: _directory, steps: 4)).Fit(data);
        Assert.Equal(4, TrainingCheckpoint.Read(CheckpointPath).Step);

        foreach (SettingChange setting in estimator.OwnSettings)
        {
            Exception error = Assert.ThrowsAny<Exception>(() =>
                estimator.Create(ml, LongRun(estimator, directory: _directory, steps: 4, then: setting.Apply)).Fit(data));
            // Most methods' settings join the checkpoint's fingerprint (InvalidOperationException); CMC's lead its model
            // state, so that checkpoints of its first format stay readable, and are refused as state that does not fit
            // (InvalidDataException). Either way the message names the file, the setting and both values.
            Assert.True(error is InvalidOperationException or InvalidDataException, $"{estimator}, {setting}: {error}");
            Assert.Contains(CheckpointPath, error.Message);
            Assert.Contains($"written with {setting.Option} = {setting.Saved}, but this Fit has {setting.Option} = {setting.Changed}", error.Message);
        }
        // The checkpoint refused is left as it was.
        Assert.Equal(4, TrainingCheckpoint.Read(CheckpointPath).Step);
    }
}
