using System.Globalization;

namespace VirtualIoT.LoadGen.Bench;

/// <summary><c>--name value</c> options of a subcommand.</summary>
internal sealed class CommandLine
{
    public const string Usage = """
        usage: dotnet run -c Release --project LoadGen -- <command> [options]
        (the benchmark commands; LoadGen's device simulation takes options only, see --help, and `chaos --help`)

          ceiling --urls http://127.0.0.1:PORT [--coap-port UDP-PORT [--udp-loops 1]]
              Trivial Kestrel endpoint: any GET/POST path, reads the body, answers 201 (POST) or 200 (GET) with a
              small fixed m2m:cin body and X-M2M-RSC / X-M2M-RI (echoed) / X-M2M-RVI headers. Runs until stopped.
              With --coap-port also a trivial CoAP server on that UDP port: every confirmable request answered with a
              piggybacked ACK (2.01 / 2.05, oneM2M-RSC 2001 / 2000) carrying the same body, from --udp-loops receive loops.

          setup --base http://127.0.0.1:8080 [--aes 1000] [--first 0] [--concurrency 16] [--mni 10] [--container cnt]
                [--acpi ID]
              Registers AEs Cbench<first>.. (rn = AE-ID = originator), each with container 'cnt' (or --container; with
              --acpi, linked to that accessControlPolicy) and one contentInstance, then checks that every
              <ae>/<container>/la answers 2000. An AE or container that is already there (4117 / 4105) is accepted,
              so it can be run again against the same CSE.

          load --base http://127.0.0.1:8080 --op cin|la [--aes 1000] [--first 0] [--connections 32] [--duration 10]
               [--rate 0] [--warmup 2] [--binding http|coap|ws|mqtt] [--serialization json|cbor] [--coap-port 5683]
               [--ws-path /ws] [--mqtt-port 1883] [--cse-id id-in]
              Over AEs Cbench<first>..<first+aes-1>, connection c sending for AEs c, c+connections, .. in turn
              (--connections <= --aes). --binding: HTTP (own client, JSON), CoAP (UDP to --coap-port on the base
              URL's host, confirmable requests; --serialization cbor by default) or WebSocket (ws://<base>/ws,
              subprotocol oneM2M.R2.0.json or .cbor; json by default) or MQTT (JSON; one connection per AE, client
              ID = the AE-ID, opened when the AE first sends, to --mqtt-port on the base URL's host). --rate 0: closed loop, as fast as the connections go. --rate R: open loop at R
              requests/s on a fixed schedule; latency is measured from each request's intended send time
              (coordinated omission corrected, as wrk2 does) into an HdrHistogram. Every response is checked for
              RSC 2001 (cin) or 2000 (la) and a success status (HTTP 2xx, CoAP 2.xx). Prints one "LOAD ..." line.

          fanout --base http://127.0.0.1:8080 [--shape one-container|many-containers] [--subscriptions 10000]
                 [--instances 10] [--concurrency 32] [--timeout 300] [--silo-pid PID] [--receiver http1|http2]
              Notification fan-out: one container with N subscriptions (then --instances content instances, one
              after another), or N containers with one subscription each (then one instance per container). Its
              own receiver answers every notification 2000 and measures write-to-delivery latency from the send
              time carried in con. Prints one "FANOUT ..." line (with --silo-pid, also the silo's CPU seconds from
              the first write to the last notification and notifications per silo CPU-second); exit code 2 if
              notifications are missing. --receiver http2: the receiver speaks HTTP/2 only (prior knowledge)
              instead of Kestrel's plain default, HTTP/1.1.

          group-fanout --base http://127.0.0.1:8080 [--op la|cin] [--members 1000] [--requests 200] [--warmup 20]
                 [--concurrency 1] [--setup-concurrency 32] [--silo-pid PID]
              Group fan-out: one AE with --members containers (one instance each) in one group, then --requests
              requests to the group's fopt: a retrieve of every member's la (op la) or a create of an instance in
              every member (op cin). Checks each answer has one 2000 (2001) entry per member. Prints one "GROUP ..."
              line with the fan-out latency percentiles and member operations per second (with --silo-pid, also the
              silo's CPU time per fan-out and per member operation, read from /proc: the figure least moved by
              other load on the machine) and the 1-minute load average before and after.

          mqtt-connections [--host 127.0.0.1] --port 1883 [--connections 50000] [--sources 4]
                 [--first-source 127.0.0.2] [--prefix mqc] [--ids ae|plain] [--first-index 0] [--keepalive 300] [--rate 2000]
                 [--concurrency 64] [--steps 10000,25000] [--settle 5] [--hold 30] [--sample 100]
                 [--connect-timeout 30] [--server-pid PID]
              Idle MQTT connections at scale, with its own raw-socket MQTT 3.1.1 client (clean session): opens
              --connections to the broker, connection n from source address n mod --sources (127.0.0.2, .3, ..)
              with client ID C<prefix><first-index + n> (--ids plain: <prefix><..>, which the gateway does not
              register as an AE), at --rate per second with at most --concurrency connecting at once. After each step (and the
              total) it waits --settle s and reads the broker process's VmRSS and CPU time (--server-pid, Linux
              /proc); then holds all idle for --hold s, sends PINGREQ on every connection, retrieves the CSEBase over
              MQTT from --sample connections (subscribe /oneM2M/resp/<id>/id-in/json, publish on
              /oneM2M/req/<id>/id-in/json), and disconnects everything. Raises its own open-file soft limit to the
              hard one. Prints "MQTTCONN ..." lines, the last one the summary; exit code 2 if a connection failed,
              was dropped, missed its PINGRESP, or a sampled retrieve got no response primitive with its rqi (any
              rsc counts: the CSE answers 4103 to an AE that is not registered).

          coap-devices --base http://127.0.0.1:8080 --server-pid PID [--coap-port 5683] [--devices 50000]
                 [--steps 10000,25000] [--sources 8] [--first-port 20000] [--concurrency 64] [--admin CAdmin]
              Idle CoAP devices: device d sends one confirmable CSEBase retrieve as --admin from its own address and
              port (127.0.0.<2 + d mod --sources>, port --first-port + d / --sources) and falls silent. Before and
              after each step the Silo --server-pid runs a full GC (diagnostics port) and its managed heap (/metrics)
              and RSS (/proc) are read. Prints "COAPDEV ..." lines, the last one the summary with the heap growth per
              device; exit code 2 if a request failed.

          commit-rate --connection "Host=127.0.0.1;Port=..;Username=postgres;Database=virtualiot" [--duration 5]
                 [--rows 100] [--connections 1] [--payload 256]
              PostgreSQL's commit-rate baseline for the grain storage: for --duration s each, rows inserted one per
              autocommit transaction, then --rows rows per transaction (one batch, one round trip), on
              --connections connections into a scratch table (created and dropped here). Prints two
              "COMMITRATE ..." lines.

          geo-query --base http://127.0.0.1:8080 [--resources 100000] [--queries 200] [--warmup 20] [--side 0.1]
                 [--seed 1] [--query-seed SEED+1000] [--register 1] [--setup-concurrency 64] [--run ID]
              Geo-queries at scale: registers --resources AEs (Cgeo<run>x<n>) each with a point loc placed at random
              (--seed) over a 10 x 10 degree area (--register 0: they are there already, from the same --seed and
              --run), then one discovery at a time from the CSEBase with a square polygon (placed by --query-seed)
              of --side degrees (gmty 3, gsf 2), checking that each answer lists exactly this run's AEs inside the
              square (counted here from the same seed). Prints one "GEO ..." line with the latency percentiles.
        """;

    private readonly Dictionary<string, string> _values;

    private CommandLine(Dictionary<string, string> values) => _values = values;

    public static CommandLine Parse(ReadOnlySpan<string> args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            if (!name.StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                throw new ArgumentException($"expected '--name value', got '{name}'");
            }

            values[name[2..]] = args[++i];
        }

        return new CommandLine(values);
    }

    public string String(string name, string? fallback = null) =>
        _values.TryGetValue(name, out var value) ? value
        : fallback ?? throw new ArgumentException($"--{name} is required");

    public int Int(string name, int fallback) =>
        _values.TryGetValue(name, out var value) ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;

    public double Double(string name, double fallback) =>
        _values.TryGetValue(name, out var value) ? double.Parse(value, CultureInfo.InvariantCulture) : fallback;

    public Uri BaseUri(string name = "base")
    {
        var text = String(name).TrimEnd('/') + "/";
        return new Uri(text, UriKind.Absolute);
    }
}
