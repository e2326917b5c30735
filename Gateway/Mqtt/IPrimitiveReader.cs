using VirtualIoT.Gateway.Json;

namespace VirtualIoT.Gateway.Mqtt;

/// <summary>The kind of value a <see cref="IPrimitiveReader{TSelf}"/> stands before.</summary>
internal enum PrimitiveValueKind
{
    Object,
    Array,
    String,
    Number,
    Boolean,
    Null,
    Other,
}

/// <summary>
/// One serialization of a request primitive as the one member mapping (<see cref="MqttRequestParser"/>,
/// <see cref="PrimitiveMemberReader"/>) reads it, so that JSON and CBOR primitives are read by the same code into the same
/// request, each straight from its own reader with nothing re-encoded between. The reader stands before a value; every
/// read consumes that value whole (<see cref="ReadScalar"/>, <see cref="Skip"/>, or <see cref="EnterObject"/> then
/// <see cref="NextMember"/> until false, <see cref="EnterArray"/> then <see cref="NextItem"/> until false).
/// Malformed input throws an exception that <see cref="IsMalformed"/> recognises; the mapping turns it into 4000.
/// </summary>
internal interface IPrimitiveReader<TSelf>
    where TSelf : IPrimitiveReader<TSelf>, allows ref struct
{
    /// <summary>The 4000 message for a primitive that is not an object (a map).</summary>
    static abstract string NotAnObject { get; }

    /// <summary>True when <paramref name="exception"/> means malformed input; <paramref name="message"/> says why.</summary>
    static abstract bool IsMalformed(Exception exception, out string message);

    /// <summary>Moves to the primitive's first value; false when the input is empty.</summary>
    bool Start();

    /// <summary>True when nothing follows the primitive's object.</summary>
    bool AtEnd();

    /// <summary>The kind of the next value.</summary>
    PrimitiveValueKind Peek();

    /// <summary>Enters the object the reader stands before.</summary>
    void EnterObject();

    /// <summary>Enters the array the reader stands before.</summary>
    void EnterArray();

    /// <summary>
    /// In an object: the next member's name, the reader then before its value; false at the object's end. A name the
    /// mapping knows (<see cref="PrimitiveNames"/>) is the one string of that name, not a new one.
    /// </summary>
    bool NextMember(out string name);

    /// <summary>In an array: true and before the next item, or false at the array's end.</summary>
    bool NextItem();

    /// <summary>
    /// A scalar as text: a string, a number as written (JSON) or in its shortest round-trip form (CBOR), <c>true</c> or
    /// <c>false</c>; null for null. Only for the scalar kinds.
    /// </summary>
    string? ReadScalar();

    /// <summary>Consumes the next value whatever it is.</summary>
    void Skip();

    /// <summary>A reader standing before the same value, to read it again once the rest is known.</summary>
    TSelf Mark();

    /// <summary>The next value as a resource representation: one root key (<c>m2m:cnt</c>) over an object.</summary>
    ParseResult<ParsedContent> ReadContent();

    /// <summary>The next value, an object with any members, as a tree (a response's <c>pc</c>).</summary>
    ParseResult<Dictionary<string, object?>> ReadObject();

    /// <summary>Gives back what the reader holds (a pooled <c>CborReader</c>); nothing is read from it after. A default reader may be released.</summary>
    void Release();
}
