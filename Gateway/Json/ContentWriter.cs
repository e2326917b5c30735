using System.Buffers;
using System.Collections;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace VirtualIoT.Gateway.Json;

/// <summary>
/// Writes a response's neutral value tree (<see cref="ResourceResponse.Content"/>) as JSON with
/// <see cref="Utf8JsonWriter"/>: no reflection serializer, no intermediate strings.
/// </summary>
public static class ContentWriter
{
    /// <summary>
    /// Writer options for oneM2M bodies. Relaxed escaping: bodies are served as <c>application/json</c>, never embedded
    /// in HTML, and the default encoder would turn media types such as <c>application/vnd.x+json</c> into <c>\u002B</c>.
    /// </summary>
    public static JsonWriterOptions WriterOptions { get; } = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
    };

    // A shared part's JSON: its own writer and buffer, since it is made while the caller's writer is in use.
    private static readonly Func<Dictionary<string, object?>, byte[]> s_encodeShared = static tree =>
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            WriteValue(writer, tree);
        }

        return buffer.WrittenSpan.ToArray();
    };

    /// <summary>
    /// Writes <paramref name="value"/>: null, bool, string, integral and floating-point numbers, dictionaries with
    /// string keys, and lists/arrays of these; a <see cref="SharedContent"/> as its tree, from the bytes made for it once. Any other type is a bug in a grain and throws.
    /// </summary>
    public static void WriteValue(Utf8JsonWriter writer, object? value)
    {
        ArgumentNullException.ThrowIfNull(writer);
        switch (value)
        {
            case null:
                writer.WriteNullValue();
                break;
            case string text:
                writer.WriteStringValue(text);
                break;
            case long number:
                writer.WriteNumberValue(number);
                break;
            case int number:
                writer.WriteNumberValue(number);
                break;
            case bool flag:
                writer.WriteBooleanValue(flag);
                break;
            case double real:
                writer.WriteNumberValue(real);
                break;
            case Dictionary<string, object?> dictionary:
                writer.WriteStartObject();
                foreach (var (key, item) in dictionary)
                {
                    writer.WritePropertyName(key);
                    WriteValue(writer, item);
                }

                writer.WriteEndObject();
                break;
            case List<object?> list:
                writer.WriteStartArray();
                foreach (var item in list)
                {
                    WriteValue(writer, item);
                }

                writer.WriteEndArray();
                break;
            case SharedContent shared:
                // Written once per shared part, then copied into every body that carries it.
                writer.WriteRawValue(shared.Encoded((int)Serialization.ContentSerialization.Json, s_encodeShared), skipInputValidation: true);
                break;
            case List<string> strings:
                writer.WriteStartArray();
                foreach (var item in strings)
                {
                    writer.WriteStringValue(item);
                }

                writer.WriteEndArray();
                break;
            case short or byte or sbyte or ushort or uint:
                writer.WriteNumberValue(Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture));
                break;
            case ulong number:
                writer.WriteNumberValue(number);
                break;
            case float real:
                writer.WriteNumberValue(real);
                break;
            case decimal real:
                writer.WriteNumberValue(real);
                break;
            case IEnumerable<KeyValuePair<string, object?>> pairs:
                writer.WriteStartObject();
                foreach (var (key, item) in pairs)
                {
                    writer.WritePropertyName(key);
                    WriteValue(writer, item);
                }

                writer.WriteEndObject();
                break;
            case IDictionary map:
                writer.WriteStartObject();
                foreach (DictionaryEntry entry in map)
                {
                    writer.WritePropertyName(entry.Key as string
                        ?? throw new InvalidOperationException($"A content dictionary key of type {entry.Key.GetType()} is not a string."));
                    WriteValue(writer, entry.Value);
                }

                writer.WriteEndObject();
                break;
            case IEnumerable items:
                writer.WriteStartArray();
                foreach (var item in items)
                {
                    WriteValue(writer, item);
                }

                writer.WriteEndArray();
                break;
            default:
                throw new InvalidOperationException($"Response content of type {value.GetType()} cannot be written as JSON.");
        }
    }
}
