using System.Reflection;
using Microsoft.Extensions.Logging;

namespace VirtualIoT.Tests.Operations;

/// <summary>
/// Every source-generated log message of the product has its own event ID, so that an operator filtering or alerting
/// on an ID sees one kind of event only.
/// </summary>
public sealed class LogEventIdTests
{
    private static readonly Assembly[] ProductAssemblies =
    [
        typeof(VirtualIoT.Grains.GrainStorageNames).Assembly,
        typeof(VirtualIoT.Gateway.GatewayOptions).Assembly,
        typeof(VirtualIoT.Silo.SiloHostOptions).Assembly,
    ];

    [Fact]
    public void Every_log_message_has_an_event_id_of_its_own()
    {
        var messages = ProductAssemblies
            .SelectMany(assembly => assembly.GetTypes())
            .SelectMany(type => type.GetMethods(BindingFlags.Static | BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            .Select(method => (Method: method, Attribute: method.GetCustomAttribute<LoggerMessageAttribute>()))
            .Where(entry => entry.Attribute is not null)
            .ToList();

        Assert.True(messages.Count > 100, $"found only {messages.Count} log messages: the reflection walk missed them");
        var missing = messages.Where(entry => entry.Attribute!.EventId <= 0).Select(Describe).ToList();
        Assert.True(missing.Count == 0, "log messages without an event ID: " + string.Join(", ", missing));
        var shared = messages
            .GroupBy(entry => entry.Attribute!.EventId)
            .Where(group => group.Count() > 1)
            .Select(group => $"{group.Key}: {string.Join(" and ", group.Select(Describe))}")
            .ToList();
        Assert.True(shared.Count == 0, "event IDs used by more than one log message: " + string.Join("; ", shared));
    }

    private static string Describe((MethodInfo Method, LoggerMessageAttribute? Attribute) entry) =>
        $"{entry.Method.DeclaringType?.FullName}.{entry.Method.Name}";
}
