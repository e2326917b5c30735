namespace VirtualIoT.Gateway.Http;

/// <summary>Names and values of the oneM2M HTTP binding headers (TS-0009 6.4).</summary>
public static class OneM2MHeaders
{
    /// <summary>From.</summary>
    public const string Origin = "X-M2M-Origin";

    /// <summary>Request identifier, echoed in the response.</summary>
    public const string RequestIdentifier = "X-M2M-RI";

    /// <summary>Release version indicator, echoed in the response.</summary>
    public const string ReleaseVersion = "X-M2M-RVI";

    /// <summary>Response status code, on every response.</summary>
    public const string ResponseStatusCode = "X-M2M-RSC";

    /// <summary>Event category (<c>ec</c>).</summary>
    public const string EventCategory = "X-M2M-EC";

    /// <summary>Request expiration timestamp (<c>rqet</c>).</summary>
    public const string RequestExpiration = "X-M2M-RET";

    /// <summary>Result expiration timestamp (<c>rset</c>).</summary>
    public const string ResultExpiration = "X-M2M-RST";

    /// <summary>Operation execution time (<c>oet</c>).</summary>
    public const string OperationExecutionTime = "X-M2M-OET";

    /// <summary>Response type notification URIs (<c>rtu</c>): where a nonBlockingRequestAsynch result goes, joined by <c>&amp;</c>.</summary>
    public const string ResponseTypeUris = "X-M2M-RTU";

    /// <summary>Group request identifier (<c>gid</c>).</summary>
    public const string GroupRequestIdentifier = "X-M2M-GID";

    /// <summary>Vendor information (<c>vsi</c>), echoed in the response.</summary>
    public const string VendorInformation = "X-M2M-VSI";

    /// <summary>Originating timestamp (<c>ot</c>), set on every response.</summary>
    public const string OriginatingTimestamp = "X-M2M-OT";

    /// <summary>Media type of the oneM2M JSON serialization.</summary>
    public const string JsonMediaType = "application/json";

    /// <summary>The oneM2M-specific JSON resource media type, accepted as a synonym.</summary>
    public const string OneM2MJsonMediaType = "application/vnd.onem2m-res+json";

    /// <summary>The oneM2M JSON notification media type, accepted on request bodies.</summary>
    public const string OneM2MNotifyJsonMediaType = "application/vnd.onem2m-ntfy+json";
}
