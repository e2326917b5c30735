using System.Diagnostics;
using Npgsql;
using VirtualIoT.Tests.Infrastructure;

namespace VirtualIoT.Tests.Backends;

/// <summary>
/// A real server for back-end tests: the one whose connection string is in the environment variable (test.sh
/// starts them), or else one started here through the same script and stopped in <see cref="DisposeAsync"/>, so a
/// bare <c>dotnet test</c> works too. Never skipped: a server that cannot start fails the tests.
/// </summary>
public abstract class BackendServer : IAsyncLifetime
{
    private readonly string _script;
    private readonly string _variable;
    private readonly string _stateVariable;
    private string? _ownState;

    protected BackendServer(string script, string variable, string stateVariable)
    {
        _script = script;
        _variable = variable;
        _stateVariable = stateVariable;
    }

    /// <summary>Connection string of the running server.</summary>
    public string ConnectionString { get; private set; } = "";

    public virtual async Task InitializeAsync()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable(_variable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            ConnectionString = fromEnvironment;
            return;
        }

        _ownState = Path.Combine(Path.GetTempPath(), $"virtualiot-test-{_script}-{Environment.ProcessId}-{Guid.NewGuid():N}");
        ConnectionString = await RunScript("start");
    }

    public virtual async Task DisposeAsync()
    {
        if (_ownState is not null)
        {
            await RunScript("stop");
        }
    }

    private async Task<string> RunScript(string verb)
    {
        var script = Path.Combine(RepositoryPaths.Root, "scripts", _script + ".sh");
        var start = new ProcessStartInfo("bash", [script, verb])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment[_stateVariable] = _ownState;
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot run {script}");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"{_variable} is not set and '{script} {verb}' failed ({process.ExitCode}): {await error}");
        }

        return (await output).Trim();
    }
}

/// <summary>A PostgreSQL server (<c>VIRTUALIOT_TEST_POSTGRES</c> or <c>scripts/pg.sh</c>).</summary>
public sealed class PostgresServer() : BackendServer("pg", "VIRTUALIOT_TEST_POSTGRES", "VIRTUALIOT_PG_STATE")
{
    /// <summary>Creates an empty database and returns its connection string: every test run starts from nothing.</summary>
    public async Task<string> CreateDatabase()
    {
        var name = "vt_" + Guid.NewGuid().ToString("N");
        await using (var connection = new NpgsqlConnection(ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await command.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(ConnectionString) { Database = name }.ConnectionString;
    }
}

/// <summary>An Azurite table service (<c>VIRTUALIOT_TEST_AZURITE</c> or <c>scripts/azurite.sh</c>).</summary>
public sealed class AzuriteServer() : BackendServer("azurite", "VIRTUALIOT_TEST_AZURITE", "VIRTUALIOT_AZURITE_STATE");

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "postgres";
}

[CollectionDefinition(Name)]
public sealed class AzuriteCollection : ICollectionFixture<AzuriteServer>
{
    public const string Name = "azurite";
}
