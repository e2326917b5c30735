using Microsoft.AspNetCore.Builder;
using VirtualIoT.Gateway.Operations;

namespace VirtualIoT.Gateway.Hosting;

/// <summary>
/// The standalone gateway (<c>dotnet run --project Gateway</c>): the oneM2M HTTP binding as an Orleans client of a
/// silo cluster, with no silo inside, so gateways scale apart from silos. The embedded default (the Silo project)
/// co-hosts the same binding next to its silo instead. Named apart from the Silo's top-level <c>Program</c>, which
/// tests reach through <c>WebApplicationFactory&lt;Program&gt;</c>.
/// </summary>
public static class GatewayProgram
{
    /// <summary>Entry point; configuration as for the Silo (sections <c>Cse</c>, <c>Gateway</c>, <c>Clustering</c>, <c>Urls</c>).</summary>
    public static void Main(string[] args) => Build(args).Run();

    /// <summary>Builds the gateway application without starting it (tests start it on a free port).</summary>
    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddVirtualIoTClusterClient();
        builder.AddVirtualIoTGatewayOperations();
        builder.Services.AddVirtualIoTGateway(builder.Configuration);

        var app = builder.Build();
        app.MapVirtualIoTOperations();
        app.MapVirtualIoTGateway();
        return app;
    }
}
