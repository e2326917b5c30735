using VirtualIoT.LoadGen.Chaos;

namespace VirtualIoT.Tests.LoadGen;

/// <summary>The chaos runner's command line: back-ends, device protocol and the database and cluster restarts.</summary>
public sealed class ChaosOptionsTests
{
    private static readonly string Dll = typeof(ChaosOptionsTests).Assembly.Location;

    private static string[] Start(params string[] more) => ["--silo-dll", Dll, "--gateway-dll", Dll, "--postgres", "Host=db", .. more];

    [Fact]
    public void Azure_table_storage_mqtt_devices_and_both_restarts_are_read()
    {
        var options = ChaosOptions.Parse(Start(
            "--storage", "AzureTable", "--azure-table", "UseDevelopmentStorage=true", "--protocol", "mqtt",
            "--postgres-restart-at", "50s", "--postgres-down-for", "8s", "--postgres-down", "pg down", "--postgres-up", "pg up",
            "--cluster-restart-at", "1m", "--cluster-down-for", "3s", "--subscriber-outage-at", "40s", "--subscriber-outage-for", "30s"), out var error);

        Assert.Null(error);
        Assert.NotNull(options);
        Assert.Equal("azuretable", options.Storage);
        Assert.Equal("UseDevelopmentStorage=true", options.AzureTable);
        Assert.Equal("mqtt", options.Protocol);
        Assert.Equal(TimeSpan.FromSeconds(50), options.PostgresRestartAt);
        Assert.Equal(TimeSpan.FromSeconds(8), options.PostgresDownFor);
        Assert.Equal(("pg down", "pg up"), (options.PostgresDownCommand, options.PostgresUpCommand));
        Assert.Equal(TimeSpan.FromMinutes(1), options.ClusterRestartAt);
        Assert.Equal(TimeSpan.FromSeconds(3), options.ClusterDownFor);
        Assert.Equal(TimeSpan.FromSeconds(40), options.SubscriberOutageAt);
        Assert.Equal(TimeSpan.FromSeconds(30), options.SubscriberOutageFor);
    }

    [Fact]
    public void Defaults_are_postgres_storage_and_http_devices_without_restarts()
    {
        var options = ChaosOptions.Parse(Start(), out var error);

        Assert.Null(error);
        Assert.Equal(("postgres", "http"), (options!.Storage, options.Protocol));
        Assert.Null(options.PostgresRestartAt);
        Assert.Null(options.ClusterRestartAt);
        Assert.Null(options.SubscriberOutageAt);
    }

    [Theory]
    [InlineData("--storage azuretable", "--azure-table")]
    [InlineData("--storage cosmos", "expected postgres or azuretable")]
    [InlineData("--protocol coap", "expected http or mqtt")]
    [InlineData("--postgres-restart-at 30s", "--postgres-down and --postgres-up")]
    public void Incomplete_or_unknown_settings_are_refused_naming_the_option(string arguments, string expected)
    {
        var options = ChaosOptions.Parse(Start(arguments.Split(' ')), out var error);

        Assert.Null(options);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Attach_mode_cannot_restart_the_cluster_or_use_mqtt()
    {
        var options = ChaosOptions.Parse(["--gateway-url", "http://127.0.0.1:8080", "--cluster-restart-at", "30s"], out var error);

        Assert.Null(options);
        Assert.Contains("start mode", error, StringComparison.Ordinal);
    }
}
