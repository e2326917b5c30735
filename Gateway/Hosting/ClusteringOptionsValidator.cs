using Microsoft.Extensions.Options;
using Npgsql;

namespace VirtualIoT.Gateway.Hosting;

/// <summary>Cross-field rules of <see cref="ClusteringOptions"/>: a known provider and the connection string it needs.</summary>
internal sealed class ClusteringOptionsValidator : IValidateOptions<ClusteringOptions>
{
    public ValidateOptionsResult Validate(string? name, ClusteringOptions options) =>
        options.Provider?.ToLowerInvariant() switch
        {
            BackendNames.Localhost => ValidateOptionsResult.Success,
            BackendNames.Postgres => PostgresConnectionString.Check(options.ConnectionString, $"{ClusteringOptions.SectionName}:ConnectionString"),
            _ => ValidateOptionsResult.Fail(
                $"{ClusteringOptions.SectionName}:Provider '{options.Provider}' is not one of {BackendNames.Localhost}, {BackendNames.Postgres}."),
        };
}

/// <summary>Syntax check of an Npgsql connection string, so a typo stops the start naming the key instead of failing later inside Orleans.</summary>
internal static class PostgresConnectionString
{
    public static ValidateOptionsResult Check(string? value, string key)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return ValidateOptionsResult.Fail($"{key} is required: an Npgsql connection string such as 'Host=127.0.0.1;Port=5432;Username=postgres;Database=virtualiot'.");
        }

        try
        {
            var builder = new NpgsqlConnectionStringBuilder(value);
            return string.IsNullOrEmpty(builder.Host)
                ? ValidateOptionsResult.Fail($"{key} names no Host.")
                : ValidateOptionsResult.Success;
        }
        catch (ArgumentException ex)
        {
            return ValidateOptionsResult.Fail($"{key} is not an Npgsql connection string: {ex.Message}");
        }
    }
}
