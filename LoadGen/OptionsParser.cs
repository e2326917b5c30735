using System.Globalization;

using VirtualIoT.LoadGen.Transport;

namespace VirtualIoT.LoadGen;

/// <summary>
/// A small hand parser for <c>--name value</c> and <c>--flag</c> arguments (also <c>--name=value</c>). Unknown
/// options, missing values and out-of-range numbers are errors naming the option, never guesses.
/// </summary>
public static class OptionsParser
{
    /// <summary>Usage text, one line per option with its default.</summary>
    public const string Usage = """
        usage: dotnet run -c Release --project LoadGen -- [options]
               dotnet run -c Release --project LoadGen -- chaos [options]        (chaos --help)
               dotnet run -c Release --project LoadGen -- ceiling|setup|load|fanout|mqtt-connections|commit-rate [options]
                                                                                  (benchmark commands: ceiling --help)

          --base URL[,URL]         CSE HTTP base URL(s); connections spread over them (http://127.0.0.1:8080)
          --endpoints-file PATH    base URLs, one per line, re-read every second; device d talks to the one
                                   rendezvous hashing picks among them (HTTP only; replaces --base)
          --cse-base NAME          CSEBase resource name (cse-in)
          --cse-id ID              SP-relative CSE-ID, for MQTT topics (/id-in)
          --admin ORIGINATOR       admin originator for readers and verification (CAdmin)
          --devices N              simulated devices, AE + container each (1000000)
          --interval DURATION      time between a device's contentInstances (60s)
          --rate-per-device R      contentInstances per device per second (instead of --interval)
          --protocol http|mqtt|coap|ws  binding of the device operations (http); with mqtt and ws,
                                   reads, verification and teardown go over HTTP
          --coap-port N            UDP port of the CSE's CoAP binding, on the base URL's host (5683)
          --serialization json|cbor  CoAP bodies and WebSocket primitives (cbor); HTTP and MQTT send JSON
          --readers RATIO          reads per contentInstance written: la retrieve or discovery (0)
          --discovery-share F      share of the reads that are discoveries (0.1)
          --subscribers RATIO      share of the containers with a subscription to LoadGen's receiver (0)
          --register-rate R        devices registered per second; 0 = as fast as possible (0)
          --duration DURATION      steady phase length (60s)
          --teardown               delete every AE created at the end
          --verify                 read back what was acknowledged; exit code 2 on loss
          --results PATH           write the JSON result file
          --max-connections N      HTTP connections = most requests in flight (64)
          --max-pending N          most requests due but not yet sent; beyond it they are dropped (100000)
          --request-timeout D      per request (10s)
          --phase-timeout D        bound on registration, verification and teardown (30m)
          --notification-wait D    wait for outstanding notifications after the steady phase (30s)
          --prefix P               AE-IDs are C<P><n> (fresh per run)
          --container NAME         container name (data)
          --mqtt-host HOST         MQTT broker host (the base URL's host)
          --mqtt-port N[,N...]     MQTT broker port(s); device d uses port d mod n (1883)
          --source-addresses N     spread MQTT connections over 127.0.0.1..127.0.0.N (8)
          --notify-host HOST       address the notification receiver binds (127.0.0.1)
          --notify-port N          notification receiver port; 0 = free port (0)
          --silo-pid PID[,PID]     silo processes whose RSS and CPU time are recorded
          --silo-gc                full GC in each silo PID before each server snapshot (RSS = live memory)
          --idle-wait D            after registration, wait up to D for idle grains to be deactivated (0 = no)
          --seed N                 jitter and reader seed (1)
          --no-live                plain progress lines instead of the live table
          --report-every D         time between plain progress lines; rates and p99 are per line (5s)
        durations: 500ms, 20s, 5m, 1h or seconds
        """;

    /// <summary>Parses <paramref name="args"/> over the defaults; returns null and an error message on bad input.</summary>
    public static LoadGenOptions? Parse(IReadOnlyList<string> args, out string? error)
    {
        var options = new LoadGenOptions();
        error = null;
        try
        {
            for (var i = 0; i < args.Count; i++)
            {
                var arg = args[i];
                string? inline = null;
                var eq = arg.IndexOf('=', StringComparison.Ordinal);
                if (arg.StartsWith("--", StringComparison.Ordinal) && eq > 0)
                {
                    inline = arg[(eq + 1)..];
                    arg = arg[..eq];
                }

                string Value()
                {
                    if (inline is not null)
                    {
                        return inline;
                    }

                    if (i + 1 >= args.Count)
                    {
                        throw new FormatException($"{arg} needs a value");
                    }

                    return args[++i];
                }

                options = arg switch
                {
                    "--base" => options with { BaseUrls = ParseUrls(arg, Value()) },
                    "--endpoints-file" => options with { EndpointsFile = NonEmpty(arg, Value()) },
                    "--report-every" => options with { ReportEvery = Positive(arg, Duration(arg, Value())) },
                    "--cse-base" => options with { CseBaseName = NonEmpty(arg, Value()) },
                    "--cse-id" => options with { CseId = NonEmpty(arg, Value()) },
                    "--admin" => options with { AdminOriginator = NonEmpty(arg, Value()) },
                    "--devices" => options with { Devices = Int(arg, Value(), 1, 100_000_000) },
                    "--interval" => options with { Interval = Positive(arg, Duration(arg, Value())) },
                    "--rate-per-device" => options with { Interval = TimeSpan.FromSeconds(1 / Double(arg, Value(), 1e-6, 1000)) },
                    "--protocol" => options with { Protocol = Protocol(arg, Value()) },
                    "--readers" => options with { Readers = Double(arg, Value(), 0, 1000) },
                    "--discovery-share" => options with { DiscoveryShare = Double(arg, Value(), 0, 1) },
                    "--subscribers" => options with { Subscribers = Double(arg, Value(), 0, 1) },
                    "--register-rate" => options with { RegisterRate = Double(arg, Value(), 0, 10_000_000) },
                    "--duration" => options with { Duration = Duration(arg, Value()) },
                    "--teardown" => options with { Teardown = true },
                    "--verify" => options with { Verify = true },
                    "--results" => options with { ResultsPath = NonEmpty(arg, Value()) },
                    "--max-connections" => options with { MaxConnections = Int(arg, Value(), 1, 10_000) },
                    "--max-pending" => options with { MaxPending = Int(arg, Value(), 1, 100_000_000) },
                    "--request-timeout" => options with { RequestTimeout = Positive(arg, Duration(arg, Value())) },
                    "--phase-timeout" => options with { PhaseTimeout = Positive(arg, Duration(arg, Value())) },
                    "--notification-wait" => options with { NotificationWait = Duration(arg, Value()) },
                    "--prefix" => options with { Prefix = NonEmpty(arg, Value()) },
                    "--container" => options with { ContainerName = NonEmpty(arg, Value()) },
                    "--coap-port" => options with { CoapPort = Int(arg, Value(), 1, 65535) },
                    "--serialization" => options with { Serialization = Serialization(arg, Value()) },
                    "--mqtt-host" => options with { MqttHost = NonEmpty(arg, Value()) },
                    "--mqtt-port" => options with { MqttPorts = Ints(arg, Value(), 1, 65535) },
                    "--source-addresses" => options with { SourceAddresses = Int(arg, Value(), 1, 254) },
                    "--notify-host" => options with { NotifyHost = NonEmpty(arg, Value()) },
                    "--notify-port" => options with { NotifyPort = Int(arg, Value(), 0, 65535) },
                    "--silo-pid" => options with { SiloPids = Ints(arg, Value(), 1, int.MaxValue) },
                    "--silo-gc" => options with { SiloGc = true },
                    "--idle-wait" => options with { IdleWait = Duration(arg, Value()) },
                    "--seed" => options with { Seed = Int(arg, Value(), int.MinValue, int.MaxValue) },
                    "--no-live" => options with { Live = false },
                    _ => throw new FormatException($"unknown option '{args[i]}'"),
                };
            }
        }
        catch (FormatException exception)
        {
            error = exception.Message;
            return null;
        }

        if (options.EndpointsFile is not null && options.Protocol is DeviceProtocol.Mqtt or DeviceProtocol.WebSocket)
        {
            error = "--endpoints-file is for HTTP and CoAP devices (an MQTT or WebSocket device keeps its connection)";
            return null;
        }

        return options;
    }

    /// <summary>Parses <c>500ms</c>, <c>20s</c>, <c>5m</c>, <c>1h</c> or a plain number of seconds.</summary>
    public static TimeSpan Duration(string name, string text)
    {
        var (number, scale) = text switch
        {
            _ when text.EndsWith("ms", StringComparison.Ordinal) => (text[..^2], 0.001),
            _ when text.EndsWith('s') => (text[..^1], 1.0),
            _ when text.EndsWith('m') => (text[..^1], 60.0),
            _ when text.EndsWith('h') => (text[..^1], 3600.0),
            _ => (text, 1.0),
        };
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || value < 0 || double.IsInfinity(value))
        {
            throw new FormatException($"{name}: '{text}' is not a duration (500ms, 20s, 5m, 1h)");
        }

        return TimeSpan.FromSeconds(value * scale);
    }

    private static TimeSpan Positive(string name, TimeSpan value) =>
        value > TimeSpan.Zero ? value : throw new FormatException($"{name} must be greater than 0");

    private static Uri ParseUrl(string name, string text) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttp
            ? uri
            : throw new FormatException($"{name}: '{text}' is not an http:// URL");

    private static Uri[] ParseUrls(string name, string text)
    {
        var urls = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(part => ParseUrl(name, part)).ToArray();
        return urls.Length > 0 ? urls : throw new FormatException($"{name} needs at least one URL");
    }

    private static string NonEmpty(string name, string text) =>
        string.IsNullOrWhiteSpace(text) ? throw new FormatException($"{name} must not be empty") : text;

    private static int Int(string name, string text, int min, int max) =>
        int.TryParse(text.Replace("_", "", StringComparison.Ordinal), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw new FormatException($"{name}: '{text}' is not a whole number from {min} to {max}");

    private static double Double(string name, string text, double min, double max) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw new FormatException($"{name}: '{text}' is not a number from {min} to {max}");

    private static DeviceProtocol Protocol(string name, string text) => text.ToLowerInvariant() switch
    {
        "http" => DeviceProtocol.Http,
        "mqtt" => DeviceProtocol.Mqtt,
        "coap" => DeviceProtocol.Coap,
        "ws" => DeviceProtocol.WebSocket,
        _ => throw new FormatException($"{name}: '{text}' is not http, mqtt, coap or ws"),
    };

    private static BodySerialization Serialization(string name, string text) => text.ToLowerInvariant() switch
    {
        "json" => BodySerialization.Json,
        "cbor" => BodySerialization.Cbor,
        _ => throw new FormatException($"{name}: '{text}' is neither json nor cbor"),
    };

    private static int[] Ints(string name, string text, int min, int max)
    {
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var values = new int[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            values[i] = Int(name, parts[i], min, max);
        }

        return values.Length > 0 ? values : throw new FormatException($"{name} needs at least one value");
    }
}
