using System.Globalization;
using VirtualIoT.Gateway.Http;

namespace VirtualIoT.Tests.Gateway;

public sealed class StatusCodeMappingTests
{
    public static TheoryData<ResponseStatusCode> EveryCode => new(Enum.GetValues<ResponseStatusCode>());

    [Theory]
    [MemberData(nameof(EveryCode))]
    public void Every_response_status_code_has_an_HTTP_status_in_the_table(ResponseStatusCode code)
    {
        var mapped = StatusCodeMapping.TryGetHttpStatus(code, out var httpStatus);

        Assert.True(mapped, $"{code} ({(int)code}) is not in the RSC→HTTP table");
        Assert.InRange(httpStatus, 200, 599);
        Assert.Equal(httpStatus, StatusCodeMapping.ToHttpStatus(code));
    }

    [Theory]
    [MemberData(nameof(EveryCode))]
    public void Success_codes_map_to_2xx_and_errors_to_4xx_or_5xx(ResponseStatusCode code)
    {
        var httpStatus = StatusCodeMapping.ToHttpStatus(code);

        if ((int)code < 3000)
        {
            Assert.InRange(httpStatus, 200, 299);
        }
        else
        {
            Assert.InRange(httpStatus, 400, 599);
        }
    }

    [Theory]
    [MemberData(nameof(EveryCode))]
    public void Every_response_status_code_has_its_number_as_header_value(ResponseStatusCode code) =>
        Assert.Equal(((int)code).ToString(CultureInfo.InvariantCulture), StatusCodeMapping.ToHeaderValue(code));

    [Theory]
    [InlineData(1000, 202)]
    [InlineData(1001, 202)]
    [InlineData(2000, 200)]
    [InlineData(2001, 201)]
    [InlineData(2002, 200)]
    [InlineData(2004, 200)]
    [InlineData(4000, 400)]
    [InlineData(4001, 501)]
    [InlineData(4004, 404)]
    [InlineData(4005, 405)]
    [InlineData(4008, 504)]
    [InlineData(4015, 415)]
    [InlineData(4102, 400)]
    [InlineData(4103, 403)]
    [InlineData(4104, 409)]
    [InlineData(4105, 409)]
    [InlineData(4106, 403)]
    [InlineData(4107, 403)]
    [InlineData(4108, 403)]
    [InlineData(4110, 400)]
    [InlineData(4117, 403)]
    [InlineData(4124, 409)]
    [InlineData(4126, 403)]
    [InlineData(5000, 500)]
    [InlineData(5001, 501)]
    [InlineData(5103, 404)]
    [InlineData(5105, 403)]
    [InlineData(5106, 409)]
    [InlineData(5203, 403)]
    [InlineData(5204, 500)]
    [InlineData(5206, 501)]
    [InlineData(5207, 406)]
    [InlineData(6010, 400)]
    public void Status_codes_map_as_TS_0009_Table_6_3_2_1_says(int rsc, int http) =>
        Assert.Equal(http, StatusCodeMapping.ToHttpStatus((ResponseStatusCode)rsc));

    [Theory]
    [InlineData(1999, 202)]
    [InlineData(2999, 200)]
    [InlineData(4999, 400)]
    [InlineData(5999, 500)]
    [InlineData(7000, 500)]
    public void Codes_outside_the_table_fall_back_on_their_class(int rsc, int http)
    {
        Assert.False(StatusCodeMapping.TryGetHttpStatus((ResponseStatusCode)rsc, out _));
        Assert.Equal(http, StatusCodeMapping.ToHttpStatus((ResponseStatusCode)rsc));
        Assert.Equal(rsc.ToString(CultureInfo.InvariantCulture), StatusCodeMapping.ToHeaderValue((ResponseStatusCode)rsc));
    }
}
