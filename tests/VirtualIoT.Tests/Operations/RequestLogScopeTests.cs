using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using VirtualIoT.Gateway;

namespace VirtualIoT.Tests.Operations;

/// <summary>
/// The bindings open a request's logging scope (its request identifier) only when a log sink shows scopes: the
/// console's formatters and OpenTelemetry's logs hide them by default, and a scope costs every request.
/// </summary>
public sealed class RequestLogScopeTests
{
    private static (GatewayMetrics Metrics, ILogger Logger, ServiceProvider Services) Build(Action<ILoggingBuilder> logging)
    {
        var services = new ServiceCollection().AddMetrics().AddLogging(logging).AddSingleton<GatewayMetrics>().BuildServiceProvider();
        return (services.GetRequiredService<GatewayMetrics>(), services.GetRequiredService<ILoggerFactory>().CreateLogger("test"), services);
    }

    [Fact]
    public void No_scope_is_opened_when_no_sink_shows_scopes()
    {
        var (metrics, logger, services) = Build(logging => logging.AddSimpleConsole());
        using (services)
        {
            Assert.False(metrics.RequestScopes);
            Assert.Null(metrics.BeginRequestScope(logger, "rqi-1"));
        }
    }

    [Theory]
    [InlineData("json")]
    [InlineData("simple")]
    public void A_console_formatter_with_scopes_gets_the_request_scope(string formatter)
    {
        var (metrics, logger, services) = Build(logging =>
        {
            if (formatter == "json")
            {
                logging.AddJsonConsole(options => options.IncludeScopes = true);
            }
            else
            {
                logging.AddSimpleConsole(options => options.IncludeScopes = true);
            }
        });
        using (services)
        {
            Assert.True(metrics.RequestScopes);
            using var scope = metrics.BeginRequestScope(logger, "rqi-2");
            Assert.NotNull(scope);
        }
    }
}
