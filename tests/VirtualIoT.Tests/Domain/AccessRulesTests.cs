using System.Net;
using VirtualIoT.Grains.Domain.Access;

namespace VirtualIoT.Tests.Domain;

/// <summary>Evaluation of compiled access control rules: schedule entries, wildcards, ID forms, IP ranges.</summary>
public sealed class AccessRulesTests
{
    private static readonly OriginatorForms s_cse = new("/id-in", "//example.com");
    private static readonly DateTime s_mondayNoon = new(2026, 11, 23, 12, 30, 15, DateTimeKind.Utc);

    [Theory]
    [InlineData("* * * * * * *", true)]
    [InlineData("* * 8-17 * * 1-5 *", true)]
    [InlineData("* * 8-17 * * 6,0 *", false)]
    [InlineData("* */15 * * * * *", true)]
    [InlineData("* */7 * * * * *", false)]
    [InlineData("15 30 12 23 11 1 2026", true)]
    [InlineData("* * * * * * 2025", false)]
    [InlineData("* * * * 12 * *", false)]
    public void A_schedule_entry_matches_the_times_it_names(string entry, bool contains)
    {
        var window = TimeWindow.Parse(entry, out var error);

        Assert.True(window is not null, error);
        Assert.Equal(contains, window.Contains(s_mondayNoon));
    }

    [Theory]
    [InlineData("* * * * * *")]
    [InlineData("* * 24 * * * *")]
    [InlineData("* * 5-3 * * * *")]
    [InlineData("* * */0 * * * *")]
    [InlineData("a * * * * * *")]
    [InlineData("* * * 0 * * *")]
    public void A_malformed_schedule_entry_is_refused(string entry)
    {
        Assert.Null(TimeWindow.Parse(entry, out var error));
        Assert.NotEmpty(error);
    }

    [Theory]
    [InlineData("Cgrant*", "Cgrant42", true)]
    [InlineData("Cgrant*", "Cother", false)]
    [InlineData("*sensor", "Ckitchen-sensor", true)]
    [InlineData("C*-*", "Ca-b", true)]
    [InlineData("/id-in/Cdevice", "Cdevice", true)]
    [InlineData("//example.com/id-in/Cdevice", "Cdevice", true)]
    [InlineData("/id-mn", "/id-mn", true)]
    [InlineData("all", "anyone", true)]
    [InlineData("Cdevice", "Cdevice2", false)]
    public void An_originator_matches_acor_entries_as_written(string acor, string originator, bool allowed)
    {
        var rules = Compile($$$"""[{"acor":["{{{acor}}}"],"acop":2}]""");

        Assert.Equal(allowed, rules.Allows(new AccessRequest(originator, AccessOperation.Retrieve, s_mondayNoon, null)));
    }

    [Theory]
    [InlineData(2, true)]
    [InlineData(32, true)]
    [InlineData(4, false)]
    [InlineData(1, false)]
    public void Only_the_operations_in_acop_are_granted(int operation, bool allowed)
    {
        var rules = Compile("""[{"acor":["all"],"acop":34}]""");

        Assert.Equal(allowed, rules.Allows(new AccessRequest("Cx", (AccessOperation)operation, s_mondayNoon, null)));
    }

    [Theory]
    [InlineData("192.168.1.7", true)]
    [InlineData("::ffff:192.168.1.7", true)]
    [InlineData("192.168.2.7", false)]
    [InlineData("fd00::5", true)]
    [InlineData(null, false)]
    public void An_IP_condition_admits_addresses_in_its_ranges(string? address, bool allowed)
    {
        var rules = Compile("""[{"acor":["all"],"acop":2,"acco":[{"acip":{"ipv4":["192.168.1.0/24"],"ipv6":["fd00::/8"]}}]}]""");

        var request = new AccessRequest("Cx", AccessOperation.Retrieve, s_mondayNoon, address is null ? null : IPAddress.Parse(address));

        Assert.Equal(allowed, rules.Allows(request));
    }

    [Fact]
    public void Any_one_context_suffices_but_all_conditions_in_it_must_hold()
    {
        var rules = Compile("""[{"acor":["all"],"acop":2,"acco":[{"actw":["* * * * * * 2000"]},{"actw":["* * 12 * * * *"],"acip":{"ipv4":["10.0.0.0/8"]}}]}]""");

        Assert.True(rules.Allows(new AccessRequest("Cx", AccessOperation.Retrieve, s_mondayNoon, IPAddress.Parse("10.1.2.3"))));
        Assert.False(rules.Allows(new AccessRequest("Cx", AccessOperation.Retrieve, s_mondayNoon, IPAddress.Parse("11.1.2.3"))));
        Assert.False(rules.Allows(new AccessRequest("Cx", AccessOperation.Retrieve, s_mondayNoon.AddHours(2), IPAddress.Parse("10.1.2.3"))));
    }

    private static AccessRules Compile(string acr)
    {
        var content = VirtualIoT.Gateway.Json.ContentParser.Parse(System.Text.Encoding.UTF8.GetBytes($$$$"""{"m2m:acp":{"pv":{"acr":{{{{acr}}}}}}}"""));
        var pv = content.Value.Content["pv"];
        var rules = AccessRules.Parse(pv, "pv", false, s_cse, out var error);
        Assert.True(rules is not null, error?.Message);
        return rules;
    }
}
