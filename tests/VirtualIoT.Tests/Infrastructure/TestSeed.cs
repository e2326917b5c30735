using System.Globalization;
using CsCheck;
using Xunit.Abstractions;

namespace VirtualIoT.Tests.Infrastructure;

/// <summary>
/// Seeds of the randomized tests. Each test has its own fixed default, so every run draws the same cases and a
/// failure is reproducible; setting <c>VIRTUALIOT_TEST_SEED</c> replaces every default (to explore other cases, or to
/// replay the seed a failure printed). The seed in use goes to the test output and into every failure message.
/// </summary>
internal static class TestSeed
{
    /// <summary>The environment variable that overrides every test's default seed.</summary>
    public const string Variable = "VIRTUALIOT_TEST_SEED";

    /// <summary>The seed to use: <see cref="Variable"/> when set, else <paramref name="fallback"/>; logged.</summary>
    public static int Resolve(int fallback, ITestOutputHelper output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var text = Environment.GetEnvironmentVariable(Variable);
        var seed = string.IsNullOrWhiteSpace(text) ? fallback : int.Parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture);
        output.WriteLine($"seed {seed} (replay with {Variable}={seed})");
        return seed;
    }

    /// <summary>The words a failure message starts with, so the report says how to replay it.</summary>
    public static string Replay(int seed) => $"[{Variable}={seed}] ";

    /// <summary><paramref name="count"/> cases drawn from <paramref name="gen"/>, the same ones for the same seed.</summary>
    public static IReadOnlyList<T> Cases<T>(Gen<T> gen, int count, int seed)
    {
        ArgumentNullException.ThrowIfNull(gen);
        var pcg = new PCG(1, unchecked((ulong)seed));
        var cases = new T[count];
        for (var i = 0; i < count; i++)
        {
            cases[i] = gen.Generate(pcg, null, out _);
        }

        return cases;
    }
}
