using System.Globalization;

namespace VirtualIoT.LoadGen.Chaos;

/// <summary>
/// What a chaos run does (<c>dotnet run -c Release --project LoadGen -- chaos ...</c>): the cluster it starts or
/// attaches to, the device traffic it sends through the gateways, and the faults it injects. Every phase is bounded;
/// the run stops by itself.
/// </summary>
public sealed record ChaosOptions
{
    /// <summary>Silo processes to start (from <see cref="SiloDll"/>).</summary>
    public int Silos { get; init; } = 3;

    /// <summary>Standalone gateway processes to start (from <see cref="GatewayDll"/>); 0 = send through the silos' own HTTP endpoints.</summary>
    public int Gateways { get; init; } = 2;

    /// <summary>Path of <c>VirtualIoT.Silo.dll</c> (a build output, not a project reference); null = attach mode.</summary>
    public string? SiloDll { get; init; }

    /// <summary>Path of <c>VirtualIoT.Gateway.dll</c>.</summary>
    public string? GatewayDll { get; init; }

    /// <summary>Npgsql connection string of the PostgreSQL that holds membership and grain state.</summary>
    public string? Postgres { get; init; }

    /// <summary>Grain storage of the started silos: <c>postgres</c> (the same database as membership) or <c>azuretable</c> (<see cref="AzureTable"/>).</summary>
    public string Storage { get; init; } = "postgres";

    /// <summary>Azure Table storage connection string (Azurite) when <see cref="Storage"/> is <c>azuretable</c>.</summary>
    public string? AzureTable { get; init; }

    /// <summary>How devices reach the gateways: <c>http</c> or <c>mqtt</c> (the gateways' embedded brokers, one connection per device and gateway).</summary>
    public string Protocol { get; init; } = "http";

    /// <summary>When (into the traffic) the database is stopped and started again; null = never.</summary>
    public TimeSpan? PostgresRestartAt { get; init; }

    /// <summary>How long the database stays down at <see cref="PostgresRestartAt"/>.</summary>
    public TimeSpan PostgresDownFor { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Shell command that stops the database, keeping its data (e.g. <c>scripts/pg.sh down</c>).</summary>
    public string? PostgresDownCommand { get; init; }

    /// <summary>Shell command that starts the stopped database again on the same port (e.g. <c>scripts/pg.sh up</c>).</summary>
    public string? PostgresUpCommand { get; init; }

    /// <summary>When (into the traffic) every silo and gateway is killed and, after <see cref="ClusterDownFor"/>, all are started again; null = never.</summary>
    public TimeSpan? ClusterRestartAt { get; init; }

    /// <summary>How long the whole cluster stays down at <see cref="ClusterRestartAt"/>.</summary>
    public TimeSpan ClusterDownFor { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>When (into the traffic) the run's notification receiver starts refusing notifications (5000), so they queue up in the CSE; null = never.</summary>
    public TimeSpan? SubscriberOutageAt { get; init; }

    /// <summary>How long the receiver refuses at <see cref="SubscriberOutageAt"/>.</summary>
    public TimeSpan SubscriberOutageFor { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Extra arguments for every silo (configuration keys, space-separated).</summary>
    public string SiloArguments { get; init; } = "";

    /// <summary>First port of the block the processes' ports are taken from; 0 = free ports chosen by the system.</summary>
    public int BasePort { get; init; }

    /// <summary>Attach mode: HTTP base URLs of running gateways the traffic goes through.</summary>
    public IReadOnlyList<Uri> AttachGateways { get; init; } = [];

    /// <summary>Attach mode: PIDs of running silos that may be killed (they are not restarted).</summary>
    public IReadOnlyList<int> AttachSiloPids { get; init; } = [];

    /// <summary>Simulated devices: an AE and a container each.</summary>
    public int Devices { get; init; } = 40;

    /// <summary>AEs registered during the traffic phase, spread over it, to cover registration by the faults. Default 0.</summary>
    public int Registrations { get; init; }

    /// <summary>Time between two writes of one device.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Length of the traffic phase.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Time between two silo kills (SIGKILL); zero = none.</summary>
    public TimeSpan KillEvery { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Delay before a killed silo (or gateway) is started again.</summary>
    public TimeSpan RestartAfter { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Time between two gateway kills; zero = none.</summary>
    public TimeSpan GatewayKillEvery { get; init; }

    /// <summary>Time between two silo pauses (SIGSTOP, then SIGCONT after <see cref="PauseFor"/>); zero = none.</summary>
    public TimeSpan PauseEvery { get; init; }

    /// <summary>How long a paused silo stays stopped.</summary>
    public TimeSpan PauseFor { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Share of the devices whose container has a subscription to the run's notification receiver.</summary>
    public double Subscribers { get; init; } = 0.25;

    /// <summary>Longest wait after the traffic for notifications still owed (a killed silo's outbox is re-sent by a one-minute reminder).</summary>
    public TimeSpan NotificationWait { get; init; } = TimeSpan.FromSeconds(90);

    /// <summary>How long a device keeps retrying one write (same request identifier) before it gives up on it.</summary>
    public TimeSpan RetryFor { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Per request.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Bound on cluster start, setup and read-back.</summary>
    public TimeSpan PhaseTimeout { get; init; } = TimeSpan.FromMinutes(3);

    /// <summary>Where to write the JSON report (none when null).</summary>
    public string? ResultsPath { get; init; }

    /// <summary>Folder for the started processes' logs.</summary>
    public string LogDirectory { get; init; } = Path.Combine(Path.GetTempPath(), "virtualiot-chaos");

    /// <summary>Seed of the choice of victims.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>CSEBase resource name.</summary>
    public string CseBaseName { get; init; } = "cse-in";

    /// <summary>CSE-ID of the CSE (the MQTT topics name it).</summary>
    public string CseId { get; init; } = "/id-in";

    /// <summary>Originator that passes every access check (read-back).</summary>
    public string AdminOriginator { get; init; } = "CAdmin";

    /// <summary>AE-IDs are <c>C&lt;prefix&gt;&lt;n&gt;</c>; fresh per run.</summary>
    public string Prefix { get; init; } = "chaos" + DateTime.UtcNow.ToString("HHmmss", CultureInfo.InvariantCulture) + "x";

    /// <summary>True when the runner starts the cluster itself.</summary>
    public bool StartsCluster => SiloDll is not null;

    /// <summary>Usage text.</summary>
    public const string Usage = """
        usage: dotnet run -c Release --project LoadGen -- chaos [options]

        Start mode (the runner starts and restarts the processes; PostgreSQL membership and reminders):
          --silo-dll PATH          VirtualIoT.Silo.dll of a build
          --gateway-dll PATH       VirtualIoT.Gateway.dll of a build (needed when --gateways > 0)
          --postgres CONN          Npgsql connection string
          --storage NAME           grain storage: postgres (the same database) or azuretable (postgres)
          --azure-table CONN       Azure Table storage connection string (Azurite), for --storage azuretable
          --silos N                silos to start (3)
          --gateways N             standalone gateways to start; 0 = the silos' own HTTP endpoints (2)
          --silo-args "ARGS"       extra configuration for every silo, e.g. "--Clustering:ProbeTimeout 00:00:02"
          --base-port P            ports from P upwards (P, P+1, ...); 0 = free ports (0)
        Attach mode (nothing is started or restarted):
          --gateway-url URL[,URL]  gateways to send through
          --silo-pid PID[,PID]     silos that may be killed
        Traffic and faults:
          --devices N              devices, AE + container each (40)
          --interval D             time between a device's writes (1s)
          --protocol P             http or mqtt: devices talk to the gateways' HTTP endpoints or their MQTT
                                   brokers (read-back and registration checks always use HTTP) (http)
          --registrations N        further AEs registered one by one during the traffic (and its faults), each
                                   retried under its rqi like a write, then retrieved; 0 = none (0)
          --duration D             traffic phase (2m)
          --kill-every D           SIGKILL a random silo this often; 0 = never (30s)
          --restart-after D        start a killed process again after (10s)
          --kill-gateway-every D   SIGKILL a random gateway this often; 0 = never (0)
          --pause-every D          SIGSTOP a random silo this often; 0 = never (0)
          --pause-for D            SIGCONT after (5s)
          --postgres-restart-at D  stop the database this long into the traffic, start it again after
                                   --postgres-down-for (10s); needs --postgres-down and --postgres-up
          --postgres-down CMD      shell command that stops the database keeping its data (scripts/pg.sh down)
          --postgres-up CMD        shell command that starts it again on the same port (scripts/pg.sh up)
          --cluster-restart-at D   SIGKILL every silo and gateway this long into the traffic and start them all
                                   again after --cluster-down-for (5s)
          --subscriber-outage-at D the notification receiver answers 5000 from this long into the traffic, for
                                   --subscriber-outage-for (20s): notifications queue up (e.g. across a restart)
          --subscribers F          share of the containers with a subscription (0.25)
          --notification-wait D    longest wait for owed notifications (90s)
          --retry-for D            a device retries one write (same rqi) this long (60s)
          --request-timeout D      per request (20s)
          --phase-timeout D        bound on start, setup and read-back (3m)
          --results PATH           JSON report
          --logs DIR               process logs (/tmp/virtualiot-chaos)
          --seed N                 victim choice (1)
          --prefix P               AE-IDs C<P><n> (fresh per run)
          --cse-id ID              CSE-ID in the MQTT topics (/id-in)
        durations: 500ms, 20s, 5m, 1h or seconds. Exit code 0 when nothing acknowledged is lost, duplicated or
        left unnotified, 2 when something is, 1 on bad options or a cluster that does not start.
        """;

    /// <summary>Parses <paramref name="args"/> over the defaults; returns null and an error message on bad input.</summary>
    public static ChaosOptions? Parse(IReadOnlyList<string> args, out string? error)
    {
        var options = new ChaosOptions();
        error = null;
        try
        {
            for (var i = 0; i < args.Count; i++)
            {
                var name = args[i];
                if (i + 1 >= args.Count)
                {
                    throw new FormatException($"{name} needs a value (or is not an option)");
                }

                var value = args[++i];
                options = name switch
                {
                    "--silo-dll" => options with { SiloDll = ExistingFile(name, value) },
                    "--gateway-dll" => options with { GatewayDll = ExistingFile(name, value) },
                    "--postgres" => options with { Postgres = value },
                    "--silos" => options with { Silos = Whole(name, value, 1, 16) },
                    "--gateways" => options with { Gateways = Whole(name, value, 0, 16) },
                    "--storage" => options with { Storage = OneOf(name, value, "postgres", "azuretable") },
                    "--azure-table" => options with { AzureTable = value },
                    "--protocol" => options with { Protocol = OneOf(name, value, "http", "mqtt") },
                    "--postgres-restart-at" => options with { PostgresRestartAt = Time(name, value) },
                    "--postgres-down-for" => options with { PostgresDownFor = Time(name, value) },
                    "--postgres-down" => options with { PostgresDownCommand = value },
                    "--postgres-up" => options with { PostgresUpCommand = value },
                    "--cluster-restart-at" => options with { ClusterRestartAt = Time(name, value) },
                    "--cluster-down-for" => options with { ClusterDownFor = Time(name, value) },
                    "--subscriber-outage-at" => options with { SubscriberOutageAt = Time(name, value) },
                    "--subscriber-outage-for" => options with { SubscriberOutageFor = Time(name, value) },
                    "--silo-args" => options with { SiloArguments = value },
                    "--base-port" => options with { BasePort = Whole(name, value, 0, 65000) },
                    "--gateway-url" => options with { AttachGateways = [.. List(value).Select(u => Url(name, u))] },
                    "--silo-pid" => options with { AttachSiloPids = [.. List(value).Select(p => Whole(name, p, 1, int.MaxValue))] },
                    "--devices" => options with { Devices = Whole(name, value, 1, 100_000) },
                    "--registrations" => options with { Registrations = Whole(name, value, 0, 100_000) },
                    "--interval" => options with { Interval = Time(name, value, positive: true) },
                    "--duration" => options with { Duration = Time(name, value, positive: true) },
                    "--kill-every" => options with { KillEvery = Time(name, value) },
                    "--restart-after" => options with { RestartAfter = Time(name, value) },
                    "--kill-gateway-every" => options with { GatewayKillEvery = Time(name, value) },
                    "--pause-every" => options with { PauseEvery = Time(name, value) },
                    "--pause-for" => options with { PauseFor = Time(name, value, positive: true) },
                    "--subscribers" => options with { Subscribers = Share(name, value) },
                    "--notification-wait" => options with { NotificationWait = Time(name, value) },
                    "--retry-for" => options with { RetryFor = Time(name, value, positive: true) },
                    "--request-timeout" => options with { RequestTimeout = Time(name, value, positive: true) },
                    "--phase-timeout" => options with { PhaseTimeout = Time(name, value, positive: true) },
                    "--results" => options with { ResultsPath = value },
                    "--logs" => options with { LogDirectory = value },
                    "--seed" => options with { Seed = Whole(name, value, int.MinValue, int.MaxValue) },
                    "--prefix" => options with { Prefix = value },
                    "--cse-id" => options with { CseId = value },
                    _ => throw new FormatException($"unknown option '{name}'"),
                };
            }

            return options.Validated();
        }
        catch (FormatException exception)
        {
            error = exception.Message;
            return null;
        }
    }

    private ChaosOptions Validated()
    {
        if (StartsCluster)
        {
            if (Postgres is null)
            {
                throw new FormatException("--silo-dll needs --postgres (membership and storage of the cluster)");
            }

            if (Gateways > 0 && GatewayDll is null)
            {
                throw new FormatException("--gateways > 0 needs --gateway-dll (or --gateways 0)");
            }

            if (Storage == "azuretable" && AzureTable is null)
            {
                throw new FormatException("--storage azuretable needs --azure-table (an Azure Table storage connection string)");
            }
        }
        else if (ClusterRestartAt is not null || Protocol == "mqtt")
        {
            throw new FormatException("--cluster-restart-at and --protocol mqtt need start mode (--silo-dll ...)");
        }

        if (!StartsCluster && AttachGateways.Count == 0)
        {
            throw new FormatException("give --silo-dll, --gateway-dll and --postgres to start a cluster, or --gateway-url to attach to one");
        }

        if (PostgresRestartAt is not null && (PostgresDownCommand is null || PostgresUpCommand is null))
        {
            throw new FormatException("--postgres-restart-at needs --postgres-down and --postgres-up (commands that stop and start the database)");
        }

        return this;
    }

    private static string OneOf(string name, string text, params string[] allowed) =>
        allowed.Contains(text.ToLowerInvariant()) ? text.ToLowerInvariant() : throw new FormatException($"{name}: expected {string.Join(" or ", allowed)}, got '{text}'");

    private static IEnumerable<string> List(string text) =>
        text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static string ExistingFile(string name, string path) =>
        File.Exists(path) ? Path.GetFullPath(path) : throw new FormatException($"{name}: no file '{path}'");

    private static Uri Url(string name, string text) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttp
            ? uri
            : throw new FormatException($"{name}: '{text}' is not an http:// URL");

    private static int Whole(string name, string text, int min, int max) =>
        long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? (int)value
            : throw new FormatException($"{name}: expected a whole number in [{min}, {max}], got '{text}'");

    private static double Share(string name, string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value is >= 0 and <= 1
            ? value
            : throw new FormatException($"{name}: expected a share from 0 to 1, got '{text}'");

    private static TimeSpan Time(string name, string text, bool positive = false)
    {
        var value = OptionsParser.Duration(name, text);
        return positive && value <= TimeSpan.Zero ? throw new FormatException($"{name} must be greater than 0") : value;
    }
}
