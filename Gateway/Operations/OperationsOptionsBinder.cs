using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace VirtualIoT.Gateway.Operations;

/// <summary>
/// Binds an operations options section for its consumers (validated again at start) and validates it at once:
/// what is registered depends on the values, so a bad one must stop the build, naming the key.
/// </summary>
public static class OperationsOptionsBinder
{
    /// <summary>Binds <paramref name="section"/> to <typeparamref name="T"/>, registers the validators and returns the validated value.</summary>
    public static T Bind<T>(WebApplicationBuilder builder, string section, params IValidateOptions<T>[] validators)
        where T : class, new()
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(validators);
        builder.Services.AddOptions<T>().Bind(builder.Configuration.GetSection(section)).ValidateOnStart();
        foreach (var validator in validators)
        {
            builder.Services.AddSingleton(validator);
        }

        var value = builder.Configuration.GetSection(section).Get<T>() ?? new T();
        var failures = new List<string>();
        foreach (var validator in validators)
        {
            if (validator.Validate(Options.DefaultName, value) is { Failed: true } result)
            {
                // The generated validators name the member; prefix the section so the message names the key.
                failures.AddRange(result.Failures.Select(f => f.StartsWith(section + ":", StringComparison.Ordinal) ? f : $"{section}: {f}"));
            }
        }

        return failures.Count > 0 ? throw new OptionsValidationException(section, typeof(T), failures) : value;
    }
}
