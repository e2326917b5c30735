using VirtualIoT.Tests.Infrastructure;
using VirtualIoT.Tests.Protocol;

namespace VirtualIoT.Tests.Backends;

// The black-box protocol suite on the durable back-ends: the classes below inherit every test of the memory-storage
// classes in Protocol/ and run them against a platform on PostgreSQL or Azure Table (Azurite) storage, each on a
// real server. A representative part of the suite (AE registration, container CRUD, contentInstance semantics,
// discovery, expiration: what reads and writes state) keeps the run short; request parsing, result content,
// access control and subscriptions do not depend on the storage.

/// <summary>The platform on PostgreSQL grain storage, in a fresh database.</summary>
public sealed class PostgresCseFixture : CseFixture
{
    private readonly PostgresServer _server = new();

    protected override async Task<IReadOnlyDictionary<string, string>> BackendSettings()
    {
        await _server.InitializeAsync();
        return new Dictionary<string, string>
        {
            ["Storage:Provider"] = "postgres",
            ["Storage:ConnectionString"] = await _server.CreateDatabase(),
        };
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await _server.DisposeAsync();
    }
}

/// <summary>The platform on Azure Table grain storage (Azurite), in a fresh table.</summary>
public sealed class AzuriteCseFixture : CseFixture
{
    private readonly AzuriteServer _server = new();

    protected override async Task<IReadOnlyDictionary<string, string>> BackendSettings()
    {
        await _server.InitializeAsync();
        return new Dictionary<string, string>
        {
            ["Storage:Provider"] = "azuretable",
            ["Storage:ConnectionString"] = _server.ConnectionString,
            ["Storage:TableName"] = "vtprotocol" + Guid.NewGuid().ToString("N"),
        };
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await _server.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class PostgresCseCollection : ICollectionFixture<PostgresCseFixture>
{
    public const string Name = "cse-postgres";
}

[CollectionDefinition(Name)]
public sealed class AzuriteCseCollection : ICollectionFixture<AzuriteCseFixture>
{
    public const string Name = "cse-azurite";
}

[Collection(PostgresCseCollection.Name)]
[Trait("Speed", "Slow")]
public sealed class PostgresAeRegistrationTests(PostgresCseFixture fixture) : AeRegistrationTests(fixture);

[Collection(PostgresCseCollection.Name)]
[Trait("Speed", "Slow")]
public sealed class PostgresContainerCrudTests(PostgresCseFixture fixture) : ContainerCrudTests(fixture);

[Collection(PostgresCseCollection.Name)]
[Trait("Speed", "Slow")]
public sealed class PostgresContentInstanceTests(PostgresCseFixture fixture) : ContentInstanceTests(fixture);

[Collection(PostgresCseCollection.Name)]
[Trait("Speed", "Slow")]
public sealed class PostgresDiscoveryTests(PostgresCseFixture fixture) : DiscoveryTests(fixture);

[Collection(PostgresCseCollection.Name)]
[Trait("Speed", "Slow")]
public sealed class PostgresExpirationTests(PostgresCseFixture fixture) : ExpirationTests(fixture);

[Collection(AzuriteCseCollection.Name)]
[Trait("Speed", "Slow")]
public sealed class AzuriteAeRegistrationTests(AzuriteCseFixture fixture) : AeRegistrationTests(fixture);

[Collection(AzuriteCseCollection.Name)]
[Trait("Speed", "Slow")]
public sealed class AzuriteContainerCrudTests(AzuriteCseFixture fixture) : ContainerCrudTests(fixture);

[Collection(AzuriteCseCollection.Name)]
[Trait("Speed", "Slow")]
public sealed class AzuriteContentInstanceTests(AzuriteCseFixture fixture) : ContentInstanceTests(fixture);

[Collection(AzuriteCseCollection.Name)]
[Trait("Speed", "Slow")]
public sealed class AzuriteDiscoveryTests(AzuriteCseFixture fixture) : DiscoveryTests(fixture);

[Collection(AzuriteCseCollection.Name)]
[Trait("Speed", "Slow")]
public sealed class AzuriteExpirationTests(AzuriteCseFixture fixture) : ExpirationTests(fixture);
