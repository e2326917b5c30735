using System.Globalization;
using VirtualIoT.LoadGen.Transport;

namespace VirtualIoT.LoadGen;

/// <summary>Which binding the simulated devices speak.</summary>
public enum DeviceProtocol
{
    /// <summary>oneM2M HTTP binding (TS-0009) over a pool of keep-alive connections.</summary>
    Http,

    /// <summary>oneM2M MQTT binding (TS-0010): one connection per device.</summary>
    Mqtt,

    /// <summary>oneM2M CoAP binding (TS-0008): one UDP socket per pooled connection, confirmable requests.</summary>
    Coap,

    /// <summary>
    /// oneM2M WebSocket binding (TS-0020). The benchmark command <c>load</c>: one WebSocket per connection. The device
    /// simulation: a fixed set of WebSockets (<see cref="LoadGenOptions.MaxConnections"/> per endpoint), each device always
    /// on the same one, since the CSE binds an originator to one WebSocket; reads and verification go over HTTP.
    /// </summary>
    WebSocket,
}

/// <summary>
/// Everything a run needs, with the defaults a bare <c>dotnet run --project LoadGen</c> uses. Every phase is
/// bounded: by its device count, by its duration, or by <see cref="PhaseTimeout"/>; the program stops by itself.
/// </summary>
public sealed record LoadGenOptions
{
    /// <summary>
    /// Base URLs of the CSE's HTTP binding, e.g. one per silo of a cluster: the pooled connections are spread over
    /// them in turn, and device d always talks to URL d mod n. The first is probed and asked for the activation count.
    /// </summary>
    public IReadOnlyList<Uri> BaseUrls { get; init; } = [new("http://127.0.0.1:8080")];

    /// <summary>Base URL of the CSE's HTTP binding: the first of <see cref="BaseUrls"/>; setting it sets that one alone.</summary>
    public Uri BaseUrl
    {
        get => BaseUrls[0];
        init => BaseUrls = [value];
    }

    /// <summary>
    /// A file listing the CSE's HTTP base URLs (one per line), re-read every second while the run lasts, as a load
    /// balancer's backend list that the deployment rewrites when a silo is ready or about to stop. Each device talks to
    /// the endpoint rendezvous hashing gives it among those listed now, so when one is added about 1/N of the devices
    /// move to it and the rest stay. Replaces <see cref="BaseUrls"/> (HTTP only); null: the fixed <see cref="BaseUrls"/>.
    /// </summary>
    public string? EndpointsFile { get; init; }

    /// <summary>Time between two plain progress lines (their <c>/s</c> and p99 figures are of that interval).</summary>
    public TimeSpan ReportEvery { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>CSEBase resource name; the AEs are registered under it.</summary>
    public string CseBaseName { get; init; } = "cse-in";

    /// <summary>SP-relative CSE-ID, used in the MQTT topics (<c>/oneM2M/req/&lt;originator&gt;/id-in/json</c>).</summary>
    public string CseId { get; init; } = "/id-in";

    /// <summary>Originator that passes every access check; readers and verification use it.</summary>
    public string AdminOriginator { get; init; } = "CAdmin";

    /// <summary>Number of simulated devices (AE + container each).</summary>
    public int Devices { get; init; } = 1_000_000;

    /// <summary>Time between two contentInstances of one device (the steady rate is Devices / Interval).</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Binding of the device operations (registration, container, contentInstances).</summary>
    public DeviceProtocol Protocol { get; init; } = DeviceProtocol.Http;

    /// <summary>Reads (la retrieve or discovery) per contentInstance written, during the steady phase.</summary>
    public double Readers { get; init; }

    /// <summary>Share of the reads that are discoveries (<c>fu=1&amp;ty=3</c> under the device's AE) rather than la.</summary>
    public double DiscoveryShare { get; init; } = 0.1;

    /// <summary>Share of the containers that get a subscription (ty 23, net [3]) to LoadGen's notification receiver.</summary>
    public double Subscribers { get; init; }

    /// <summary>Devices registered per second; 0 = as fast as the connections allow (closed loop).</summary>
    public double RegisterRate { get; init; }

    /// <summary>Length of the steady phase (contentInstances at the fixed schedule, and the readers).</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Delete every AE the run created at the end (its containers, instances and subscriptions go with it).</summary>
    public bool Teardown { get; init; }

    /// <summary>Read back what was acknowledged and report what is missing or wrong; non-zero exit on loss.</summary>
    public bool Verify { get; init; }

    /// <summary>Where to write the JSON result file (none when null).</summary>
    public string? ResultsPath { get; init; }

    /// <summary>HTTP connections in the pool, which is also the most requests in flight at once.</summary>
    public int MaxConnections { get; init; } = 64;

    /// <summary>
    /// Most requests due but not yet sent. Open loop: a request that finds the queue full is not sent and is
    /// counted as <c>dropped</c>, so a stalled server cannot make LoadGen's memory grow without bound.
    /// </summary>
    public int MaxPending { get; init; } = 100_000;

    /// <summary>How long one request may take before its connection is closed and it counts as a timeout.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Upper bound on each unscheduled phase (registration at full speed, verification, teardown).</summary>
    public TimeSpan PhaseTimeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>How long to wait after the steady phase for outstanding notifications.</summary>
    public TimeSpan NotificationWait { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>AE-IDs are <c>C&lt;prefix&gt;&lt;n&gt;</c>; a fresh prefix per run unless given.</summary>
    public string Prefix { get; init; } = DefaultPrefix();

    /// <summary>Name of each device's container.</summary>
    public string ContainerName { get; init; } = "data";

    /// <summary>UDP port of the CSE's CoAP binding (on each base URL's host), for <see cref="DeviceProtocol.Coap"/>.</summary>
    public int CoapPort { get; init; } = 5683;

    /// <summary>
    /// Serialization of the CoAP devices' bodies and the WebSocket devices' primitives (CBOR by default: constrained
    /// devices' format); HTTP and MQTT send JSON.
    /// </summary>
    public BodySerialization Serialization { get; init; } = BodySerialization.Cbor;

    /// <summary>MQTT broker host (default: the base URL's host).</summary>
    public string? MqttHost { get; init; }

    /// <summary>
    /// MQTT broker ports: device d connects to port d mod n, as its HTTP requests go to base URL d mod n (one
    /// broker per silo, each device on the silo it resolved).
    /// </summary>
    public IReadOnlyList<int> MqttPorts { get; init; } = [1883];

    /// <summary>Loopback source addresses 127.0.0.1 … 127.0.0.N the MQTT connections are spread over (ports per address are finite).</summary>
    public int SourceAddresses { get; init; } = 8;

    /// <summary>Address the notification receiver binds; the CSE must reach it.</summary>
    public string NotifyHost { get; init; } = "127.0.0.1";

    /// <summary>Port of the notification receiver; 0 = any free port.</summary>
    public int NotifyPort { get; init; }

    /// <summary>Silo process IDs whose memory and CPU time are read from /proc.</summary>
    public IReadOnlyList<int> SiloPids { get; init; } = [];

    /// <summary>
    /// After registration, wait up to this long for the CSE to deactivate the idle devices' grains (activations of
    /// the AE type down to 1 % of the devices), then record the <c>idle</c> snapshot; zero skips the wait. Needs an
    /// activation source (our CSE's dashboard or metrics) and a collection age shorter than the wait.
    /// </summary>
    public TimeSpan IdleWait { get; init; }

    /// <summary>
    /// Before each server snapshot, have each silo process run a full garbage collection (through the .NET
    /// diagnostics port) and give it a few seconds to return freed memory, so that RSS counts live memory rather
    /// than the collector's slack. Only for .NET silos on this machine (<see cref="SiloPids"/>).
    /// </summary>
    public bool SiloGc { get; init; }

    /// <summary>Seed of the start jitter and of the readers' targets, so runs can be repeated.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Live console view (Spectre.Console); plain lines when false or when output is redirected.</summary>
    public bool Live { get; init; } = true;

    /// <summary>Steady contentInstance rate of all devices together, per second.</summary>
    public double SteadyRate => Devices / Interval.TotalSeconds;

    /// <summary>Originator (and resource name) of device <paramref name="index"/>.</summary>
    public string AeId(int index) => string.Create(CultureInfo.InvariantCulture, $"C{Prefix}{index}");

    private static string DefaultPrefix()
    {
        // Base 36 of the seconds since 2020: a fresh, short AE-ID stem per run, so runs never collide on one CSE.
        var seconds = (long)(DateTime.UtcNow - new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc)).TotalSeconds;
        const string digits = "0123456789abcdefghijklmnopqrstuvwxyz";
        Span<char> text = stackalloc char[16];
        var i = text.Length;
        do
        {
            text[--i] = digits[(int)(seconds % 36)];
            seconds /= 36;
        }
        while (seconds > 0);
        return "lg" + new string(text[i..]) + "x";
    }
}
