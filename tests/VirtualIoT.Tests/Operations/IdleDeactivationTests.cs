using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.DependencyInjection;

namespace VirtualIoT.Tests.Operations;

/// <summary><c>Orleans:CollectionAge</c> reaches Orleans: an idle device's grains leave memory after it.</summary>
[Collection(OperationsCollection.Name)]
[Trait("Speed", "Slow")]
public sealed class IdleDeactivationTests
{
    [Fact]
    public async Task An_idle_device_is_deactivated_after_the_collection_age()
    {
        await using var factory = PlatformFactory.Create(new Dictionary<string, string>
        {
            ["Orleans:CollectionAge"] = "00:00:03",
            ["Orleans:CollectionQuantum"] = "00:00:01",
            ["Dashboard:Enabled"] = "false",
        }, out _);
        using var http = factory.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/cse-in", UriKind.Relative))
        {
            Content = new StringContent("""{"m2m:ae":{"rn":"idle","api":"Nidle","rr":false,"srv":["3"]}}""", Encoding.UTF8),
        };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/json;ty=2");
        request.Headers.Add("X-M2M-Origin", "Cidle");
        request.Headers.Add("X-M2M-RI", "r1");
        request.Headers.Add("X-M2M-RVI", "3");
        using var created = await http.SendAsync(request);
        Assert.Equal("2001", Assert.Single(created.Headers.GetValues("X-M2M-RSC")));
        var management = factory.Services.GetRequiredService<IGrainFactory>().GetGrain<IManagementGrain>(0);

        var active = await AeActivationsAsync(management);
        Assert.Equal(1, active);
        for (var i = 0; i < 60 && active > 0; i++)
        {
            await Task.Delay(250);
            active = await AeActivationsAsync(management);
        }

        Assert.Equal(0, active);
    }

    private static async Task<int> AeActivationsAsync(IManagementGrain management) =>
        (await management.GetSimpleGrainStatistics())
            .Where(s => s.GrainType.Contains("AeGrain", StringComparison.Ordinal))
            .Sum(s => s.ActivationCount);
}
