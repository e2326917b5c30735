using VirtualIoT.Gateway;
using VirtualIoT.Gateway.Pipeline;

namespace VirtualIoT.Tests.Gateway;

/// <summary>
/// The timing parameters (<c>rqet</c>, <c>rset</c>, <c>oet</c>, <c>rt</c>) read against a fixed clock: every form of
/// time, every contradiction, every response type.
/// </summary>
public sealed class RequestTimingTests
{
    private static readonly DateTimeOffset s_now = new(2026, 3, 1, 10, 15, 0, TimeSpan.Zero);

    private static readonly TimeSpan s_maxDelay = TimeSpan.FromMinutes(10);

    private static ParseResult<RequestTiming> Parse(string? rqet = null, string? rset = null, string? oet = null, string? rt = null) =>
        RequestTiming.Parse(new TimingParameters(rqet, rset, oet, rt), s_now, s_maxDelay);

    [Fact]
    public void No_parameters_mean_run_now_and_answer_blocking()
    {
        var timing = Parse();

        Assert.True(timing.IsSuccess);
        Assert.Equal(RequestTiming.None, timing.Value);
        Assert.Equal(TimeSpan.Zero, timing.Value.DelayFrom(s_now));
    }

    [Theory]
    [InlineData("20260301T101501", 1000)]
    [InlineData("20260301T101500,250000", 250)]
    [InlineData("1500", 1500)]
    [InlineData("PT2S", 2000)]
    [InlineData("PT1M", 60000)]
    public void An_execution_time_may_be_absolute_milliseconds_or_a_duration(string oet, int expectedDelayMs)
    {
        var timing = Parse(oet: oet);

        Assert.True(timing.IsSuccess, timing.ToString());
        Assert.Equal(TimeSpan.FromMilliseconds(expectedDelayMs), timing.Value.DelayFrom(s_now));
    }

    [Fact]
    public void A_past_execution_time_runs_at_once()
    {
        var timing = Parse(oet: "20260301T101400");

        Assert.True(timing.IsSuccess);
        Assert.Equal(TimeSpan.Zero, timing.Value.DelayFrom(s_now));
    }

    [Theory]
    [InlineData("20260301T101459", null)]
    [InlineData("-1", null)]
    [InlineData("0", null)]
    [InlineData("-PT1S", null)]
    [InlineData(null, "20260301T101459")]
    [InlineData(null, "-5000")]
    public void An_expired_request_or_result_is_4008(string? rqet, string? rset)
    {
        var timing = Parse(rqet: rqet, rset: rset);

        Assert.Equal(ResponseStatusCode.RequestTimeout, timing.Error?.Code);
    }

    [Theory]
    [InlineData("20260301T101510", "20260301T101505", null)]
    [InlineData("10000", null, "10000")]
    [InlineData("10000", null, "20000")]
    [InlineData(null, "5000", "5000")]
    [InlineData(null, "5000", "PT6S")]
    [InlineData("garbage", null, null)]
    [InlineData(null, "2026-03-01T10:16:00Z", null)]
    [InlineData(null, null, "P")]
    [InlineData(null, null, "tomorrow")]
    [InlineData(null, null, "PT11M")]
    public void Malformed_or_contradicting_times_are_4000(string? rqet, string? rset, string? oet)
    {
        var timing = Parse(rqet, rset, oet);

        Assert.Equal(ResponseStatusCode.BadRequest, timing.Error?.Code);
    }

    [Fact]
    public void Execution_before_both_expirations_is_accepted()
    {
        var timing = Parse(rqet: "10000", rset: "20000", oet: "5000");

        Assert.True(timing.IsSuccess, timing.ToString());
        Assert.Equal(s_now.AddSeconds(10), timing.Value.RequestExpiration);
        Assert.Equal(s_now.AddSeconds(20), timing.Value.ResultExpiration);
        Assert.Equal(s_now.AddSeconds(5), timing.Value.ExecutionTime);
    }

    [Theory]
    [InlineData("1", ResponseType.NonBlockingSynch)]
    [InlineData("2", ResponseType.NonBlockingAsynch)]
    [InlineData("3", ResponseType.Blocking)]
    [InlineData("4", ResponseType.FlexBlocking)]
    [InlineData("5", ResponseType.NoResponse)]
    public void Supported_response_types_are_read(string rt, ResponseType expected)
    {
        var timing = Parse(rt: rt);

        Assert.Equal(expected, timing.Value.ResponseType);
        Assert.Equal(expected == ResponseType.NoResponse, timing.Value.NoResponse);
    }

    [Theory]
    [InlineData("0", ResponseStatusCode.BadRequest)]
    [InlineData("6", ResponseStatusCode.BadRequest)]
    [InlineData("x", ResponseStatusCode.BadRequest)]
    public void Unsupported_or_invalid_response_types_are_refused(string rt, ResponseStatusCode expected)
    {
        var timing = Parse(rt: rt);

        Assert.Equal(expected, timing.Error?.Code);
        Assert.False(string.IsNullOrEmpty(timing.Error!.Message));
    }
}
