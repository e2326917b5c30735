using System.Net;
using Microsoft.Extensions.Options;
using VirtualIoT.Tests.Infrastructure;

namespace VirtualIoT.Tests.Operations;

/// <summary>Each operations piece switches off through configuration, and bad settings stop the start naming the key.</summary>
[Collection(OperationsCollection.Name)]
public sealed class SwitchedOffTests
{
    [Fact]
    public async Task Switched_off_endpoints_fall_through_to_the_oneM2M_binding()
    {
        await using var factory = PlatformFactory.Create(new Dictionary<string, string>
        {
            ["Dashboard:Enabled"] = "false",
            ["OpenTelemetry:MetricsEnabled"] = "false",
            ["Health:Enabled"] = "false",
            ["ResourceBrowser:Enabled"] = "false",
        }, out _);
        using var http = factory.CreateClient();

        foreach (var path in new[] { "/dashboard/", "/metrics", "/health/live", "/health/ready", "/browser" })
        {
            using var response = await http.GetAsync(new Uri(path, UriKind.Relative));

            Assert.True(response.Headers.Contains("X-M2M-RSC"), $"{path} answered {(int)response.StatusCode} without X-M2M-RSC");
        }
    }

    [Fact]
    public async Task Dashboard_is_off_unless_switched_on()
    {
        await using var factory = PlatformFactory.Create(new Dictionary<string, string>(), out _);
        using var http = factory.CreateClient();

        using var response = await http.GetAsync(new Uri("/dashboard/", UriKind.Relative));

        Assert.True(response.Headers.Contains("X-M2M-RSC"), $"/dashboard/ answered {(int)response.StatusCode} without X-M2M-RSC");
    }

    [Fact]
    public async Task Paths_are_configurable()
    {
        await using var factory = PlatformFactory.Create(new Dictionary<string, string>
        {
            ["Dashboard:Enabled"] = "true",
            ["Dashboard:Path"] = "/ops/dashboard",
            ["OpenTelemetry:MetricsPath"] = "/ops/metrics",
        }, out _);
        using var http = factory.CreateClient();

        using var dashboard = await http.GetAsync(new Uri("/ops/dashboard/", UriKind.Relative));
        using var metrics = await http.GetAsync(new Uri("/ops/metrics", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, dashboard.StatusCode);
        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
    }

    [Theory]
    [InlineData("Health:LivePath", "health", "LivePath")]
    [InlineData("ResourceBrowser:Path", "/cse-in/browser", "ResourceBrowser:Path")]
    [InlineData("OpenTelemetry:OtlpEndpoint", "collector:4317", "OpenTelemetry:OtlpEndpoint")]
    [InlineData("Dashboard:Path", "/metrics", "Dashboard:Path")]
    [InlineData("Orleans:CollectionAge", "00:00:30", "CollectionAge")]
    public void Bad_setting_stops_the_start_naming_the_key(string key, string value, string named)
    {
        var error = Assert.ThrowsAny<Exception>(() =>
        {
            // The dashboard on, so that its path is checked against the others (it is off by default).
            using var factory = PlatformFactory.Create(new Dictionary<string, string> { ["Dashboard:Enabled"] = "true", [key] = value }, out _);
        });

        var validation = error as OptionsValidationException ?? error.InnerException as OptionsValidationException ?? (error.GetBaseException() as OptionsValidationException);
        Assert.True(validation is not null, error.ToString());
        Assert.Contains(named, validation.Message, StringComparison.Ordinal);
    }
}
