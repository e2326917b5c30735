using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using VirtualIoT.Gateway.Http;
using Microsoft.Extensions.Options;
using VirtualIoT.Gateway.Operations;
using VirtualIoT.Gateway.Security;
using VirtualIoT.Gateway.WebSockets;

namespace VirtualIoT.Gateway;

/// <summary>Maps the protocol gateway's endpoints.</summary>
public static class GatewayEndpointExtensions
{
    /// <summary>Route of the oneM2M HTTP binding: every path, since any path may address a resource.</summary>
    public const string RoutePattern = "/{**address}";

    /// <summary>
    /// Adds the exception handler middleware (5000 for unexpected exceptions) and maps the oneM2M HTTP binding on a
    /// catch-all route for every method: GET, POST, PUT and DELETE are oneM2M operations, any other method is
    /// answered 4005 with oneM2M headers (rather than a bare 405 from routing). More specific routes mapped by the
    /// host (metrics, dashboard) take precedence over the catch-all.
    /// </summary>
    public static IEndpointConventionBuilder MapVirtualIoTGateway(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);

        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            // Runs only if no IExceptionHandler took the exception; GatewayExceptionHandler always does.
            ExceptionHandler = GatewayExceptionHandler.WriteInternalErrorAsync,
        });

        // The handler's singletons are bound once, not looked up per request (which would also create a request
        // service scope). Bound at the first request rather than here: in a standalone gateway the Orleans client
        // learns which grain classes implement the interfaces only once it has connected, at host start.
        CredentialsEndpoint.Map(app);
        MapWebSocketBinding(app);
        var gateway = new Lazy<HttpGateway>(app.Services.GetRequiredService<HttpGateway>, LazyThreadSafetyMode.ExecutionAndPublication);
        return app.Map(RoutePattern, context => HttpGateway.HandleAsync(context, gateway.Value))
            .WithDisplayName("oneM2M HTTP binding");
    }

    // The WebSocket binding (TS-0020) at its own path of the HTTP port, ahead of the catch-all route.
    private static void MapWebSocketBinding(WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<WebSocketBindingOptions>>().Value;
        if (!options.Enabled)
        {
            return;
        }

        // Checked like the operations endpoints' paths (not hiding a oneM2M address, not shared), where the host has them.
        app.Services.GetService<OperationsEndpoints>()?.Register($"{WebSocketBindingOptions.SectionName}:{nameof(WebSocketBindingOptions.Path)}",
            options.Path, app.Services.GetRequiredService<IOptions<CseOptions>>().Value.CseBaseName);
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = options.KeepAliveInterval });
        var gateway = app.Services.GetRequiredService<WebSocketGateway>();
        app.Map(options.Path, context => WebSocketGateway.HandleAsync(context, gateway)).WithDisplayName("oneM2M WebSocket binding");
    }
}
