namespace VirtualIoT.LoadGen.Bench;

/// <summary>
/// The benchmark commands (BENCHMARKS.md, scripts/bench-*.sh): a trivial Kestrel ceiling server, benchmark data setup,
/// a closed- or fixed-rate HTTP load client, notification fan-out, idle MQTT connections, idle CoAP devices, PostgreSQL's commit
/// rate and geo-queries at scale, as subcommands of LoadGen (<c>VirtualIoT.LoadGen ceiling|setup|load|fanout|group-fanout|mqtt-connections|coap-devices|commit-rate|geo-query</c>).
/// </summary>
internal static class BenchCommands
{
    /// <summary>The subcommand names.</summary>
    public static readonly IReadOnlySet<string> Names =
        new HashSet<string>(StringComparer.Ordinal) { "ceiling", "setup", "load", "fanout", "group-fanout", "mqtt-connections", "coap-devices", "commit-rate", "geo-query" };

    /// <summary>Runs <paramref name="command"/> with its <c>--name value</c> options; returns the exit code.</summary>
    public static async Task<int> RunAsync(string command, string[] args)
    {
        if (args is ["-h"] or ["--help"])
        {
            Console.WriteLine(CommandLine.Usage);
            return 0;
        }

        try
        {
            var options = CommandLine.Parse(args);
            return command switch
            {
                "ceiling" => await CeilingServer.RunAsync(options),
                "setup" => await SetupCommand.RunAsync(options),
                "load" => await LoadCommand.RunAsync(options),
                "fanout" => await FanOutCommand.RunAsync(options),
                "group-fanout" => await GroupFanOutCommand.RunAsync(options),
                "mqtt-connections" => await MqttConnectionsCommand.RunAsync(options),
                "coap-devices" => await CoapDevicesCommand.RunAsync(options),
                "commit-rate" => await CommitRateCommand.RunAsync(options),
                "geo-query" => await GeoQueryCommand.RunAsync(options),
                _ => throw new ArgumentException($"unknown command '{command}'"),
            };
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync(e.Message);
            await Console.Error.WriteLineAsync(CommandLine.Usage);
            return 1;
        }
    }
}
