using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace VirtualIoT.Grains;

/// <summary>Registers what the resource grains need in a silo.</summary>
public static class SiloBuilderExtensions
{
    /// <summary>
    /// Binds <see cref="CseOptions"/> (section <c>Cse</c>) and <see cref="NotificationOptions"/> (section
    /// <c>Notifications</c>), validated at start, and the system <see cref="CseClock"/> unless the host registered one.
    /// The host provides an <see cref="INotificationSender"/>. A device's grains are placed with
    /// <see cref="Placement.DevicePlacement"/> (on the silo its requests arrive at).
    /// </summary>
    public static ISiloBuilder AddVirtualIoTGrains(this ISiloBuilder silo, IConfiguration configuration)
    {
        silo.Services.AddOptions<CseOptions>()
            .Bind(configuration.GetSection(CseOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        silo.Services.AddOptions<NotificationOptions>()
            .Bind(configuration.GetSection(NotificationOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        silo.Services.AddSingleton<Notifications.NotificationMetrics>();
        silo.Services.AddSingleton<Placement.LocalityMetrics>();
        silo.AddPlacementDirector<Placement.DevicePlacement, Placement.DevicePlacementDirector>();
        silo.Services.AddSingleton<Domain.Access.AccessPolicyCache>();
        silo.Services.TryAddSingleton(CseClock.System);
        return silo;
    }
}
