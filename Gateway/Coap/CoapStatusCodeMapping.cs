namespace VirtualIoT.Gateway.Coap;

/// <summary>
/// The one table from oneM2M Response Status Codes to CoAP response codes (TS-0008 table 6.2.4-1). The CoAP code is
/// ambiguous, so every response also carries the RSC in the oneM2M-RSC option.
/// </summary>
public static class CoapStatusCodeMapping
{
    /// <summary>2.01 Created.</summary>
    public static readonly byte Created = CoapMessage.MakeCode(2, 1);

    /// <summary>2.04 Changed.</summary>
    public static readonly byte Changed = CoapMessage.MakeCode(2, 4);

    /// <summary>2.05 Content.</summary>
    public static readonly byte Content = CoapMessage.MakeCode(2, 5);

    /// <summary>2.31 Continue (RFC 7959: send the next Block1 block).</summary>
    public static readonly byte Continue = CoapMessage.MakeCode(2, 31);

    /// <summary>4.00 Bad Request.</summary>
    public static readonly byte BadRequest = CoapMessage.MakeCode(4, 0);

    /// <summary>4.02 Bad Option.</summary>
    public static readonly byte BadOption = CoapMessage.MakeCode(4, 2);

    /// <summary>4.05 Method Not Allowed.</summary>
    public static readonly byte MethodNotAllowed = CoapMessage.MakeCode(4, 5);

    /// <summary>4.08 Request Entity Incomplete (RFC 7959).</summary>
    public static readonly byte RequestEntityIncomplete = CoapMessage.MakeCode(4, 8);

    /// <summary>4.13 Request Entity Too Large.</summary>
    public static readonly byte RequestEntityTooLarge = CoapMessage.MakeCode(4, 13);

    /// <summary>5.05 Proxying Not Supported.</summary>
    public static readonly byte ProxyingNotSupported = CoapMessage.MakeCode(5, 5);

    /// <summary>
    /// The CoAP code for <paramref name="code"/> answering <paramref name="operation"/> (2000 is 2.05 for a retrieve,
    /// 2.04 for a notify), or false when the code is not in the TS-0008 table. Codes listed in TS-0004 but absent from
    /// the enum are mapped too.
    /// </summary>
    public static bool TryGetCoapCode(ResponseStatusCode code, Operation? operation, out byte coapCode)
    {
        (int Class, int Detail) mapped = (int)code switch
        {
            1001 => (2, 1),
            1000 or 1002 => (2, 4),
            2000 => operation == Operation.Notify ? (2, 4) : (2, 5),
            2001 => (2, 1),
            2002 => (2, 2),
            2004 => (2, 4),
            4000 or 4102 or 4104 or 4110 or 4123 or 4124 or 4143 => (4, 0),
            4001 or 4125 => (5, 1),
            4004 or 4118 or 4119 or 4121 => (4, 4),
            4005 => (4, 5),
            4008 => (5, 4),
            4015 => (4, 15),
            4101 or 4103 or 4105 or 4106 or 4107 or 4108 or 4109 or (>= 4111 and <= 4117) or 4126 or 4127 or 4128 => (4, 3),
            4120 or 4122 => (4, 2),
            5000 or 5204 or 5209 or 5210 or 5211 or 5212 or 5216 or 5217 or 5221 => (5, 0),
            5001 or 5206 => (5, 1),
            5103 or 5107 => (4, 4),
            5105 or 5203 or 5205 or 5208 or 5214 or 5215 or 5218 or 5222 => (4, 3),
            5106 or 5219 or 5220 => (4, 0),
            5207 => (4, 6),
            6003 or 6005 => (4, 4),
            6010 or 6022 or 6023 or 6024 or 6028 or 6029 => (4, 0),
            6020 or 6021 or 6025 or 6026 => (5, 0),
            6030 or 6031 => (5, 4),
            _ => (0, 0),
        };
        coapCode = CoapMessage.MakeCode(mapped.Class, mapped.Detail);
        return mapped.Class != 0;
    }

    /// <summary>
    /// The CoAP code for <paramref name="code"/>; a code missing from the table falls back on its class (1xxx and
    /// 2xxx 2.04, 4xxx 4.00, others 5.00).
    /// </summary>
    public static byte ToCoapCode(ResponseStatusCode code, Operation? operation)
    {
        if (TryGetCoapCode(code, operation, out var coapCode))
        {
            return coapCode;
        }

        return (int)code switch
        {
            >= 1000 and < 3000 => Changed,
            >= 4000 and < 5000 => BadRequest,
            _ => CoapMessage.MakeCode(5, 0),
        };
    }

    /// <summary>The RSC a CoAP response stands for when it carries no oneM2M-RSC option (a receiver that is no oneM2M entity).</summary>
    public static ResponseStatusCode FromCoapCode(byte coapCode) => (coapCode >> 5) switch
    {
        2 => ResponseStatusCode.Ok,
        4 => ResponseStatusCode.BadRequest,
        _ => ResponseStatusCode.InternalServerError,
    };
}
