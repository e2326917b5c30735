namespace VirtualIoT;

/// <summary>
/// The classes of <see cref="ResponseStatusCode"/> (TS-0004 6.6.3): the thousands digit says whether the request
/// succeeded (2xxx), the originator erred (4xxx), or the receiver or the network failed (5xxx, 6xxx).
/// </summary>
public static class ResponseStatusCodeClasses
{
    /// <summary>True for a success (2xxx).</summary>
    public static bool IsSuccess(this ResponseStatusCode code) => (int)code is >= 2000 and < 3000;

    /// <summary>True for any error: originator (4xxx), receiver (5xxx) or network (6xxx).</summary>
    public static bool IsError(this ResponseStatusCode code) => (int)code >= 4000;

    /// <summary>True for an error that is not the originator's: receiver (5xxx) or network (6xxx).</summary>
    public static bool IsReceiverError(this ResponseStatusCode code) => (int)code >= 5000;
}
