using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using VirtualIoT.Tests.Infrastructure;
using Xunit.Sdk;

namespace VirtualIoT.Tests.Protocol;

/// <summary>
/// Assertions every protocol test makes on a response: the oneM2M status in <c>X-M2M-RSC</c>, the HTTP status
/// TS-0009 Table 6.3.2-1 gives for it (written out here, independent of the product's own table), the echoed
/// <c>X-M2M-RI</c>, and an <c>m2m:dbg</c> body on errors.
/// </summary>
internal static class ProtocolAssert
{
    private static readonly Dictionary<int, HttpStatusCode> s_httpStatus = new()
    {
        [1001] = HttpStatusCode.Accepted,
        [1002] = HttpStatusCode.Accepted,
        [2000] = HttpStatusCode.OK,
        [2001] = HttpStatusCode.Created,
        [2002] = HttpStatusCode.OK,
        [2004] = HttpStatusCode.OK,
        [4000] = HttpStatusCode.BadRequest,
        [4001] = HttpStatusCode.NotImplemented,
        [4004] = HttpStatusCode.NotFound,
        [4005] = HttpStatusCode.MethodNotAllowed,
        [4008] = HttpStatusCode.GatewayTimeout,
        [4015] = HttpStatusCode.UnsupportedMediaType,
        [4103] = HttpStatusCode.Forbidden,
        [4105] = HttpStatusCode.Conflict,
        [4106] = HttpStatusCode.Forbidden,
        [4107] = HttpStatusCode.Forbidden,
        [4108] = HttpStatusCode.Forbidden,
        [4110] = HttpStatusCode.BadRequest,
        [4117] = HttpStatusCode.Forbidden,
        [5001] = HttpStatusCode.NotImplemented,
        [5103] = HttpStatusCode.NotFound,
        [5105] = HttpStatusCode.Forbidden,
        [5203] = HttpStatusCode.Forbidden,
        [5204] = HttpStatusCode.InternalServerError,
        [5207] = HttpStatusCode.NotAcceptable,
        [6010] = HttpStatusCode.BadRequest,
    };

    /// <summary>Asserts the response answered <paramref name="rsc"/> with its HTTP status and echoed the request ID.</summary>
    public static void Answered(OneM2MResponse response, int rsc)
    {
        if (response.Rsc != rsc)
        {
            throw new XunitException($"expected X-M2M-RSC {rsc}, got HTTP {(int)response.Status} X-M2M-RSC {response.Rsc}: {response.Body}");
        }

        Assert.Equal(s_httpStatus[rsc], response.Status);
        if (response.SentRequestId.Length > 0)
        {
            Assert.Equal(response.SentRequestId, response.EchoedRequestId);
        }

        if (rsc >= 4000)
        {
            Assert.True(response.Json?["m2m:dbg"] is JsonValue, $"error {rsc} without an m2m:dbg message: '{response.Body}'");
        }
    }

    /// <summary>Asserts the error response answered one of the codes (for spec points with two accepted answers).</summary>
    public static void AnsweredOneOf(OneM2MResponse response, params int[] codes)
    {
        Assert.True(codes.Contains(response.Rsc), $"expected X-M2M-RSC in [{string.Join(", ", codes)}], got HTTP {(int)response.Status} X-M2M-RSC {response.Rsc}: {response.Body}");
        Answered(response, response.Rsc);
    }

    /// <summary>The discovery result list (<c>m2m:uril</c>) of a 2000 answer.</summary>
    public static List<string> UriList(OneM2MResponse response)
    {
        Answered(response, 2000);
        var list = response.Json?["m2m:uril"] as JsonArray
            ?? throw new XunitException($"no m2m:uril array in {response.Body}");
        return list.Select(node => node!.GetValue<string>()).ToList();
    }

    /// <summary>A string attribute of a resource representation.</summary>
    public static string Text(JsonObject resource, string attribute) =>
        resource[attribute]?.GetValue<string>() ?? throw new XunitException($"no '{attribute}' in {resource.ToJsonString()}");

    /// <summary>An integer attribute of a resource representation.</summary>
    public static long Number(JsonObject resource, string attribute) =>
        resource[attribute]?.GetValue<long>() ?? throw new XunitException($"no '{attribute}' in {resource.ToJsonString()}");
}

/// <summary>oneM2M timestamps (<c>YYYYMMDDThhmmss[,ffffff]</c>, UTC) for test inputs and checks.</summary>
internal static class M2MTime
{
    public static string Format(DateTime utc) =>
        utc.ToString("yyyyMMdd'T'HHmmss','ffffff", CultureInfo.InvariantCulture);

    public static string FromNow(TimeSpan offset) => Format(DateTime.UtcNow + offset);

    /// <summary>The time <paramref name="offset"/> after <paramref name="clock"/>'s now (the platform's clock in a test that moves it).</summary>
    public static string FromNow(TimeProvider clock, TimeSpan offset) => Format(clock.GetUtcNow().UtcDateTime + offset);

    public static DateTime Parse(string timestamp)
    {
        var formats = new[] { "yyyyMMdd'T'HHmmss", "yyyyMMdd'T'HHmmss','f", "yyyyMMdd'T'HHmmss','ff", "yyyyMMdd'T'HHmmss','fff",
            "yyyyMMdd'T'HHmmss','ffff", "yyyyMMdd'T'HHmmss','fffff", "yyyyMMdd'T'HHmmss','ffffff" };
        return DateTime.ParseExact(timestamp, formats, CultureInfo.InvariantCulture,
            DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
    }

    /// <summary>Polls <paramref name="probe"/> until it returns true or the deadline passes, naming what was missing.</summary>
    public static async Task WaitUntil(Func<Task<bool>> probe, string what, TimeSpan? timeout = null)
    {
        var deadline = Deadline.In(timeout ?? TimeSpan.FromSeconds(15));
        while (!await probe())
        {
            if (deadline.Passed)
            {
                throw new XunitException($"timed out waiting until {what}");
            }

            await Task.Delay(100);
        }
    }
}
