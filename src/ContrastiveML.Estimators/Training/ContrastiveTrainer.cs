using ContrastiveML.Data;
using ContrastiveML.Optimization;
using TorchSharp;
using static TorchSharp.torch;

namespace ContrastiveML.Training;

/// <summary>
/// The training loop every contrastive method shares: epochs of batches streamed from the data view (on resume, skipping
/// those the checkpoint had trained), one <see cref="TrainingStep"/> per batch at the rate the <see cref="TrainingClock"/>
/// gives, until the epochs, the step limit or the time budget end it. Between steps it evaluates and reports progress
/// into a <see cref="LossHistory"/> that the <see cref="CheckpointManager"/>'s checkpoints carry, and honours
/// cancellation (checkpointing the last finished step when a checkpoint directory is set).
/// </summary>
internal sealed class ContrastiveTrainer
{
    private readonly ContrastiveEncoderOptions _options;
    private readonly Action<string> _log;
    private readonly Action _checkCanceled;

    public ContrastiveTrainer(ContrastiveEncoderOptions options, Action<string> log, Action checkCanceled)
    {
        _options = options;
        _log = log;
        _checkCanceled = checkCanceled;
    }

    /// <summary>Trains <paramref name="method"/> in place and returns what happened.</summary>
    /// <remarks>
    /// With an <paramref name="evaluator"/>, the encoder is evaluated before the first step (the random-init reference;
    /// before a checkpoint is restored, so a resumed Fit has it too), when the evaluator says one is due, and after the
    /// last step; evaluation time counts in the training time and its budget. <paramref name="inputNormalization"/> is
    /// the Fit's normalisation, the one export bakes in (see <see cref="InputNormalization"/>).
    /// </remarks>
    public TrainingReport Train(IContrastiveMethod method, PixelBatchReader reader, PixelStatistics statistics,
                                Onnx.OnnxInputNormalization inputNormalization, int batchSize, Device device, int seed, string encoderName,
                                Evaluation.OnlineEvaluator? evaluator = null)
    {
        ImageShape shape = _options.RequiredImageShape;
        using var generator = new Generator((ulong)seed, device);
        using var normalization = new TrainingNormalization(inputNormalization, device);
        using TrainingOptimizer optimizer = TrainingOptimizer.Create(_options, method.TrainableParameters());
        using var trainingStep = new TrainingStep(method, optimizer, normalization.Apply, generator, device, shape,
                                                  normalization.Scale, _options.LearningRate);
        var checkpoints = new CheckpointManager(_options, method, optimizer, generator, encoderName, batchSize, seed, statistics.RowCount);
        TrainingCheckpoint? resume = checkpoints.Find();
        var run = new TrainingRun(this, method, evaluator, TrainingClock.Start(_options, statistics.RowCount, batchSize), checkpoints);

        method.SetTraining(true);
        if (evaluator != null) run.Evaluate(final: false);
        if (resume != null) run.Resume(resume);
        // A step limit of 0 trains nothing: the random-init encoder is exported.
        bool stepLimitReached = run.Clock.StepLimitReached(0), stoppedByBudget = false;
        int epochsStarted = 0, batchesToSkip = run.Position.BatchesInEpoch;
        for (int epoch = run.Position.Epoch; epoch <= _options.Epochs && !stoppedByBudget && !stepLimitReached; epoch++)
        {
            epochsStarted = epoch;
            int batchInEpoch = 0;
            foreach (PixelBatch batch in reader.ReadEpoch(batchSize, EpochRandom(seed, epoch)))
            {
                run.CheckCanceled();
                // Resuming: this epoch's order is re-derived from (seed, epoch); the batches trained before the checkpoint are skipped.
                if (batchInEpoch++ < batchesToSkip) continue;
                if (run.Clock.StepLimitReached(run.Position.Step))
                {
                    stepLimitReached = true;
                    break;
                }
                if (run.Clock.BudgetSpent)
                {
                    stoppedByBudget = true;
                    break;
                }
                double learningRate = run.Clock.LearningRateAfter(run.Position.Step);
                double loss = trainingStep.Run(batch, learningRate, run.Position.Step + 1, epoch);
                run.Position.StepDone(epoch, batchInEpoch, batch.Count, loss);
                run.AfterStep(epoch, learningRate);
            }
            batchesToSkip = 0;
            run.EndEpoch(epoch);
        }
        // The end of training is a checkpoint too: a later Fit over the same directory then only exports.
        checkpoints.WriteIfNew(run.Position, run.Clock.Elapsed);
        return run.Finish(device, statistics.RowCount, batchSize, encoderName, epochsStarted, stoppedByBudget);
    }

    /// <summary>
    /// The data order's random source for one epoch, derived from (seed, epoch) alone so that a resumed Fit reproduces
    /// the order of the epoch it resumes in without replaying earlier epochs. Epoch 1 uses the seed itself.
    /// </summary>
    internal static Random EpochRandom(int seed, int epoch) => new(unchecked(seed + (epoch - 1) * 1_000_003));

    /// <summary>
    /// One Fit's training between its steps: where it stands, its clock and checkpoints, and what it tells the caller
    /// (evaluations, progress reports, the epoch and end-of-training lines, cancellation).
    /// </summary>
    private sealed class TrainingRun
    {
        private readonly ContrastiveTrainer _trainer;
        private readonly IContrastiveMethod _method;
        private readonly Evaluation.OnlineEvaluator? _evaluator;
        private readonly CheckpointManager _checkpoints;
        private TimeSpan _lastReport;
        private long? _resumedFromStep;

        public TrainingRun(ContrastiveTrainer trainer, IContrastiveMethod method, Evaluation.OnlineEvaluator? evaluator, TrainingClock clock, CheckpointManager checkpoints)
        {
            _trainer = trainer;
            _method = method;
            _evaluator = evaluator;
            Clock = clock;
            _checkpoints = checkpoints;
        }

        public TrainingClock Clock { get; }

        public TrainingPosition Position { get; private set; } = new();

        private ContrastiveEncoderOptions Options => _trainer._options;

        public void Resume(TrainingCheckpoint checkpoint)
        {
            Position = _checkpoints.Resume(checkpoint);
            Clock.ResumeAfter(TimeSpan.FromSeconds(checkpoint.TrainingSeconds));
            _lastReport = TimeSpan.FromSeconds(Position.History.LastReportSeconds);
            _resumedFromStep = checkpoint.Step;
            _trainer._log($"{_method.Name}: resumed from checkpoint '{_checkpoints.Path}' at step {Position.Step} of {Clock.TotalSteps} " +
                          $"(epoch {Position.Epoch}, after batch {Position.BatchesInEpoch} of that epoch).");
        }

        public void Evaluate(bool final)
        {
            double before = _evaluator!.Seconds;
            long step = Position.Step;
            Evaluation.EvaluationPoint point = _evaluator.Evaluate(_method.Encoder, step, Clock.Elapsed.TotalSeconds, linear: final || step == 0);
            _method.SetTraining(!final);
            _trainer._log($"{_method.Name} evaluation after step {step} ({_evaluator.Seconds - before:F1} s): {Evaluation.OnlineEvaluationText.Describe(point)}" +
                          (point.Warning is string w ? " " + w : ""));
        }

        /// <summary>Stops training with a <see cref="TrainingCanceledException"/> when the Fit is canceled.</summary>
        public void CheckCanceled()
        {
            try
            {
                _trainer._checkCanceled();
            }
            catch (OperationCanceledException canceled)
            {
                // A graceful stop (token, MLContext) keeps the work done so far: the state between two steps is
                // complete, so checkpoint it and say where it is. (A kill keeps only the last periodic checkpoint.)
                string? checkpoint = _checkpoints.WriteIfNew(Position, Clock.Elapsed);
                _trainer._log($"{_method.Name}: canceled after step {Position.Step} of {Clock.TotalSteps}" +
                              (checkpoint != null ? $"; checkpoint written to '{checkpoint}'." : "."));
                throw new TrainingCanceledException(_method.Name, Position.Step, Clock.TotalSteps, checkpoint, canceled);
            }
        }

        /// <summary>After a step of <paramref name="epoch"/>: an evaluation when due, a progress report when due, then a periodic checkpoint.</summary>
        public void AfterStep(int epoch, double learningRate)
        {
            bool evaluated = false;
            if (_evaluator != null && _evaluator.IsDue(Position.Step, Clock.Elapsed.TotalSeconds))
            {
                Evaluate(final: false);
                evaluated = true;
            }
            TimeSpan now = Clock.Elapsed;
            // A fresh evaluation is reported at once, so that the progress output shows every one.
            if (evaluated || (now - _lastReport).TotalSeconds >= Options.ProgressIntervalSeconds)
            {
                double imagesPerSecond = Position.History.IntervalImages / Math.Max(1e-9, (now - _lastReport).TotalSeconds);
                double intervalLoss = Position.History.EndInterval(Position.Step, now.TotalSeconds);
                var progress = new TrainingProgress(_method.Name, epoch, Options.Epochs, Position.Step, Clock.TotalSteps, intervalLoss, learningRate,
                                                    imagesPerSecond, now, Clock.Remaining(Position.Step, now), _method.ProgressFigures(),
                                                    _evaluator?.Report());
                Options.Progress?.Report(progress);
                _trainer._log(progress.ToString());
                _lastReport = now;
            }
            // After the report, so that the history a checkpoint carries has this step's report point in it.
            _checkpoints.WriteIfDue(Position, Clock.Elapsed);
        }

        public void EndEpoch(int epoch)
        {
            int epochSteps = Position.History.EpochSteps;
            if (Position.History.EndEpoch() is double epochLoss)
            {
                TimeSpan elapsed = Clock.Elapsed;
                _trainer._log($"{_method.Name} epoch {epoch}/{Options.Epochs}: mean loss {epochLoss:F4} over {epochSteps} steps, " +
                              $"{Position.ImagesSeen / Math.Max(1e-9, elapsed.TotalSeconds):F0} img/s, elapsed {elapsed:hh\\:mm\\:ss}");
            }
        }

        /// <summary>Closes the loss history, evaluates the final encoder, puts the method in evaluation mode and reports the run.</summary>
        public TrainingReport Finish(Device device, long rows, int batchSize, string encoderName, int epochsStarted, bool stoppedByBudget)
        {
            if (Position.History.IntervalSteps > 0) Position.History.EndInterval(Position.Step, Clock.Elapsed.TotalSeconds);
            if (stoppedByBudget)
            {
                _trainer._log($"{_method.Name}: the time budget of {Options.MaxMinutes} minutes ended training after {Position.Step} steps in epoch {epochsStarted}.");
            }
            if (_evaluator != null)
            {
                Evaluate(final: true);
                Evaluation.EvaluationReport evaluation = _evaluator.Report();
                _trainer._log($"{_method.Name} evaluation at the end, on {evaluation.HeldOutRows} held-out images: {Evaluation.OnlineEvaluationText.Describe(evaluation.Final)}; " +
                              $"random init: {Evaluation.OnlineEvaluationText.Describe(evaluation.RandomInit)}; raw pixels: {Evaluation.OnlineEvaluationText.Describe(evaluation.Pixels)}; " +
                              $"evaluation took {evaluation.Seconds:F1} s of {Clock.Elapsed.TotalSeconds:F1} s.");
            }
            _method.SetTraining(false);

            return new TrainingReport
            {
                Evaluation = _evaluator?.Report(),
                Method = _method.Name,
                Encoder = encoderName,
                Device = device.type == DeviceType.CUDA ? "cuda" : "cpu",
                TrainingRows = rows,
                BatchSize = batchSize,
                EpochsCompleted = epochsStarted,
                Steps = Position.Step,
                ImagesSeen = Position.ImagesSeen,
                TrainingSeconds = Clock.Elapsed.TotalSeconds,
                StoppedByTimeBudget = stoppedByBudget,
                EpochLosses = Position.History.EpochLosses,
                LossCurve = Position.History.Curve,
                ResumedFromStep = _resumedFromStep,
                EmbeddingDim = _method.Encoder.EmbeddingDim,
            };
        }
    }
}
