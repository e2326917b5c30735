using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace VirtualIoT.Gateway.Remote;

/// <summary>
/// An MN- or ASN-CSE's registration to its registrar (TS-0001 10.2.2.3; <see cref="CseOptions.RegistrarAddress"/>):
/// once the host has started, and then every <see cref="CseOptions.RegistrationCheckInterval"/>, it reads its own
/// <c>&lt;remoteCSE&gt;</c> at the registrar and registers (creates it) when the registrar has none (first start, or a
/// registrar that restarted without it), or updates its <c>poa</c> when that changed. It also keeps the registrar's
/// <c>&lt;remoteCSE&gt;</c> on this side, which routes the requests this CSE forwards to the registrar
/// (<see cref="RemoteCseForwarder"/>). Nothing is deregistered at shutdown: a restarted MN-CSE finds its registration,
/// and what the registrar holds for it, in place. Does nothing on an IN-CSE.
/// </summary>
public sealed partial class RegistrarConnection(IGrainFactory grains, RemoteCseClient client, IOptions<CseOptions> options,
    IHostApplicationLifetime lifetime, ILogger<RegistrarConnection> logger) : BackgroundService
{
    /// <summary>Wait before the next attempt after a failed one (registrar unreachable, silo not ready).</summary>
    private static readonly TimeSpan s_retryDelay = TimeSpan.FromSeconds(1);

    private readonly CseOptions _options = options.Value;

    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_options.Type == CseTier.IN || _options.RegistrarAddress is null || _options.RegistrarCseId is null)
        {
            return;
        }

        // Grain calls and the registrar's answers need the local silo and gateway up.
        var started = new TaskCompletionSource();
        using (lifetime.ApplicationStarted.Register(started.SetResult))
        {
            await started.Task.WaitAsync(stoppingToken);
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            var registered = false;
            try
            {
                registered = await EnsureRegisteredAsync(stoppingToken) && await EnsureRegistrarKnownAsync(stoppingToken);
            }
            catch (Exception exception) when (exception is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                Log.Failed(logger, exception, _options.RegistrarCseId);
            }

            await Task.Delay(registered ? _options.RegistrationCheckInterval : s_retryDelay, stoppingToken);
        }
    }

    /// <summary>True when this CSE's <c>&lt;remoteCSE&gt;</c> stands at the registrar (read, created or updated now).</summary>
    private async Task<bool> EnsureRegisteredAsync(CancellationToken cancellationToken)
    {
        var registrarBase = string.Concat(_options.RegistrarCseId, "/", _options.RegistrarCseBaseName);
        var (status, content) = await SendAsync(Operation.Retrieve, string.Concat(registrarBase, "/", _options.CseBaseId), null, null, cancellationToken);
        if (status == ResponseStatusCode.Ok)
        {
            var stored = (content?.GetValueOrDefault("m2m:csr") as Dictionary<string, object?>)?.GetValueOrDefault("poa") as List<object?>;
            if (stored is not null && stored.SequenceEqual(_options.DistinctPointsOfAccess()))
            {
                return true;
            }

            var update = new Dictionary<string, object?> { ["poa"] = _options.DistinctPointsOfAccess() };
            (status, _) = await SendAsync(Operation.Update, string.Concat(registrarBase, "/", _options.CseBaseId), null, update, cancellationToken);
            Log.Updated(logger, _options.RegistrarCseId!, (int)status);
            return status == ResponseStatusCode.Updated;
        }

        if (status == ResponseStatusCode.OriginatorNotAuthenticated)
        {
            Log.NotAuthenticated(logger, _options.RegistrarCseId!, content?.GetValueOrDefault("m2m:dbg") as string ?? "",
                _options.RegistrarCseId!.TrimStart('/'), _options.CseBaseId);
            return false;
        }

        if (status != ResponseStatusCode.NotFound)
        {
            Log.Unexpected(logger, _options.RegistrarCseId!, (int)status);
            return false;
        }

        var csr = new Dictionary<string, object?>
        {
            ["csi"] = _options.CseId,
            ["cb"] = string.Concat(_options.CseId, "/", _options.CseBaseName),
            ["cst"] = (long)_options.Type,
            ["rr"] = _options.PointsOfAccess.Count > 0,
            ["poa"] = _options.DistinctPointsOfAccess(),
            ["srv"] = new List<object?> { "3", "4" },
        };
        (status, _) = await SendAsync(Operation.Create, registrarBase, ResourceType.RemoteCSE, csr, cancellationToken);
        Log.Registered(logger, _options.RegistrarCseId!, (int)status);
        return status is ResponseStatusCode.Created or ResponseStatusCode.OriginatorHasAlreadyRegistered;
    }

    /// <summary>
    /// True when the registrar's <c>&lt;remoteCSE&gt;</c> exists on this side (created now, by the CSE itself, from the
    /// registrar's CSEBase as it reads it, and with the configured registrar address as its <c>poa</c>).
    /// </summary>
    private async Task<bool> EnsureRegistrarKnownAsync(CancellationToken cancellationToken)
    {
        var registrar = _options.RegistrarCseId!;
        var cseBase = grains.GetGrain<ICseBaseGrain>(_options.CseBaseId);
        if (await cseBase.ResolveChild(registrar[1..]) is { Type: ResourceType.RemoteCSE })
        {
            return true;
        }

        var (status, content) = await SendAsync(Operation.Retrieve, string.Concat(registrar, "/", _options.RegistrarCseBaseName), null, null, cancellationToken);
        var registrarBase = status == ResponseStatusCode.Ok ? content?.GetValueOrDefault("m2m:cb") as Dictionary<string, object?> : null;
        var attributes = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["csi"] = registrar,
            ["cb"] = string.Concat(registrar, "/", _options.RegistrarCseBaseName),
            ["cst"] = registrarBase?.GetValueOrDefault("cst") as long? ?? (long)CseType.InfrastructureNode,
            ["rr"] = true,
            ["poa"] = new List<object?> { _options.RegistrarAddress },
        };
        if (registrarBase?.GetValueOrDefault("srv") is List<object?> releases)
        {
            attributes["srv"] = releases;
        }

        var created = await cseBase.Execute(new ResourceRequest
        {
            Operation = Operation.Create,
            // Made as if the registrar registered here, so that it owns its <remoteCSE> (as ACME creates it with the
            // registrar's CSE-ID as originator): it may read it and announce under it.
            Originator = registrar,
            RequestIdentifier = "registrar-" + ResourceIds.RandomString(12),
            ResourceType = ResourceType.RemoteCSE,
            ContentRoot = ResourceTypeRegistry.RootKey(ResourceType.RemoteCSE),
            Content = attributes,
        }, cancellationToken);
        return created.StatusCode is ResponseStatusCode.Created or ResponseStatusCode.OriginatorHasAlreadyRegistered;
    }

    private async Task<(ResponseStatusCode Status, Dictionary<string, object?>? Content)> SendAsync(Operation operation, string target, ResourceType? type,
        Dictionary<string, object?>? content, CancellationToken cancellationToken)
    {
        var request = new ResourceRequest
        {
            Operation = operation,
            Originator = _options.CseId,
            RequestIdentifier = "reg-" + ResourceIds.RandomString(12),
            ReleaseVersion = "3",
            ResourceType = type,
            ContentRoot = content is null ? null : ResourceTypeRegistry.RootKey(ResourceType.RemoteCSE),
            Content = content,
        };
        var answer = await client.SendAsync(new Uri(_options.RegistrarAddress!), _options.RegistrarCseId!, target, request, _options.ForwardTimeout, cancellationToken);
        if (answer is null)
        {
            Log.Unreachable(logger, _options.RegistrarAddress!);
            return (ResponseStatusCode.TargetNotReachable, null);
        }

        return (answer.Status, answer.Content);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3710, Level = LogLevel.Information, Message = "Registered to {Registrar}: {Rsc}")]
        public static partial void Registered(ILogger logger, string registrar, int rsc);

        [LoggerMessage(EventId = 3711, Level = LogLevel.Information, Message = "Updated the poa of the registration at {Registrar}: {Rsc}")]
        public static partial void Updated(ILogger logger, string registrar, int rsc);

        [LoggerMessage(EventId = 3712, Level = LogLevel.Warning, Message = "Reading the registration at {Registrar} answered {Rsc}; trying again")]
        public static partial void Unexpected(ILogger logger, string registrar, int rsc);

        [LoggerMessage(EventId = 3713, Level = LogLevel.Debug, Message = "Registrar at {Address} not reachable, or no answer in time; trying again")]
        public static partial void Unreachable(ILogger logger, string address);

        [LoggerMessage(EventId = 3715, Level = LogLevel.Error, Message = "The registrar {Registrar} does not accept this CSE's credentials (4106: {Reason}); "
            + "set Security:Authentication:CseSecrets:{RegistrarKey} here and Security:Authentication:CseSecrets:{OwnKey} at the registrar to the same secret; trying again")]
        public static partial void NotAuthenticated(ILogger logger, string registrar, string reason, string registrarKey, string ownKey);

        [LoggerMessage(EventId = 3714, Level = LogLevel.Warning, Message = "Keeping the registration at {Registrar} failed; trying again")]
        public static partial void Failed(ILogger logger, Exception exception, string? registrar);
    }
}
