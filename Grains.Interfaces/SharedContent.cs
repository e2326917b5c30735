using System.Buffers;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Orleans.Serialization.Buffers;
using Orleans.Serialization.Codecs;
using Orleans.Serialization.Cloning;
using Orleans.Serialization.WireProtocol;

namespace VirtualIoT;

/// <summary>
/// A part of a content tree that many trees share, never changed once made: the notification event (<c>nev</c>) of one
/// resource event as one <c>nct</c> renders it, which every subscription of that event and content type puts in its own
/// <c>m2m:sgn</c> (only <c>sur</c> and <c>cr</c> differ). Its <see cref="Value"/> is written in each wire format once and
/// the bytes are reused by every notification that carries it (<see cref="Encoded"/>), and it is stored in Orleans'
/// binary format once and those bytes copied into every stored notification (<see cref="SharedContentCodec"/>), so a
/// burst of one event to 2,000 subscriptions walks the resource's attributes a few times, not 6,000 times.
/// Writers of content trees treat it as its <see cref="Value"/>.
/// </summary>
[Alias("VirtualIoT.SharedContent")]
public sealed class SharedContent
{
    // The encodings made so far, by the writer's format number; entries are set once (a race makes equal bytes twice).
    private readonly byte[]?[] _encoded = new byte[]?[FormatSlots];

    /// <summary>How many wire formats <see cref="Encoded"/> keeps an encoding for (format numbers 0 to this − 1).</summary>
    public const int FormatSlots = 4;

    /// <summary>A shared part with the tree <paramref name="value"/>, which no one may change from now on.</summary>
    public SharedContent(Dictionary<string, object?> value)
    {
        ArgumentNullException.ThrowIfNull(value);
        Value = value;
    }

    /// <summary>The tree (one object); read only.</summary>
    public Dictionary<string, object?> Value { get; }

    /// <summary>Orleans' binary form of <see cref="Value"/> once made (<see cref="SharedContentCodec"/>).</summary>
    internal byte[]? Stored { get; set; }

    /// <summary>
    /// <see cref="Value"/> in the wire format numbered <paramref name="format"/> (below <see cref="FormatSlots"/>),
    /// made by <paramref name="encode"/> the first time and kept: the caller must not change the bytes.
    /// </summary>
    public byte[] Encoded(int format, Func<Dictionary<string, object?>, byte[]> encode)
    {
        ArgumentNullException.ThrowIfNull(encode);
        return Volatile.Read(ref _encoded[format]) ?? (_encoded[format] = encode(Value));
    }
}

/// <summary>
/// Stores a <see cref="SharedContent"/> as the bytes Orleans' serializer gives its tree, made once per instance: a
/// notification's page write copies them instead of walking the tree again. Reading gives a new instance with the tree
/// read back (and its bytes kept, so that writing it again copies them too).
/// </summary>
[RegisterSerializer]
internal sealed class SharedContentCodec(IServiceProvider services) : IFieldCodec<SharedContent>
{
    private static readonly Type s_type = typeof(SharedContent);
    private Serializer<Dictionary<string, object?>>? _tree;

    // Resolved on first use: the codec is made while the serializer's own codecs are.
    private Serializer<Dictionary<string, object?>> Tree => _tree ??= services.GetRequiredService<Serializer<Dictionary<string, object?>>>();

    public void WriteField<TBufferWriter>(ref Writer<TBufferWriter> writer, uint fieldIdDelta, Type? expectedType, SharedContent? value)
        where TBufferWriter : IBufferWriter<byte>
    {
        if (ReferenceCodec.TryWriteReferenceField(ref writer, fieldIdDelta, expectedType, value))
        {
            return;
        }

        var bytes = value.Stored ??= Tree.SerializeToArray(value.Value);
        writer.WriteFieldHeader(fieldIdDelta, expectedType, s_type, WireType.LengthPrefixed);
        writer.WriteVarUInt32((uint)bytes.Length);
        writer.Write(bytes);
    }

    public SharedContent ReadValue<TInput>(ref Reader<TInput> reader, Field field)
    {
        if (field.WireType == WireType.Reference)
        {
            return ReferenceCodec.ReadReference<SharedContent, TInput>(ref reader, field)!;
        }

        field.EnsureWireType(WireType.LengthPrefixed);
        var length = reader.ReadVarUInt32();
        var bytes = reader.ReadBytes(length);
        var result = new SharedContent(Tree.Deserialize(bytes) ?? []) { Stored = bytes };
        ReferenceCodec.RecordObject(reader.Session, result);
        return result;
    }
}

/// <summary>A <see cref="SharedContent"/> is never changed once made: a copy is the same instance.</summary>
[RegisterCopier]
internal sealed class SharedContentCopier : IDeepCopier<SharedContent>
{
    public SharedContent? DeepCopy(SharedContent? input, CopyContext context) => input;
}
