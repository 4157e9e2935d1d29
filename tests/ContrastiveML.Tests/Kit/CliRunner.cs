using System.CommandLine;
using ContrastiveML.Samples;

namespace ContrastiveML.Tests;

/// <summary>Runs the real <c>contrastiveml</c> command line in process, capturing standard output and error.</summary>
internal static class CliRunner
{
    public static (int ExitCode, string Output, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = Cli.CreateRoot().Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error });
        return (code, output.ToString(), error.ToString());
    }
}
