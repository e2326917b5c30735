namespace VirtualIoT.Tests.Grains;

/// <summary>Builds requests and reads responses for tests that call the grains directly.</summary>
internal static class GrainRequests
{
    public const string Admin = "CAdmin";

    public static ResourceRequest Request(Operation operation, string originator = Admin, string? subTarget = null,
        ResourceType? type = null, string? root = null, Dictionary<string, object?>? content = null, FilterCriteria? filter = null,
        ResultContent? rcn = null) => new()
        {
            Operation = operation,
            Originator = originator,
            RequestIdentifier = Guid.NewGuid().ToString("N"),
            ReleaseVersion = "3",
            ResourceType = type,
            ContentRoot = root,
            Content = content,
            SubTarget = subTarget,
            Filter = filter,
            ResultContent = rcn,
        };

    public static ResourceRequest RegisterAe(string aeId, string name) => Request(Operation.Create, aeId, type: ResourceType.AE, root: "m2m:ae",
        content: new() { ["rn"] = name, ["api"] = "Ntest", ["rr"] = false, ["srv"] = new List<object?> { "3" } });

    public static Dictionary<string, object?> Attributes(ResourceResponse response, string root) =>
        (Dictionary<string, object?>)((Dictionary<string, object?>)response.Content!)[root]!;

    public static List<object?> UriList(ResourceResponse response) =>
        (List<object?>)((Dictionary<string, object?>)response.Content!)["m2m:uril"]!;

    public static string NewId(string prefix) => prefix + Guid.NewGuid().ToString("N")[..12];
}
