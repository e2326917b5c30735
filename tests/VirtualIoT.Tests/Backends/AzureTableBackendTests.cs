namespace VirtualIoT.Tests.Backends;

/// <summary>Azure Table grain storage on a real Azurite, in a fresh table per test.</summary>
[Collection(AzuriteCollection.Name)]
[Trait("Speed", "Slow")]
public sealed class AzureTableBackendTests(AzuriteServer server)
{
    [Fact]
    public async Task Resources_written_before_a_restart_are_read_back_from_azure_tables()
    {
        var table = "vt" + Guid.NewGuid().ToString("N");

        await RestartScenario.Run(new Dictionary<string, string>
        {
            ["Storage:Provider"] = "azuretable",
            ["Storage:ConnectionString"] = server.ConnectionString,
            ["Storage:TableName"] = table,
        });
    }
}
