using System.Diagnostics.CodeAnalysis;

namespace VirtualIoT.Gateway;

/// <summary>
/// The outcome of parsing one piece of a request: the value, or the oneM2M error to answer with.
/// Parsers return this rather than throwing, so malformed input never costs an exception.
/// </summary>
/// <typeparam name="T">Type of the parsed value.</typeparam>
public readonly struct ParseResult<T>
{
    private ParseResult(T? value, OneM2MError? error)
    {
        Value = value;
        Error = error;
    }

    /// <summary>The parsed value; meaningful only when <see cref="IsSuccess"/>.</summary>
    public T? Value { get; }

    /// <summary>The error, or null on success.</summary>
    public OneM2MError? Error { get; }

    /// <summary>True when parsing succeeded.</summary>
    [MemberNotNullWhen(false, nameof(Error))]
    public bool IsSuccess => Error is null;

    /// <summary>A successful result.</summary>
    public static ParseResult<T> Ok(T value) => new(value, null);

    /// <summary>A failed result.</summary>
    public static ParseResult<T> Fail(OneM2MError error) => new(default, error);

    /// <summary>A failed result with code 4000.</summary>
    public static ParseResult<T> BadRequest(string message) => new(default, OneM2MError.BadRequest(message));

    /// <summary>Wraps a value.</summary>
    public static implicit operator ParseResult<T>(T value) => Ok(value);

    /// <summary>Wraps an error.</summary>
    public static implicit operator ParseResult<T>(OneM2MError error) => Fail(error);

    /// <inheritdoc/>
    public override string ToString() => IsSuccess ? $"Ok({Value})" : $"Error({(int)Error.Code}: {Error.Message})";
}
