using System.Text.RegularExpressions;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using VirtualIoT.Gateway.Hosting;

namespace VirtualIoT.Silo.Hosting;

/// <summary>Cross-field rules of <see cref="StorageOptions"/>: a known provider and the connection string it needs.</summary>
internal sealed partial class StorageOptionsValidator : IValidateOptions<StorageOptions>
{
    public ValidateOptionsResult Validate(string? name, StorageOptions options)
    {
        var section = StorageOptions.SectionName;
        switch (options.Provider?.ToLowerInvariant())
        {
            case BackendNames.Memory:
                return ValidateOptionsResult.Success;
            case BackendNames.Postgres:
                return PostgresConnectionString.Check(options.ConnectionString, $"{section}:ConnectionString");
            case BackendNames.AzureTable:
                var connection = AzureConnectionString.Check(options.ConnectionString, $"{section}:ConnectionString");
                if (connection.Failed)
                {
                    return connection;
                }

                return TableNamePattern().IsMatch(options.TableName ?? "")
                    ? ValidateOptionsResult.Success
                    : ValidateOptionsResult.Fail(
                        $"{section}:TableName '{options.TableName}' is not an Azure table name (3 to 63 letters or digits, starting with a letter).");
            default:
                return ValidateOptionsResult.Fail(
                    $"{section}:Provider '{options.Provider}' is not one of {BackendNames.Memory}, {BackendNames.Postgres}, {BackendNames.AzureTable}.");
        }
    }

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9]{2,62}$")]
    private static partial Regex TableNamePattern();
}

/// <summary>Syntax check of an Azure Storage connection string, so a typo stops the start naming the key.</summary>
internal static class AzureConnectionString
{
    public static ValidateOptionsResult Check(string? value, string key)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return ValidateOptionsResult.Fail($"{key} is required: an Azure Storage connection string (for Azurite, see scripts/azurite.sh).");
        }

        try
        {
            _ = new TableServiceClient(value);
            return ValidateOptionsResult.Success;
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or InvalidOperationException)
        {
            return ValidateOptionsResult.Fail($"{key} is not an Azure Storage connection string: {ex.Message}");
        }
    }
}
