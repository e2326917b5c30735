namespace VirtualIoT.Gateway.Coap;

/// <summary>
/// CoAP option numbers: RFC 7252 5.10, RFC 7959 2.1 (Block1/Block2, Size1/Size2) and the oneM2M options of TS-0008
/// table 6.2.2.4.0-1 (V3.7.0 and later, the numbers registered with IANA). Releases before V3.7.0 numbered the oneM2M
/// options from 256 (<see cref="LegacyFrom"/> …); a request using those is read too and answered with them.
/// </summary>
public static class CoapOptionNumbers
{
#pragma warning disable CS1591 // The names are the RFC's and TS-0008's.
    public const int IfMatch = 1;
    public const int UriHost = 3;
    public const int ETag = 4;
    public const int IfNoneMatch = 5;
    public const int UriPort = 7;
    public const int LocationPath = 8;
    public const int UriPath = 11;
    public const int ContentFormat = 12;
    public const int MaxAge = 14;
    public const int UriQuery = 15;
    public const int Accept = 17;
    public const int LocationQuery = 20;
    public const int Block2 = 23;
    public const int Block1 = 27;
    public const int Size2 = 28;
    public const int ProxyUri = 35;
    public const int ProxyScheme = 39;
    public const int Size1 = 60;
    public const int NoResponse = 258;

    public const int From = 279;
    public const int RequestIdentifier = 283;
    public const int OriginatingTimestamp = 259;
    public const int RequestExpiration = 291;
    public const int ResultExpiration = 295;
    public const int OperationExecutionTime = 299;
    public const int ResponseTypeUri = 263;
    public const int EventCategory = 303;
    public const int StatusCode = 307;
    public const int GroupRequestIdentifier = 311;
    public const int TypeOfResource = 267;
    public const int ContentOffset = 319;
    public const int ContentStatus = 323;
    public const int AssignedTokenIdentifiers = 327;
    public const int ReleaseVersion = 271;
    public const int VendorInformation = 331;
    public const int GroupRequestTargetMembers = 335;
    public const int AuthorizationSignatures = 339;
    public const int AuthorizationSignatureRequestInformation = 275;

    // Before TS-0008 V3.7.0 (elective numbers from 256; 259 OT, 263 RTURI, 267 TY and 271 RVI kept their numbers).
    public const int LegacyFrom = 256;
    public const int LegacyRequestIdentifier = 257;
    public const int LegacyRequestExpiration = 260;
    public const int LegacyResultExpiration = 261;
    public const int LegacyOperationExecutionTime = 262;
    public const int LegacyEventCategory = 264;
    public const int LegacyStatusCode = 265;
    public const int LegacyGroupRequestIdentifier = 266;
#pragma warning restore CS1591

    /// <summary>True for a critical option (odd number, RFC 7252 5.4.1): a request carrying one the CSE does not know is 4.02.</summary>
    public static bool IsCritical(int number) => (number & 1) != 0;

    /// <summary>True for the options this binding reads in a request (any other critical one is refused with 4.02 Bad Option).</summary>
    public static bool IsUnderstood(int number) => number switch
    {
        UriHost or UriPort or UriPath or ContentFormat or UriQuery or Accept or Block2 or Block1 or Size1 or Size2 or ETag or MaxAge
            or From or RequestIdentifier or OriginatingTimestamp or RequestExpiration or ResultExpiration or OperationExecutionTime
            or ResponseTypeUri or EventCategory or GroupRequestIdentifier or TypeOfResource or ReleaseVersion or VendorInformation
            or LegacyFrom or LegacyRequestIdentifier or LegacyRequestExpiration or LegacyResultExpiration or LegacyOperationExecutionTime
            or LegacyEventCategory or LegacyGroupRequestIdentifier => true,
        _ => false,
    };
}

/// <summary>
/// The value of a Block1 or Block2 option (RFC 7959 2.2): block number, more flag and size exponent
/// (<c>size = 2^(SZX+4)</c>, 16 to 1024 bytes).
/// </summary>
/// <param name="Number">The block number (up to 2^20 - 1).</param>
/// <param name="More">True when more blocks follow.</param>
/// <param name="SizeExponent">SZX, 0 to 6.</param>
public readonly record struct CoapBlock(int Number, bool More, int SizeExponent)
{
    /// <summary>The block size in bytes.</summary>
    public int Size => 1 << (SizeExponent + 4);

    /// <summary>The byte offset of this block.</summary>
    public long Offset => (long)Number * Size;

    /// <summary>Reads a block option; false for a value longer than 3 bytes or SZX 7 (reserved).</summary>
    public static bool TryRead(CoapOption option, out CoapBlock block)
    {
        block = default;
        if (option.Value.Length > 3 || !option.TryGetUInt(out var value) || (value & 0x7) == 7)
        {
            return false;
        }

        block = new CoapBlock((int)(value >> 4), (value & 0x8) != 0, (int)(value & 0x7));
        return true;
    }

    /// <summary>The SZX of the largest block size not above <paramref name="bytes"/> (at least 16, at most 1024).</summary>
    public static int ExponentFor(int bytes)
    {
        var exponent = 6;
        while (exponent > 0 && (1 << (exponent + 4)) > bytes)
        {
            exponent--;
        }

        return exponent;
    }

    /// <summary>This block as an option numbered <paramref name="number"/>.</summary>
    public CoapOption ToOption(int number) => CoapOption.UInt(number, ((uint)Number << 4) | (More ? 8u : 0u) | (uint)SizeExponent);
}
