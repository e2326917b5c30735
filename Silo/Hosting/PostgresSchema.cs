using System.Reflection;
using Npgsql;

namespace VirtualIoT.Silo.Hosting;

/// <summary>
/// Applies <c>Sql/PostgreSql-Orleans.sql</c> (tables, functions and the <c>OrleansQuery</c> rows Orleans' ADO.NET
/// clustering, persistence and reminders read). The script is idempotent; it runs in one transaction under an
/// advisory lock so that silos starting together do not race on <c>CREATE TABLE IF NOT EXISTS</c>.
/// </summary>
internal static class PostgresSchema
{
    /// <summary>Advisory lock key ("VIoT" in ASCII): any constant shared by every silo would do.</summary>
    private const long LockKey = 0x56496F54;

    private const string ResourceName = "VirtualIoT.Silo.Hosting.Sql.PostgreSql-Orleans.sql";

    /// <summary>The schema script as shipped in this assembly.</summary>
    public static string Script { get; } = ReadScript();

    public static async Task ApplyAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var lockCommand = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({LockKey})", connection, transaction))
        {
            await lockCommand.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var command = new NpgsqlCommand(Script, connection, transaction))
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    private static string ReadScript()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"embedded resource {ResourceName} is missing from the build");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
