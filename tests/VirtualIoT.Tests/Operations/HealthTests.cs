using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using VirtualIoT.Gateway.Hosting;
using VirtualIoT.Tests.Infrastructure;

namespace VirtualIoT.Tests.Operations;

/// <summary>Liveness and readiness of a silo and of a standalone gateway.</summary>
[Collection(OperationsCollection.Name)]
public sealed class HealthTests(OperationsFixture fixture)
{
    [Fact]
    public async Task Silo_is_live()
    {
        var (status, body) = await Get(fixture.Http, "/health/live");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Healthy", body["status"]?.GetValue<string>());
    }

    [Fact]
    public async Task Silo_is_ready_when_active_in_the_cluster_with_storage_answering()
    {
        var (status, body) = await Get(fixture.Http, "/health/ready");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Healthy", body["checks"]?["cluster"]?["status"]?.GetValue<string>());
        Assert.Contains("Active", body["checks"]?["cluster"]?["description"]?.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("Healthy", body["checks"]?["storage"]?["status"]?.GetValue<string>());
    }

    [Fact]
    public async Task Standalone_gateway_is_ready_while_the_cluster_answers_and_live_regardless()
    {
        var app = GatewayProgram.Build(
        [
            "--Urls", "http://127.0.0.1:0",
            "--Clustering:GatewayPort", fixture.OrleansGatewayPort.ToString(CultureInfo.InvariantCulture),
            "--Mqtt:Enabled", "false", "--Coap:Enabled", "false",
            "--Logging:LogLevel:Default", "Warning",
        ]);
        await using (app)
        {
            await app.StartAsync();
            using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };

            var (readyStatus, ready) = await Get(http, "/health/ready");
            var (liveStatus, _) = await Get(http, "/health/live");

            Assert.Equal(HttpStatusCode.OK, readyStatus);
            Assert.Equal("Healthy", ready["checks"]?["cluster"]?["status"]?.GetValue<string>());
            Assert.Equal(HttpStatusCode.OK, liveStatus);
            await app.StopAsync();
        }
    }

    internal static async Task<(HttpStatusCode Status, JsonNode Body)> Get(HttpClient http, string path)
    {
        using var response = await http.GetAsync(new Uri(path, UriKind.Relative));
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return (response.StatusCode, JsonNode.Parse(text)!);
    }
}
