using System.Globalization;
using System.Runtime.CompilerServices;

namespace VirtualIoT.Gateway.Pipeline;

/// <summary>
/// Reads a oneM2M enumeration as a binding carries it (the decimal digits of its value: <c>rcn=4</c>, <c>"op":1</c>)
/// into its enum, so that every binding and parameter accepts exactly the defined values and no code compares digits.
/// </summary>
public static class WireEnum
{
    /// <summary>
    /// True when <paramref name="text"/> is the decimal value (digits only: no sign, space or leading <c>+</c>) of a
    /// defined member of <typeparamref name="T"/>, which must be backed by <see cref="int"/>.
    /// </summary>
    public static bool TryParse<T>(ReadOnlySpan<char> text, out T value)
        where T : struct, Enum
    {
        if (Unsafe.SizeOf<T>() == sizeof(int)
            && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number)
            && Enum.IsDefined(Unsafe.As<int, T>(ref number)))
        {
            value = Unsafe.As<int, T>(ref number);
            return true;
        }

        value = default;
        return false;
    }
}
