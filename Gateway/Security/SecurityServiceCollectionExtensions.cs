using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace VirtualIoT.Gateway.Security;

/// <summary>Registers originator authentication, the MQTT broker's TLS and the request limits.</summary>
internal static class SecurityServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="AuthenticationOptions"/> (section <c>Security:Authentication</c>), <see cref="MqttTlsOptions"/>
    /// (<c>Mqtt:Tls</c>) and <see cref="RequestLimitOptions"/> (<c>Limits</c>), validated at start, and the services
    /// both bindings share: <see cref="CredentialStore"/>, <see cref="CseLinkCredentials"/>, <see cref="OriginatorAuthenticator"/>,
    /// <see cref="MqttSecurity"/> and <see cref="RequestAdmission"/>.
    /// </summary>
    public static IServiceCollection AddVirtualIoTSecurity(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<AuthenticationOptions>().Bind(configuration.GetSection(AuthenticationOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AuthenticationOptions>, AuthenticationOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AuthenticationOptions>, CseSecretsValidator>());
        services.AddOptions<MqttTlsOptions>().Bind(configuration.GetSection(MqttTlsOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MqttTlsOptions>, MqttTlsOptionsValidator>());
        services.AddOptions<RequestLimitOptions>().Bind(configuration.GetSection(RequestLimitOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RequestLimitOptions>, RequestLimitOptionsValidator>());

        services.TryAddSingleton<CredentialStore>();
        services.TryAddSingleton<CseLinkCredentials>();
        services.TryAddSingleton<OriginatorAuthenticator>();
        services.TryAddSingleton<MqttSecurity>();
        services.TryAddSingleton<RequestAdmission>();
        return services;
    }
}
