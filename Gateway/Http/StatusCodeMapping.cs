using System.Collections.Frozen;
using System.Globalization;

namespace VirtualIoT.Gateway.Http;

/// <summary>
/// The one table from oneM2M Response Status Codes to HTTP status codes (TS-0009 Table 6.3.2-1). The HTTP code
/// is ambiguous (2000, 2002 and 2004 are all 200), so every response also carries the RSC in <c>X-M2M-RSC</c>.
/// </summary>
public static class StatusCodeMapping
{
    // Every code also has its X-M2M-RSC text cached, so writing a response formats no number.
    private static readonly FrozenDictionary<int, string> s_headerValues = BuildHeaderValues();

    /// <summary>
    /// The HTTP status for <paramref name="code"/>, or false when the code is not in the TS-0009 table. Codes listed
    /// in TS-0004 but absent from the enum are mapped too, so a grain may return them as plain numbers.
    /// </summary>
    public static bool TryGetHttpStatus(ResponseStatusCode code, out int httpStatus)
    {
        httpStatus = (int)code switch
        {
            1000 or 1001 or 1002 => 202,
            2000 or 2002 or 2004 => 200,
            2001 => 201,
            4000 => 400,
            4001 => 501,
            4004 => 404,
            4005 => 405,
            4008 => 504,
            4015 => 415,
            4101 or 4103 or 4106 or 4107 or 4108 or 4109 => 403,
            4102 => 400,
            4104 or 4105 => 409,
            4110 => 400,
            >= 4111 and <= 4116 => 403,
            4117 => 403,
            4118 or 4119 or 4121 => 404,
            4120 or 4122 or 4123 or 4143 => 400,
            4124 => 409,
            4125 => 501,
            4126 or 4127 => 403,
            4128 => 403, // ACME; absent from the TS-0009 table.
            5000 => 500,
            5001 => 501,
            5103 => 404,
            5105 => 403,
            5106 => 409,
            5107 => 404,
            5203 => 403,
            5204 => 500,
            5205 => 403,
            5206 => 501,
            5207 => 406,
            5208 or 5214 or 5215 or 5218 or 5222 => 403,
            5209 or 5210 or 5211 or 5212 or 5216 or 5217 or 5221 => 500,
            5219 or 5220 => 409,
            6003 or 6005 => 404,
            6010 => 400,
            6020 or 6021 or 6025 or 6026 => 500,
            6022 or 6023 or 6024 => 400,
            6028 or 6029 => 409,
            6030 or 6031 => 504,
            _ => 0,
        };
        return httpStatus != 0;
    }

    /// <summary>
    /// The HTTP status for <paramref name="code"/>; a code missing from the table falls back on its class
    /// (1xxx 202, 2xxx 200, 4xxx 400, others 500).
    /// </summary>
    public static int ToHttpStatus(ResponseStatusCode code)
    {
        if (TryGetHttpStatus(code, out var httpStatus))
        {
            return httpStatus;
        }

        return (int)code switch
        {
            >= 1000 and < 2000 => 202,
            >= 2000 and < 3000 => 200,
            >= 4000 and < 5000 => 400,
            _ => 500,
        };
    }

    /// <summary>The <c>X-M2M-RSC</c> header value (the code as a decimal number), cached for known codes.</summary>
    public static string ToHeaderValue(ResponseStatusCode code) =>
        s_headerValues.TryGetValue((int)code, out var text) ? text : ((int)code).ToString(CultureInfo.InvariantCulture);

    private static FrozenDictionary<int, string> BuildHeaderValues()
    {
        var values = new Dictionary<int, string>();
        foreach (var code in Enum.GetValues<ResponseStatusCode>())
        {
            values[(int)code] = ((int)code).ToString(CultureInfo.InvariantCulture);
        }

        return values.ToFrozenDictionary();
    }
}
