namespace ContrastiveML.Samples;

/// <summary>
/// Turns the expected failures of a command (bad options, missing, unreadable or unusable files) into one line on
/// standard error and exit code 1, instead of System.CommandLine's stack trace; unexpected exceptions still propagate.
/// </summary>
internal static class CommandErrors
{
    /// <summary>Runs <paramref name="action"/>; returns its exit code, or 1 after writing the error to <paramref name="error"/>.</summary>
    public static int Run(Func<int> action, TextWriter error)
    {
        try
        {
            return action();
        }
        // InvalidDataException (a file that is there but not what the option needs) is not an IOException.
        catch (Exception e) when (e is ArgumentException or IOException or InvalidDataException or InvalidOperationException or UnauthorizedAccessException)
        {
            error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }
}
