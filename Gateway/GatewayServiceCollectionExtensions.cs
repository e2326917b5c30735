using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using VirtualIoT.Gateway.Addressing;
using VirtualIoT.Gateway.Coap;
using VirtualIoT.Gateway.Http;
using VirtualIoT.Gateway.Mqtt;
using VirtualIoT.Gateway.Notifications;
using VirtualIoT.Gateway.Pipeline;
using VirtualIoT.Gateway.Remote;
using VirtualIoT.Gateway.Security;
using VirtualIoT.Gateway.WebSockets;

namespace VirtualIoT.Gateway;

/// <summary>Registers the protocol gateway's services.</summary>
public static class GatewayServiceCollectionExtensions
{
    /// <summary>
    /// Adds the oneM2M HTTP, MQTT, WebSocket and CoAP bindings: options (<see cref="CseOptions"/> from section <c>Cse</c>,
    /// <see cref="GatewayOptions"/> from section <c>Gateway</c>, <see cref="MqttOptions"/> from section <c>Mqtt</c>,
    /// <see cref="WebSocketBindingOptions"/> from section <c>WebSocket</c>, <see cref="CoapBindingOptions"/> from section <c>Coap</c>, all
    /// validated at startup), metrics, the address resolver and the request dispatcher both bindings share, the
    /// exception handler that answers 5000, and the embedded MQTT broker as a hosted service (on unless
    /// <c>Mqtt:Enabled</c> is false), the WebSocket binding's connection handling, and the CoAP binding's UDP socket (on unless <c>Coap:Enabled</c> is false). Needs an <see cref="IGrainFactory"/> (a co-hosted silo
    /// or an Orleans client). Map the endpoint with <see cref="GatewayEndpointExtensions.MapVirtualIoTGateway"/>.
    /// </summary>
    public static IServiceCollection AddVirtualIoTGateway(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.AddOptions<CseOptions>()
            .Bind(configuration.GetSection(CseOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<GatewayOptions>()
            .Bind(configuration.GetSection(GatewayOptions.SectionName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GatewayOptions>, GatewayOptionsValidator>());

        services.AddMetrics();
        services.TryAddSingleton<GatewayMetrics>();
        services.TryAddSingleton(static provider => new CseIdentity(provider.GetRequiredService<IOptions<CseOptions>>().Value));
        services.TryAddSingleton(static provider =>
            new AddressCache(provider.GetRequiredService<IOptions<GatewayOptions>>().Value.AddressCacheSize));
        services.TryAddSingleton<AddressResolver>();
        services.TryAddSingleton<RequestDispatcher>();
        services.TryAddSingleton<MqttCseLinks>();
        services.TryAddSingleton<CoapCseClient>();
        services.TryAddSingleton<WebSocketCseLinks>();
        services.TryAddSingleton<RemoteCseClient>();
        services.TryAddSingleton<RemoteCseRoutes>();
        services.TryAddSingleton<IRemoteCseRouteCache>(static provider => provider.GetRequiredService<RemoteCseRoutes>());
        services.TryAddSingleton<RemoteCseForwarder>();
        services.TryAddSingleton<IRemoteCseSender, RemoteCseSender>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<CseOptions>, RegistrarOptionsValidator>());
        services.AddHostedService<RegistrarConnection>();
        // No per-request log lines (four at Information by default): a forwarded request is logged by the forwarder.
        services.AddHttpClient(RemoteCseClient.HttpClientName, static client => client.Timeout = Timeout.InfiniteTimeSpan)
            .RemoveAllLoggers()
            .ConfigurePrimaryHttpMessageHandler(static () => new SocketsHttpHandler { UseProxy = false, UseCookies = false });
        services.TryAddSingleton<RequestOrigins>();
        services.TryAddSingleton<HttpGateway>();

        services.AddOptions<MqttOptions>()
            .Bind(configuration.GetSection(MqttOptions.SectionName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MqttOptions>, MqttOptionsDataValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MqttOptions>, MqttOptionsValidator>());
        services.TryAddSingleton<MqttGateway>();
        services.AddHostedService(static provider => provider.GetRequiredService<MqttGateway>());

        services.AddOptions<WebSocketBindingOptions>()
            .Bind(configuration.GetSection(WebSocketBindingOptions.SectionName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<WebSocketBindingOptions>, WebSocketBindingOptionsValidator>());
        services.TryAddSingleton<WebSocketGateway>();
        services.AddHostedService(static provider => provider.GetRequiredService<WebSocketGateway>());

        services.AddOptions<CoapBindingOptions>()
            .Bind(configuration.GetSection(CoapBindingOptions.SectionName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<CoapBindingOptions>, CoapBindingOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<CoapBindingOptions>, CoapBindingOptionsRules>());
        services.TryAddSingleton<CoapGateway>();
        services.AddHostedService(static provider => provider.GetRequiredService<CoapGateway>());
        services.AddVirtualIoTSecurity(configuration);
        services.AddExceptionHandler<GatewayExceptionHandler>();
        services.AddVirtualIoTNotificationSender();
        return services;
    }
}
