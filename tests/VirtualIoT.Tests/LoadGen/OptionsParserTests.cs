using VirtualIoT.LoadGen;

namespace VirtualIoT.Tests.LoadGen;

public sealed class OptionsParserTests
{
    [Fact]
    public void No_arguments_give_the_documented_defaults()
    {
        var options = OptionsParser.Parse([], out var error);

        Assert.Null(error);
        Assert.NotNull(options);
        Assert.Equal(new Uri("http://127.0.0.1:8080"), options.BaseUrl);
        Assert.Equal("cse-in", options.CseBaseName);
        Assert.Equal("CAdmin", options.AdminOriginator);
        Assert.Equal(1_000_000, options.Devices);
        Assert.Equal(TimeSpan.FromSeconds(60), options.Interval);
        Assert.Equal(DeviceProtocol.Http, options.Protocol);
        Assert.False(options.Verify);
        Assert.False(options.Teardown);
        Assert.StartsWith("lg", options.Prefix, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_option_is_read()
    {
        string[] args =
        [
            "--base", "http://10.0.0.1:9080/,http://10.0.0.2:9081", "--cse-base", "mycse", "--cse-id", "/id-x", "--admin", "CRoot", "--devices", "2_000",
            "--interval", "30s", "--protocol", "mqtt", "--readers", "0.5", "--discovery-share", "0.25", "--subscribers", "0.1",
            "--register-rate", "500", "--duration", "2m", "--teardown", "--verify", "--results", "out.json", "--max-connections", "16",
            "--max-pending", "1000", "--request-timeout", "500ms", "--phase-timeout", "1h", "--notification-wait", "5", "--prefix", "abc",
            "--container", "temp", "--mqtt-host", "127.0.0.2", "--mqtt-port", "2883,2884", "--source-addresses", "4", "--notify-host", "127.0.0.3",
            "--notify-port", "9000", "--silo-pid", "12,34", "--seed", "7", "--no-live", "--idle-wait", "3m", "--silo-gc",
        ];

        var options = OptionsParser.Parse(args, out var error);

        Assert.Null(error);
        Assert.Equal(
            new LoadGenOptions
            {
                BaseUrls = options!.BaseUrls,
                CseBaseName = "mycse",
                CseId = "/id-x",
                AdminOriginator = "CRoot",
                Devices = 2000,
                Interval = TimeSpan.FromSeconds(30),
                Protocol = DeviceProtocol.Mqtt,
                Readers = 0.5,
                DiscoveryShare = 0.25,
                Subscribers = 0.1,
                RegisterRate = 500,
                Duration = TimeSpan.FromMinutes(2),
                Teardown = true,
                Verify = true,
                ResultsPath = "out.json",
                MaxConnections = 16,
                MaxPending = 1000,
                RequestTimeout = TimeSpan.FromMilliseconds(500),
                PhaseTimeout = TimeSpan.FromHours(1),
                NotificationWait = TimeSpan.FromSeconds(5),
                Prefix = "abc",
                ContainerName = "temp",
                MqttHost = "127.0.0.2",
                MqttPorts = options.MqttPorts,
                SourceAddresses = 4,
                NotifyHost = "127.0.0.3",
                NotifyPort = 9000,
                SiloPids = options.SiloPids,
                Seed = 7,
                Live = false,
                IdleWait = TimeSpan.FromMinutes(3),
                SiloGc = true,
            },
            options);
        Assert.Equal([12, 34], options.SiloPids);
        Assert.Equal([2883, 2884], options.MqttPorts);
        Assert.Equal([new Uri("http://10.0.0.1:9080/"), new Uri("http://10.0.0.2:9081")], options.BaseUrls);
        Assert.Equal(new Uri("http://10.0.0.1:9080/"), options.BaseUrl);
    }

    [Fact]
    public void Rate_per_device_sets_the_interval()
    {
        var options = OptionsParser.Parse(["--rate-per-device", "0.5", "--devices=100"], out _);

        Assert.Equal(TimeSpan.FromSeconds(2), options!.Interval);
        Assert.Equal(50, options.SteadyRate, 6);
    }

    [Theory]
    [InlineData("500ms", 0.5)]
    [InlineData("20s", 20)]
    [InlineData("5m", 300)]
    [InlineData("1h", 3600)]
    [InlineData("1.5", 1.5)]
    public void Durations_take_a_unit(string text, double seconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(seconds), OptionsParser.Duration("--duration", text));
    }

    [Theory]
    [InlineData("--bogus", "unknown option '--bogus'")]
    [InlineData("--devices", "--devices needs a value")]
    [InlineData("--devices 0", "--devices: '0' is not a whole number")]
    [InlineData("--protocol smtp", "--protocol: 'smtp' is not http, mqtt, coap or ws")]
    [InlineData("--protocol ws --endpoints-file urls.txt", "--endpoints-file is for HTTP and CoAP devices")]
    [InlineData("--serialization xml", "--serialization: 'xml' is neither json nor cbor")]
    [InlineData("--interval 0s", "--interval must be greater than 0")]
    [InlineData("--duration soon", "--duration: 'soon' is not a duration")]
    [InlineData("--base ftp://x", "--base: 'ftp://x' is not an http:// URL")]
    [InlineData("--subscribers 1.5", "--subscribers: '1.5' is not a number from 0 to 1")]
    public void Bad_input_is_an_error_naming_the_option(string line, string message)
    {
        var options = OptionsParser.Parse(line.Split(' '), out var error);

        Assert.Null(options);
        Assert.StartsWith(message, error, StringComparison.Ordinal);
    }
}
