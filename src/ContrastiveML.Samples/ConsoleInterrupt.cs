using System.Runtime.InteropServices;
using ContrastiveML.Training;

namespace ContrastiveML.Samples;

/// <summary>
/// Turns Ctrl+C (SIGINT) and SIGTERM into a graceful stop of a training command: the first signal cancels
/// <see cref="Token"/> instead of ending the process, so Fit stops after the step in flight and, when a checkpoint
/// directory is set, checkpoints it; a second Ctrl+C ends the process at once (the default action). Handlers are
/// removed on <see cref="Dispose"/>, so a command run in process (tests) leaves the host's signal handling as it was.
/// </summary>
internal sealed class ConsoleInterrupt : IDisposable
{
    /// <summary>The exit code of an interrupted command: 128 + SIGINT, as shells report a process ended by Ctrl+C.</summary>
    public const int ExitCode = 130;

    private readonly CancellationTokenSource _source = new();
    private readonly TextWriter _error;
    private readonly PosixSignalRegistration? _terminate;

    /// <summary>Starts listening; the notice of the first signal goes to <paramref name="error"/>.</summary>
    public ConsoleInterrupt(TextWriter error)
    {
        _error = error;
        Console.CancelKeyPress += OnCancelKeyPress;
        // SIGTERM (a service manager, `kill`, a CI timeout) asks for the same graceful stop; not available on Windows.
        if (!OperatingSystem.IsWindows()) _terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnTerminate);
    }

    /// <summary>Canceled by the first Ctrl+C or SIGTERM.</summary>
    public CancellationToken Token => _source.Token;

    /// <summary>Requests the stop, as the first signal does.</summary>
    public void Cancel(string signal)
    {
        if (_source.IsCancellationRequested) return;
        _error.WriteLine($"{signal}: stopping after the current training step (press Ctrl+C again to stop at once, losing the steps since the last checkpoint).");
        _source.Cancel();
    }

    /// <summary>
    /// The message of an interrupted command: where training stopped, and how to resume (with a checkpoint directory)
    /// or how to make the next run resumable (without one).
    /// </summary>
    public static string Describe(OperationCanceledException canceled, string? checkpointDirectory) => canceled switch
    {
        TrainingCanceledException { CheckpointPath: string path } stopped =>
            $"interrupted after training step {stopped.Step} of {stopped.TotalSteps}; the checkpoint '{path}' holds that step. " +
            $"Run the same command again (same options, --checkpoint-dir {checkpointDirectory}) to resume from it.",
        TrainingCanceledException stopped =>
            $"interrupted after training step {stopped.Step} of {stopped.TotalSteps}; nothing was saved" +
            (checkpointDirectory == null ? ". Give --checkpoint-dir DIR to make a run resumable." : "."),
        _ => "interrupted outside the training steps; no model was saved.",
    };

    private void OnCancelKeyPress(object? sender, ConsoleCancelEventArgs e)
    {
        if (_source.IsCancellationRequested) return; // the second Ctrl+C: let the process end
        e.Cancel = true;
        Cancel("Ctrl+C");
    }

    private void OnTerminate(PosixSignalContext context)
    {
        context.Cancel = true;
        Cancel("SIGTERM");
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Console.CancelKeyPress -= OnCancelKeyPress;
        _terminate?.Dispose();
        _source.Dispose();
    }
}
