using System.Net;
using VirtualIoT.Tests.Infrastructure;

namespace VirtualIoT.Tests.Operations;

/// <summary>The Orleans Dashboard on the app's own port, next to (not under) the oneM2M binding's catch-all route.</summary>
[Collection(OperationsCollection.Name)]
public sealed class DashboardTests(OperationsFixture fixture)
{
    [Fact]
    public async Task Dashboard_page_is_served_at_its_path()
    {
        using var response = await fixture.Http.GetAsync(new Uri("/dashboard/", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.False(response.Headers.Contains("X-M2M-RSC"), "the oneM2M binding answered the dashboard's path");
    }

    [Fact]
    public async Task Dashboard_data_routes_answer_json()
    {
        using var response = await fixture.Http.GetAsync(new Uri("/dashboard/ClusterStats", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task OneM2M_addresses_still_reach_the_binding()
    {
        var aeId = await fixture.Client.RegisterAe();

        var response = await fixture.Client.Retrieve("/cse-in/" + aeId, aeId);

        Assert.Equal(2000, response.Rsc);
    }
}
