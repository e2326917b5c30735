using System.Globalization;
using Microsoft.Extensions.Logging;
using VirtualIoT.Gateway.Addressing;

namespace VirtualIoT.Gateway.Pipeline;

/// <summary>Dynamic authorization: consulting the servers a denied request's target names in <c>daci</c>.</summary>
public sealed partial class RequestDispatcher
{
    /// <summary>
    /// A request no access control policy granted, to a target whose <c>daci</c> names consultation resources
    /// (TS-0004 7.3.3.15, as ACME's DAS manager sends it): each enabled one's servers (<c>dap</c>) are sent, in order,
    /// a NOTIFY of <c>{"m2m:seci":{"sit":1,"dreq":{"org","trt","op","rts","trid","ppl"}}}</c> and waited for here,
    /// outside any grain's turn, each at most the delivery's send timeout. The first answer 2000 with
    /// <c>m2m:seci</c> <c>sit</c> 2 and a <c>dynamicACPInfo</c> (<c>dai</c>, also accepted under <c>dres</c>) is kept by
    /// the consultation resource for its lifetime and the request is repeated once, the target judging it with those
    /// privileges. Anything else leaves the 4103, its message saying why.
    /// </summary>
    private async ValueTask<ResourceResponse> ConsultAsync(ResourceRequest request, ResourceResponse denied, DynamicAuthorizationQuery query,
        ResolvedTarget target, bool discovery, CancellationToken cancellationToken)
    {
        if (query.InheritFrom is { } parent)
        {
            // The target has no daci of its own: its nearest ancestor's apply. The request is repeated carrying them
            // (a denied request changed nothing), so the target uses what they granted before or names them to consult.
            if (await _grains.GetGrain<IInheritedConsultationGrain>(0).Find(parent, query.TargetId) is not { Count: > 0 } inherited)
            {
                return denied with { ConsultFirst = null };
            }

            request = request with { InheritedConsultations = inherited };
            var repeated = await CallAsync(request, target, discovery, cancellationToken);
            if (repeated.ConsultFirst is not { InheritFrom: null } inheritedQuery)
            {
                return repeated with { ConsultFirst = null };
            }

            (denied, query) = (repeated, inheritedQuery);
        }

        var reasons = new List<string>();
        foreach (var id in query.ConsultationIds)
        {
            var consultation = _grains.GetGrain<IDynamicAuthorizationConsultationGrain>(id);
            if (await consultation.ConsultationPoint() is not { } point)
            {
                reasons.Add($"{id} is gone or disabled");
                continue;
            }

            foreach (var server in point.PointsOfAccess)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var answer = await _delivery.Consult(new PendingNotification(
                    "dac" + Guid.NewGuid().ToString("N"), [server], ConsultationRequest(request, query, point), 0));
                var problem = answer is null ? "did not answer in time"
                    : answer.Status != ResponseStatusCode.Ok ? $"answered {(int)answer.Status}"
                    : AcpInfo(answer.Content, out var acpInfo) is { } wrong ? wrong
                    : await consultation.RecordGrant(request.Originator, query.TargetId, acpInfo!);
                if (problem is null)
                {
                    var repeated = await CallAsync(request, target, discovery, cancellationToken);
                    return repeated with { ConsultFirst = null };
                }

                Log.ConsultationFailed(_logger, server, problem);
                reasons.Add($"{server} {problem}");
            }
        }

        var why = reasons.Count == 0 ? "no dynamic authorization server to consult" : "dynamic authorization refused: " + string.Join("; ", reasons);
        return ResourceResponse.Error(ResponseStatusCode.OriginatorHasNoPrivilege, $"{denied.Message} ({why})");
    }

    private Dictionary<string, object?> ConsultationRequest(ResourceRequest request, DynamicAuthorizationQuery query, DynamicAuthorizationPoint point)
    {
        var details = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["org"] = request.Originator,
            ["trt"] = (long)query.TargetType,
            ["op"] = (long)request.Operation,
            ["rts"] = OneM2MTime.Format(_failures.Time.GetUtcNow().UtcDateTime),
            ["trid"] = query.TargetPath,
        };
        if (point.Lifetime is { } lifetime)
        {
            details["ppl"] = lifetime;
        }

        return new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["m2m:seci"] = new Dictionary<string, object?>(StringComparer.Ordinal) { ["sit"] = 1L, ["dreq"] = details },
        };
    }

    /// <summary>The <c>dynamicACPInfo</c> of a server's answer; null when found, else what is wrong with the answer.</summary>
    private static string? AcpInfo(Dictionary<string, object?>? content, out Dictionary<string, object?>? acpInfo)
    {
        acpInfo = null;
        if (content?.GetValueOrDefault("m2m:seci") is not Dictionary<string, object?> info)
        {
            return "answered without m2m:seci";
        }

        if (info.GetValueOrDefault("sit") is not long type || type != 2)
        {
            return $"answered sit {Convert.ToString(info.GetValueOrDefault("sit"), CultureInfo.InvariantCulture)}, not 2 (dynamic authorization response)";
        }

        acpInfo = info.GetValueOrDefault("dai") as Dictionary<string, object?>
            ?? ((info.GetValueOrDefault("dres") as Dictionary<string, object?>)?.GetValueOrDefault("dai") as Dictionary<string, object?>);
        return acpInfo is null ? "granted nothing (no dai, dynamicACPInfo)" : null;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3017, Level = LogLevel.Debug, Message = "Dynamic authorization server {Server} {Problem}")]
        public static partial void ConsultationFailed(ILogger logger, string server, string problem);
    }
}
