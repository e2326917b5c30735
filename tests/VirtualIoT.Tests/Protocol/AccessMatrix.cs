using System.Text;
using VirtualIoT.Tests.Infrastructure;

namespace VirtualIoT.Tests.Protocol;

/// <summary>How a matrix cell's request travels: HTTP or MQTT. Returns the oneM2M status the CSE answered.</summary>
/// <param name="Send">(op, CSE-relative target without leading slash, originator, ty, body) → rsc.</param>
internal sealed record AccessBinding(Func<int, string, string, int?, string?, Task<int>> Send);

/// <summary>
/// The access control matrix of issue #5: originators × operations × policies, with the status each cell must get.
/// Each cell acts on a fresh container (with one instance) under the owner's AE, created by CAdmin with
/// <c>acpi</c> naming the row's policy (none for the default rule). The same rows run over HTTP
/// (<see cref="AccessMatrixTests"/>) and MQTT (<c>MqttAccessMatrixTests</c>).
/// </summary>
internal static class AccessMatrix
{
    public const int Denied = 4103;

    /// <summary>Who asks: the AE owning the container, an AE the policies name, another registered AE, an unregistered AE-ID, CAdmin.</summary>
    public static readonly string[] Originators = ["owner", "grantee", "stranger", "unregistered", "admin"];

    /// <summary>What is asked, and the status when allowed.</summary>
    public static readonly (string Name, int Allowed)[] Operations =
    [
        ("retrieve", 2000), ("update", 2004), ("delete", 2002), ("createCin", 2001), ("latest", 2000), ("subscribe", 2001),
    ];

    /// <summary>
    /// Rows: policy name, its <c>pv</c> (<c>{grantee}</c> stands for the grantee's AE-ID; null = no acpi), and per
    /// originator (in <see cref="Originators"/> order) the operations allowed, as a string of initials
    /// (r retrieve, u update, d delete, c createCin, l latest, s subscribe).
    /// </summary>
    public static readonly (string Policy, string? Privileges, string[] Allowed)[] Rows =
    [
        ("no acpi (owner rule)", null,
            ["rudcls", "", "", "", "rudcls"]),
        ("grantee: RETRIEVE", """{"acr":[{"acor":["{grantee}"],"acop":2}]}""",
            ["", "rl", "", "", "rudcls"]),
        ("grantee: CREATE (subscribing needs RETRIEVE too)", """{"acr":[{"acor":["{grantee}"],"acop":1}]}""",
            ["", "c", "", "", "rudcls"]),
        ("grantee: CREATE and RETRIEVE in two rules", """{"acr":[{"acor":["{grantee}"],"acop":1},{"acor":["{grantee}"],"acop":2}]}""",
            ["", "rcls", "", "", "rudcls"]),
        ("all: every operation", """{"acr":[{"acor":["all"],"acop":63}]}""",
            ["rudcls", "rudcls", "rudcls", "rudcls", "rudcls"]),
        ("Cgrant*: CREATE+RETRIEVE", """{"acr":[{"acor":["Cgrant*"],"acop":3}]}""",
            ["", "rcls", "", "", "rudcls"]),
        ("grantee: all, in year 2000 only", """{"acr":[{"acor":["{grantee}"],"acop":63,"acco":[{"actw":["* * * * * * 2000"]}]}]}""",
            ["", "", "", "", "rudcls"]),
        ("/id-in/grantee: all, any time; owner: UPDATE+DELETE", """{"acr":[{"acor":["/id-in/{grantee}"],"acop":63,"acco":[{"actw":["* * * * * * *"]}]},{"acor":["{owner}"],"acop":12}]}""",
            ["ud", "rudcls", "", "", "rudcls"]),
    ];

    public static TheoryData<string> Policies()
    {
        var data = new TheoryData<string>();
        foreach (var row in Rows)
        {
            data.Add(row.Policy);
        }

        return data;
    }

    /// <summary>Runs every cell of row <paramref name="policy"/>; fails listing every cell that got another status.</summary>
    public static async Task Run(string policy, OneM2MClient setup, AccessBinding binding, IReadOnlyDictionary<string, string> ids)
    {
        var row = Rows.Single(r => r.Policy == policy);
        string? acpId = null;
        if (row.Privileges is { } privileges)
        {
            var pv = privileges.Replace("{grantee}", ids["grantee"], StringComparison.Ordinal).Replace("{owner}", ids["owner"], StringComparison.Ordinal);
            var acp = await setup.Create("/cse-in", OneM2MClient.Admin, 1,
                $$$$"""{"m2m:acp":{"pv":{{{{pv}}}},"pvs":{"acr":[{"acor":["{{{{OneM2MClient.Admin}}}}"],"acop":63}]}}}""");
            Assert.True(acp.Rsc == 2001, $"creating the policy answered {acp.Rsc}: {acp.Body}");
            acpId = acp.Resource("m2m:acp")["ri"]!.GetValue<string>();
        }

        var failures = new StringBuilder();
        for (var o = 0; o < Originators.Length; o++)
        {
            var originator = ids[Originators[o]];
            foreach (var (operation, allowed) in Operations)
            {
                var expected = row.Allowed[o].Contains(Initial(operation), StringComparison.Ordinal) ? allowed : Denied;
                var name = OneM2MClient.NewName("m");
                var extra = acpId is null ? "" : $$$""","acpi":["{{{acpId}}}"]""";
                var created = await setup.Create("/cse-in/" + ids["owner"], OneM2MClient.Admin, 3, $$$"""{"m2m:cnt":{"rn":"{{{name}}}"{{{extra}}}}}""");
                Assert.True(created.Rsc == 2001, $"creating the container answered {created.Rsc}: {created.Body}");
                var path = $"cse-in/{ids["owner"]}/{name}";
                await setup.CreateInstance("/" + path, OneM2MClient.Admin);

                var rsc = await Act(binding, operation, path, originator);

                if (rsc != expected)
                {
                    failures.AppendLine(FormattableString.Invariant($"  {Originators[o]} {operation}: expected {expected}, got {rsc}"));
                }
            }
        }

        Assert.True(failures.Length == 0, $"policy '{policy}':\n{failures}");
    }

    private static string Initial(string operation) => operation switch
    {
        "createCin" => "c",
        "latest" => "l",
        _ => operation[..1],
    };

    private static Task<int> Act(AccessBinding binding, string operation, string path, string originator) => operation switch
    {
        "retrieve" => binding.Send(2, path, originator, null, null),
        "update" => binding.Send(3, path, originator, null, """{"m2m:cnt":{"lbl":["touched"]}}"""),
        "delete" => binding.Send(4, path, originator, null, null),
        "createCin" => binding.Send(1, path, originator, 4, """{"m2m:cin":{"con":"x"}}"""),
        "latest" => binding.Send(2, path + "/la", originator, null, null),
        "subscribe" => binding.Send(1, path, originator, 23, $$$$"""{"m2m:sub":{"nu":["{{{{originator}}}}"],"enc":{"net":[4]}}}"""),
        _ => throw new ArgumentOutOfRangeException(nameof(operation)),
    };

    /// <summary>Registers owner, grantee (<c>Cgrant…</c>) and stranger, and names an unregistered AE-ID.</summary>
    public static async Task<Dictionary<string, string>> RegisterOriginators(OneM2MClient setup)
    {
        var ids = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["owner"] = await setup.RegisterAe(),
            ["grantee"] = await setup.RegisterAe(OneM2MClient.NewName("Cgrant")),
            ["stranger"] = await setup.RegisterAe(),
            ["unregistered"] = OneM2MClient.NewName("Cnobody"),
            ["admin"] = OneM2MClient.Admin,
        };
        return ids;
    }
}

/// <summary>The access control matrix over HTTP.</summary>
[Collection(CseCollection.Name)]
public sealed class AccessMatrixTests(CseFixture fixture)
{
    [Theory]
    [MemberData(nameof(Policies))]
    public async Task Every_originator_and_operation_gets_the_status_the_policy_gives(string policy)
    {
        var client = fixture.Client;
        var ids = await AccessMatrix.RegisterOriginators(client);
        var binding = new AccessBinding(async (op, to, originator, ty, body) =>
        {
            var method = op switch { 1 => HttpMethod.Post, 2 => HttpMethod.Get, 3 => HttpMethod.Put, _ => HttpMethod.Delete };
            var response = await client.Send(method, "/" + to, originator, body, ty is { } t ? $"application/json;ty={t}" : "application/json");
            return response.Rsc;
        });

        await AccessMatrix.Run(policy, client, binding, ids);
    }

    public static TheoryData<string> Policies() => AccessMatrix.Policies();
}
