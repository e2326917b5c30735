using VirtualIoT.Benchmarks;

// HTTP benchmark tools for the oneM2M CSE; see BENCHMARKS.md and scripts/bench-http.sh.
if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
{
    Console.WriteLine(CommandLine.Usage);
    return args.Length == 0 ? 1 : 0;
}

try
{
    var options = CommandLine.Parse(args.AsSpan(1));
    return args[0] switch
    {
        "ceiling" => await CeilingServer.RunAsync(options),
        "setup" => await SetupCommand.RunAsync(options),
        "load" => await LoadCommand.RunAsync(options),
        "fanout" => await FanOutCommand.RunAsync(options),
        "mqtt-connections" => await MqttConnectionsCommand.RunAsync(options),
        "commit-rate" => await CommitRateCommand.RunAsync(options),
        _ => throw new ArgumentException($"unknown command '{args[0]}'"),
    };
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    Console.Error.WriteLine(CommandLine.Usage);
    return 1;
}
