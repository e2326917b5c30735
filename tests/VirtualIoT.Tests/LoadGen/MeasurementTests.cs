using System.Buffers;
using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using HdrHistogram;
using VirtualIoT.LoadGen;
using VirtualIoT.LoadGen.Measurement;
using VirtualIoT.LoadGen.Transport;
using LoadGenOperation = VirtualIoT.LoadGen.Measurement.Operation;

namespace VirtualIoT.Tests.LoadGen;

public sealed class MeasurementTests
{
    [Fact]
    public void Operation_stats_count_by_rsc_and_measure_latency_from_the_intended_time()
    {
        var stats = new OperationStats(LoadGenOperation.ContentInstanceCreate, 2001);
        var ms = Stopwatch.Frequency / 1000;
        var intended = 1_000 * ms;

        stats.RecordAnswer(2001, intended, intended + (5 * ms), intended + (7 * ms));
        stats.RecordAnswer(4004, intended, intended, intended + ms);
        stats.RecordFailure(timeout: true, intended, intended, intended + (3 * ms));
        stats.RecordFailure(timeout: false, intended, intended, intended + ms);
        stats.RecordDropped();

        Assert.Equal((1, 1, 1, 1, 1), (stats.Ok, stats.Errors, stats.Timeouts, stats.Failed, stats.Dropped));
        Assert.Equal(4, stats.Completed);
        Assert.Equal(new SortedDictionary<int, long> { [2001] = 1, [4004] = 1 }, stats.ByRsc());
        Assert.InRange(stats.Latency.GetMaxValue(), 6_990, 7_010);
        Assert.InRange(stats.Service.GetMaxValue(), 2_990, 3_010);
    }

    [Fact]
    public void Notification_bodies_are_told_apart()
    {
        var notification = """{"m2m:sgn":{"nev":{"rep":{"m2m:cin":{"ty":4,"con":"3:123456"}},"net":3},"sur":"/id-in/sub1"}}""";
        var verification = """{"m2m:sgn":{"vrq":true,"sur":"/id-in/sub1","cr":"Cx"}}""";

        var kind = NotificationReceiver.Classify(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(notification)), out var sequence, out var timestamp);

        Assert.Equal(NotificationReceiver.Kind.Instance, kind);
        Assert.Equal((3, 123456L), (sequence, timestamp));
        Assert.Equal(NotificationReceiver.Kind.Verification, NotificationReceiver.Classify(new(Encoding.UTF8.GetBytes(verification)), out _, out _));
        Assert.Equal(NotificationReceiver.Kind.Unreadable, NotificationReceiver.Classify(new("{not json"u8.ToArray()), out _, out _));
        Assert.Equal(NotificationReceiver.Kind.Unreadable, NotificationReceiver.Classify(new("""{"m2m:sgn":{"nev":{"rep":{"m2m:cin":{"con":"x"}}}}}"""u8.ToArray()), out _, out _));
    }

    [Fact]
    public void Prometheus_activations_are_summed_and_ae_ones_picked_out()
    {
        var text = """
            # HELP orleans_catalog_activations Activations
            # TYPE orleans_catalog_activations gauge
            orleans_catalog_activations{otel_scope_name="Microsoft.Orleans",grain_type="ae"} 1200
            orleans_catalog_activations{otel_scope_name="Microsoft.Orleans",grain_type="cnt"} 1200 1732560000000
            orleans_catalog_activations_total 5
            orleans_catalog_activation_working_set 99
            """;

        Assert.Equal((2400L, 1200L), ServerProbe.ParsePrometheusActivations(text));
        Assert.Equal((null, null), ServerProbe.ParsePrometheusActivations("up 1\n"));
    }

    [Fact]
    public void Dashboard_counters_give_total_and_ae_activations()
    {
        var json = """{"totalActivationCount":30,"simpleGrainStats":[{"grainType":"VirtualIoT.Grains.AeGrain","activationCount":20},{"grainType":"X.ContainerGrain","activationCount":10}]}""";

        Assert.Equal((30L, 20L), ServerProbe.ParseDashboardCounters(json));
        Assert.Equal((3L, 0L), ServerProbe.ParseDashboardCounters("""{"totalActivationCount":3,"simpleGrainStats":[{"grainType":"X.ContainerGrain","activationCount":3}]}"""));
    }

    [Fact]
    public void Idle_figures_divide_memory_by_devices_and_by_deactivated_grains()
    {
        var start = new ServerSnapshot("start", DateTimeOffset.UnixEpoch, 1_000_000, 1, 20, 0, "dashboard", 500_000);
        var registered = new ServerSnapshot("registered", DateTimeOffset.UnixEpoch, 9_000_000, 2, 2_020, 1_000, "dashboard", 6_500_000);
        var idle = new ServerSnapshot("idle", DateTimeOffset.UnixEpoch, 8_000_000, 3, 20, 0, "dashboard", 2_500_000);

        Assert.Equal((7_000.0, 500.0), Run.IdleFigures(start, registered, idle, 1_000, s => s.RssBytes));
        Assert.Equal((2_000.0, 2_000.0), Run.IdleFigures(start, registered, idle, 1_000, s => s.HeapBytes));
        Assert.Equal((null, null), Run.IdleFigures(start, registered, null, 1_000, s => s.HeapBytes));
        Assert.Equal(5L, Run.IdleActivations(25, null, 20));
        Assert.Equal(0L, Run.IdleActivations(25, 0, 20));
    }

    [Fact]
    public void Proc_stat_cpu_time_is_user_plus_system()
    {
        var stat = "1234 (dotnet (x)) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 30 0 100 0 0";

        Assert.Equal(3.0, ServerProbe.ParseCpuSeconds(stat), 6);
        Assert.NotNull(ServerProbe.ReadProcess(Environment.ProcessId).Rss);
    }

    [Fact]
    public void Response_head_gives_status_rsc_and_length()
    {
        var head = "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nX-M2M-RSC: 2001\r\nContent-Length: 17\r\nConnection: close"u8;

        Assert.Equal((201, 2001, 17, true), HttpConnection.ParseHead(head));
        Assert.Throws<IOException>(() => HttpConnection.ParseHead("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked"u8.ToArray()));
    }

    [Fact]
    public void Requests_are_written_for_both_bindings()
    {
        var spec = new RequestSpec(OneM2MOperation.Create, "cse-in/Cd1/data", "Cd1", "r1", 4, """{"m2m:cin":{"con":"1:2"}}""");
        var buffer = new byte[1024];

        var length = RequestFormatter.WriteHttp(buffer, spec, "127.0.0.1:8080", "/");
        var http = Encoding.UTF8.GetString(buffer, 0, length);
        var mqtt = JsonNode.Parse(RequestFormatter.Mqtt(spec))!;

        Assert.StartsWith("POST /cse-in/Cd1/data HTTP/1.1\r\n", http, StringComparison.Ordinal);
        Assert.Contains("Content-Type: application/json;ty=4\r\nContent-Length: 25\r\n\r\n{\"m2m:cin\":", http, StringComparison.Ordinal);
        Assert.Contains("X-M2M-Origin: Cd1\r\n", http, StringComparison.Ordinal);
        Assert.Equal(1, (int)mqtt["op"]!);
        Assert.Equal("cse-in/Cd1/data", (string)mqtt["to"]!);
        Assert.Equal(4, (int)mqtt["ty"]!);
        Assert.Equal("1:2", (string)mqtt["pc"]!["m2m:cin"]!["con"]!);
    }

    [Fact]
    public void Mqtt_response_primitive_is_matched_by_rqi()
    {
        var payload = """{"rsc":2001,"rqi":"p-7","rvi":"3","pc":{"m2m:cin":{"con":"1:2"}},"to":"Cd1"}"""u8.ToArray();

        var ok = MqttDevices.TryReadResponse(new ReadOnlySequence<byte>(payload), out var rqi, out var rsc, out var content);

        Assert.True(ok);
        Assert.Equal(("p-7", 2001), (rqi, rsc));
        Assert.Equal("""{"m2m:cin":{"con":"1:2"}}""", content);
        Assert.Equal("127.0.0.3", MqttDevices.SourceAddress(10, 8).ToString());
    }
}
