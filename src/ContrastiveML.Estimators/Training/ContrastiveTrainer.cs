using System.Diagnostics;
using ContrastiveML.Data;
using ContrastiveML.Optimization;
using TorchSharp;
using static TorchSharp.torch;

namespace ContrastiveML.Training;

/// <summary>
/// The training loop every contrastive method shares: streams batches from the data view, moves them to the device,
/// asks the method for a loss, steps the optimiser under a warm-up + cosine schedule (laid over the time budget when
/// there is one), stops on a non-finite loss, honours cancellation (checkpointing the last finished step when a
/// checkpoint directory is set), and reports progress into a <see cref="LossHistory"/> that checkpoints carry.
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
    /// the Fit's normalisation (the one export bakes in); null takes the pixel scale and the data's statistics.
    /// </remarks>
    public TrainingReport Train(IContrastiveMethod method, PixelBatchReader reader, PixelStatistics statistics, int batchSize,
                                Device device, int seed, string encoderName, Evaluation.OnlineEvaluator? evaluator = null,
                                Onnx.OnnxInputNormalization? inputNormalization = null)
    {
        ImageShape shape = _options.RequiredImageShape;
        using var generator = new Generator((ulong)seed, device);
        using var normalization = new TrainingNormalization(
            inputNormalization ?? InputNormalization.For(_options.PixelScale, statistics, readsUnitPixels: false), device);
        // The pixel scale as a Scalar kept alive for the whole loop (see KeptScalars); a float widened to double makes
        // the same native Scalar as the float itself.
        using var scalars = new KeptScalars();
        Scalar pixelScale = scalars.Of(normalization.Scale);

        long stepsPerEpoch = Math.Max(1, statistics.RowCount / batchSize + (statistics.RowCount % batchSize >= 2 ? 1 : 0));
        long totalSteps = stepsPerEpoch * _options.Epochs;
        if (_options.MaxSteps is int maxSteps) totalSteps = Math.Min(totalSteps, Math.Max(1, maxSteps));
        bool stepLimitReached = _options.MaxSteps == 0;
        var schedule = new WarmupCosineSchedule(_options.LearningRate, (int)Math.Round(_options.WarmupFraction * totalSteps), (int)totalSteps);
        using TrainingOptimizer optimizer = TrainingOptimizer.Create(_options, method.TrainableParameters());
        TimeSpan? budget = _options.MaxMinutes is double minutes ? TimeSpan.FromMinutes(minutes) : null;

        string? checkpointPath = _options.CheckpointDirectory is string directory
            ? Path.Combine(Path.GetFullPath(directory), TrainingCheckpoint.FileName) : null;
        IReadOnlyList<KeyValuePair<string, string>> fingerprint = Fingerprint(method, encoderName, batchSize, seed, statistics.RowCount);
        TrainingCheckpoint? resume = checkpointPath != null && File.Exists(checkpointPath) ? TrainingCheckpoint.Read(checkpointPath) : null;

        method.SetTraining(true);
        var clock = Stopwatch.StartNew();
        TimeSpan elapsedBefore = TimeSpan.Zero;
        TimeSpan Elapsed() => clock.Elapsed + elapsedBefore;
        var history = new LossHistory();
        long step = 0, imagesSeen = 0;
        int epochsStarted = 0;
        int firstEpoch = 1, batchesToSkip = 0;
        void Evaluate(bool final)
        {
            double before = evaluator!.Seconds;
            Evaluation.EvaluationPoint point = evaluator.Evaluate(method.Encoder, step, Elapsed().TotalSeconds, linear: final || step == 0);
            method.SetTraining(!final);
            _log($"{method.Name} evaluation after step {step} ({evaluator.Seconds - before:F1} s): {Evaluation.OnlineEvaluationText.Describe(point)}" +
                 (point.Warning is string w ? " " + w : ""));
        }
        if (evaluator != null) Evaluate(final: false);
        if (resume != null)
        {
            CheckFingerprint(checkpointPath!, resume.Fingerprint, fingerprint);
            Restore(checkpointPath!, resume, method, optimizer, generator);
            step = resume.Step;
            imagesSeen = resume.ImagesSeen;
            firstEpoch = resume.Epoch;
            batchesToSkip = resume.BatchesInEpoch;
            elapsedBefore = TimeSpan.FromSeconds(resume.TrainingSeconds);
            history = resume.History;
            _log($"{method.Name}: resumed from checkpoint '{checkpointPath}' at step {step} of {totalSteps} " +
                 $"(epoch {firstEpoch}, after batch {batchesToSkip} of that epoch).");
        }
        long? resumedFromStep = resume?.Step;
        long lastCheckpointStep = step;
        int lastEpoch = firstEpoch, lastBatchInEpoch = batchesToSkip;
        void WriteCheckpoint()
        {
            WriteCheckpointFile(checkpointPath!, fingerprint, step, lastEpoch, lastBatchInEpoch, imagesSeen, Elapsed(), history,
                                method, optimizer, generator);
            lastCheckpointStep = step;
        }
        void CheckCanceled()
        {
            try
            {
                _checkCanceled();
            }
            catch (OperationCanceledException canceled)
            {
                // A graceful stop (token, MLContext) keeps the work done so far: the state between two steps is
                // complete, so checkpoint it and say where it is. (A kill keeps only the last periodic checkpoint.)
                bool checkpointed = checkpointPath != null && step > 0;
                if (checkpointed && step != lastCheckpointStep) WriteCheckpoint();
                _log($"{method.Name}: canceled after step {step} of {totalSteps}" + (checkpointed ? $"; checkpoint written to '{checkpointPath}'." : "."));
                throw new TrainingCanceledException(method.Name, step, totalSteps, checkpointed ? checkpointPath : null, canceled);
            }
        }
        bool stoppedByBudget = false;
        TimeSpan lastReport = TimeSpan.FromSeconds(history.LastReportSeconds);

        for (int epoch = firstEpoch; epoch <= _options.Epochs && !stoppedByBudget && !stepLimitReached; epoch++)
        {
            epochsStarted = epoch;
            int batchInEpoch = 0;
            foreach (PixelBatch batch in reader.ReadEpoch(batchSize, EpochRandom(seed, epoch)))
            {
                CheckCanceled();
                if (batchInEpoch < batchesToSkip)
                {
                    // Resuming: this epoch's order is re-derived from (seed, epoch); the batches trained before the checkpoint are skipped.
                    batchInEpoch++;
                    continue;
                }
                if (step >= _options.MaxSteps)
                {
                    stepLimitReached = true;
                    break;
                }
                if (budget is TimeSpan limit && Elapsed() >= limit)
                {
                    stoppedByBudget = true;
                    break;
                }

                // Progress through the schedule: by steps, or by time when a budget will end training first.
                double progress = (double)step / totalSteps;
                if (budget is TimeSpan b) progress = Math.Max(progress, Elapsed().TotalSeconds / b.TotalSeconds);
                double learningRate = schedule.LearningRateAt((int)Math.Min(totalSteps, Math.Round(progress * totalSteps)));

                double lossValue;
                using (DisposeScope scope = NewDisposeScope())
                {
                    Tensor images = BatchToTensor(batch, shape, device).mul_(pixelScale);
                    Tensor? labels = LabelsToTensor(batch, device);
                    Tensor loss = method.ComputeLoss(new ContrastiveBatch(images, labels, normalization.Apply, generator));
                    lossValue = loss.item<float>();
                    if (!double.IsFinite(lossValue))
                    {
                        throw new InvalidOperationException(
                            $"{method.Name} training diverged: the loss became {lossValue} at step {step + 1} (epoch {epoch}). " +
                            $"Nothing was exported. Usual fixes: lower LearningRate (now {_options.LearningRate}), raise the temperature, " +
                            "use a longer warm-up (WarmupFraction), or check the input pixels' scale (PixelScale).");
                    }
                    optimizer.ZeroGrad();
                    loss.backward();
                    optimizer.LearningRate = learningRate;
                    optimizer.Step();
                }
                method.AfterStep();

                step++;
                batchInEpoch++;
                lastEpoch = epoch;
                lastBatchInEpoch = batchInEpoch;
                imagesSeen += batch.Count;
                history.AddStep(lossValue, batch.Count);

                bool evaluated = false;
                if (evaluator != null && evaluator.IsDue(step, Elapsed().TotalSeconds))
                {
                    Evaluate(final: false);
                    evaluated = true;
                }
                TimeSpan now = Elapsed();
                // A fresh evaluation is reported at once, so that the progress output shows every one.
                if (evaluated || (now - lastReport).TotalSeconds >= _options.ProgressIntervalSeconds)
                {
                    double imagesPerSecond = history.IntervalImages / Math.Max(1e-9, (now - lastReport).TotalSeconds);
                    double intervalLoss = history.EndInterval(step, now.TotalSeconds);
                    Report(method, epoch, step, totalSteps, intervalLoss, learningRate, imagesPerSecond, now, budget, evaluator);
                    lastReport = now;
                }
                // After the report, so that the history a checkpoint carries has this step's report point in it.
                if (checkpointPath != null && step % _options.CheckpointEverySteps == 0) WriteCheckpoint();
            }
            batchesToSkip = 0;
            int epochSteps = history.EpochSteps;
            if (history.EndEpoch() is double epochLoss)
            {
                _log($"{method.Name} epoch {epoch}/{_options.Epochs}: mean loss {epochLoss:F4} over {epochSteps} steps, " +
                     $"{imagesSeen / Math.Max(1e-9, Elapsed().TotalSeconds):F0} img/s, elapsed {Elapsed():hh\\:mm\\:ss}");
            }
        }
        // The end of training is a checkpoint too: a later Fit over the same directory then only exports.
        if (checkpointPath != null && step != lastCheckpointStep) WriteCheckpoint();
        if (history.IntervalSteps > 0) history.EndInterval(step, Elapsed().TotalSeconds);
        if (stoppedByBudget)
        {
            _log($"{method.Name}: the time budget of {_options.MaxMinutes} minutes ended training after {step} steps in epoch {epochsStarted}.");
        }
        if (evaluator != null)
        {
            Evaluate(final: true);
            Evaluation.EvaluationReport evaluation = evaluator.Report();
            _log($"{method.Name} evaluation at the end, on {evaluation.HeldOutRows} held-out images: {Evaluation.OnlineEvaluationText.Describe(evaluation.Final)}; " +
                 $"random init: {Evaluation.OnlineEvaluationText.Describe(evaluation.RandomInit)}; raw pixels: {Evaluation.OnlineEvaluationText.Describe(evaluation.Pixels)}; " +
                 $"evaluation took {evaluation.Seconds:F1} s of {Elapsed().TotalSeconds:F1} s.");
        }
        method.SetTraining(false);

        return new TrainingReport
        {
            Evaluation = evaluator?.Report(),
            Method = method.Name,
            Encoder = encoderName,
            Device = device.type == DeviceType.CUDA ? "cuda" : "cpu",
            TrainingRows = statistics.RowCount,
            BatchSize = batchSize,
            EpochsCompleted = epochsStarted,
            Steps = step,
            ImagesSeen = imagesSeen,
            TrainingSeconds = Elapsed().TotalSeconds,
            StoppedByTimeBudget = stoppedByBudget,
            EpochLosses = history.EpochLosses,
            LossCurve = history.Curve,
            ResumedFromStep = resumedFromStep,
            EmbeddingDim = method.Encoder.EmbeddingDim,
        };
    }

    /// <summary>
    /// The data order's random source for one epoch, derived from (seed, epoch) alone so that a resumed Fit reproduces
    /// the order of the epoch it resumes in without replaying earlier epochs. Epoch 1 uses the seed itself.
    /// </summary>
    internal static Random EpochRandom(int seed, int epoch) => new(unchecked(seed + (epoch - 1) * 1_000_003));

    /// <summary>The options a checkpoint must share with the Fit that resumes from it, as (name, value) pairs.</summary>
    private IReadOnlyList<KeyValuePair<string, string>> Fingerprint(IContrastiveMethod method, string encoderName, int batchSize, int seed, long rows)
    {
        var c = System.Globalization.CultureInfo.InvariantCulture;
        ImageShape shape = _options.RequiredImageShape;
        return new KeyValuePair<string, string>[]
        {
            new("Method", method.Name),
            new(nameof(ContrastiveEncoderOptions.Encoder), encoderName),
            new(nameof(ContrastiveEncoderOptions.EncoderWidth), _options.EncoderWidth.ToString(c)),
            new(nameof(ContrastiveEncoderOptions.EncoderPooling), _options.EncoderPooling.ToString()),
            new(nameof(ContrastiveEncoderOptions.ImageShape), $"{shape.Channels}x{shape.Height}x{shape.Width}"),
            new(nameof(ContrastiveEncoderOptions.BatchSize), batchSize.ToString(c)),
            new(nameof(ContrastiveEncoderOptions.Seed), seed.ToString(c)),
            new(nameof(ContrastiveEncoderOptions.LearningRate), _options.LearningRate.ToString("R", c)),
            new(nameof(ContrastiveEncoderOptions.Epochs), _options.Epochs.ToString(c)),
            new(nameof(ContrastiveEncoderOptions.MaxSteps), _options.MaxSteps?.ToString(c) ?? "none"),
            new(nameof(ContrastiveEncoderOptions.Optimizer), _options.Optimizer.ToString()),
            new(nameof(ContrastiveEncoderOptions.WeightDecay), _options.WeightDecay.ToString("R", c)),
            new(nameof(ContrastiveEncoderOptions.Momentum), _options.Momentum.ToString("R", c)),
            new(nameof(ContrastiveEncoderOptions.WarmupFraction), _options.WarmupFraction.ToString("R", c)),
            new(nameof(ContrastiveEncoderOptions.PixelScale), _options.PixelScale.ToString("R", c)),
            new("TrainingRows", rows.ToString(c)),
        }.Concat(method.CheckpointFingerprint()).ToList();
    }

    private static void CheckFingerprint(string path, IReadOnlyList<KeyValuePair<string, string>> saved, IReadOnlyList<KeyValuePair<string, string>> current)
    {
        if (CheckpointFingerprint.FirstDifference(saved, current) is var (name, savedValue, value))
        {
            throw new InvalidOperationException(
                $"Cannot resume from the checkpoint '{path}': it was written with {name} = {savedValue}, but this Fit has {name} = {value}. " +
                "Resume with the options the checkpoint was written with, or use another CheckpointDirectory (or delete the checkpoint) to train from the start.");
        }
    }

    private static void Restore(string path, TrainingCheckpoint checkpoint, IContrastiveMethod method, TrainingOptimizer optimizer, Generator generator)
    {
        try
        {
            using (var reader = new BinaryReader(new MemoryStream(checkpoint.ModelState, writable: false)))
                method.LoadState(reader);
            using (var reader = new BinaryReader(new MemoryStream(checkpoint.OptimizerState, writable: false)))
                optimizer.LoadState(reader);
            using Tensor state = tensor(checkpoint.GeneratorState);
            generator.set_state(state);
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            throw new InvalidDataException($"The checkpoint '{path}' passed its checksum but its state does not fit this model ({error.Message}).", error);
        }
    }

    private static void WriteCheckpointFile(string path, IReadOnlyList<KeyValuePair<string, string>> fingerprint, long step, int epoch,
                                            int batchesInEpoch, long imagesSeen, TimeSpan elapsed, LossHistory history, IContrastiveMethod method,
                                            TrainingOptimizer optimizer, Generator generator)
    {
        byte[] Serialize(Action<BinaryWriter> write)
        {
            using var stream = new MemoryStream();
            using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true)) write(writer);
            return stream.ToArray();
        }
        byte[] generatorState;
        using (Tensor state = generator.get_state()) // a CPU byte tensor, whatever the generator's device
        {
            generatorState = state.data<byte>().ToArray();
        }
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        new TrainingCheckpoint
        {
            Fingerprint = fingerprint,
            Step = step,
            Epoch = epoch,
            BatchesInEpoch = batchesInEpoch,
            ImagesSeen = imagesSeen,
            TrainingSeconds = elapsed.TotalSeconds,
            History = history,
            GeneratorState = generatorState,
            ModelState = Serialize(method.SaveState),
            OptimizerState = Serialize(optimizer.SaveState),
        }.Write(path);
    }

    private void Report(IContrastiveMethod method, int epoch, long step, long totalSteps, double loss, double learningRate,
                        double imagesPerSecond, TimeSpan elapsed, TimeSpan? budget, Evaluation.OnlineEvaluator? evaluator)
    {
        double stepsLeftSeconds = step > 0 ? (totalSteps - step) * elapsed.TotalSeconds / step : 0;
        double remaining = budget is TimeSpan b ? Math.Min(stepsLeftSeconds, Math.Max(0, (b - elapsed).TotalSeconds)) : stepsLeftSeconds;
        var progress = new TrainingProgress(method.Name, epoch, _options.Epochs, step, totalSteps, loss, learningRate,
                                            imagesPerSecond, elapsed, TimeSpan.FromSeconds(Math.Max(0, remaining)), method.ProgressFigures(),
                                            evaluator?.Report());
        _options.Progress?.Report(progress);
        _log(progress.ToString());
    }

    /// <summary>A batch's labels as an [N] int64 tensor on <paramref name="device"/>; null when the batch has none.</summary>
    internal static Tensor? LabelsToTensor(PixelBatch batch, Device device)
    {
        if (batch.Labels is not long[] labels) return null;
        long[] values = labels.Length == batch.Count ? labels : labels.AsSpan(0, batch.Count).ToArray();
        Tensor result = tensor(values, new long[] { batch.Count });
        return device.type == DeviceType.CPU ? result : result.to(device);
    }

    /// <summary>A batch's raw pixels as an [N,C,H,W] tensor on <paramref name="device"/> (one copy from the managed array).</summary>
    internal static Tensor BatchToTensor(PixelBatch batch, ImageShape shape, Device device)
    {
        int length = batch.Count * shape.Size;
        float[] pixels = batch.Pixels.Length == length ? batch.Pixels : batch.Pixels.AsSpan(0, length).ToArray();
        Tensor images = tensor(pixels, new long[] { batch.Count, shape.Channels, shape.Height, shape.Width });
        return device.type == DeviceType.CPU ? images : images.to(device);
    }
}
