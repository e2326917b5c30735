using VirtualIoT.LoadGen.Measurement;

namespace VirtualIoT.LoadGen;

/// <summary>Entry points: the command line, and the same run as a library call (used by the end-to-end test).</summary>
public static class LoadGenProgram
{
    /// <summary>
    /// Process entry point. Not top-level statements: those would define a global <c>Program</c> class, which
    /// the test project already gets from the Silo (<c>WebApplicationFactory&lt;Program&gt;</c>).
    /// </summary>
    public static Task<int> Main(string[] args) => MainAsync(args);

    /// <summary>Parses the arguments, runs, prints the summary, writes the result file; returns the exit code.</summary>
    public static async Task<int> MainAsync(string[] args)
    {
        if (args is ["--help"] or ["-h"])
        {
            Console.WriteLine(OptionsParser.Usage);
            return 0;
        }

        if (args is ["chaos", .. var chaos])
        {
            return await Chaos.ChaosRunner.MainAsync(chaos);
        }

        if (args is [var command, .. var benchArgs] && Bench.BenchCommands.Names.Contains(command))
        {
            return await Bench.BenchCommands.RunAsync(command, benchArgs);
        }

        var options = OptionsParser.Parse(args, out var error);
        if (options is null)
        {
            await Console.Error.WriteLineAsync($"LoadGen: {error}");
            await Console.Error.WriteLineAsync(OptionsParser.Usage);
            return 1;
        }

        if (options.EndpointsFile is { } file && EndpointsFileProblem(file) is { } problem)
        {
            await Console.Error.WriteLineAsync($"LoadGen: --endpoints-file {file}: {problem}");
            return 1;
        }

        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            // First Ctrl+C ends the run cleanly (the summary and result file are still written).
            e.Cancel = true;
            cancel.Cancel();
        };
        var live = options.Live && !Console.IsOutputRedirected;
        Func<Run, CancellationToken, Task> view = live
            ? ConsoleView.LiveAsync
            : (run, token) => ConsoleView.PlainAsync(run, Console.Out, options.ReportEvery, token);
        var result = await RunAsync(options, args, view, cancel.Token);
        ConsoleView.WriteSummary(Console.Out, result);
        return result.ExitCode;
    }

    private static string? EndpointsFileProblem(string file)
    {
        try
        {
            return Transport.EndpointSet.Parse(File.ReadAllText(file)).Count == 0 ? "lists no endpoint" : null;
        }
        catch (Exception exception) when (exception is IOException or FormatException or UnauthorizedAccessException)
        {
            return exception.Message;
        }
    }

    /// <summary>
    /// Runs LoadGen with <paramref name="options"/>: every phase, then the result file when
    /// <see cref="LoadGenOptions.ResultsPath"/> is set. <paramref name="view"/> shows progress (null: none).
    /// </summary>
    public static async Task<LoadGenResult> RunAsync(LoadGenOptions options, IReadOnlyList<string> arguments,
        Func<Run, CancellationToken, Task>? view, CancellationToken cancellationToken)
    {
        var result = await Run.ExecuteAsync(options, arguments, view, cancellationToken);
        if (options.ResultsPath is { } path)
        {
            var directory = Path.GetDirectoryName(Path.GetFullPath(path));
            if (directory is not null)
            {
                Directory.CreateDirectory(directory);
            }

            await File.WriteAllTextAsync(path, ResultJsonContext.Serialize(result), CancellationToken.None);
        }

        return result;
    }
}
