using VirtualIoT.Gateway.Addressing;
using VirtualIoT.Tests.Infrastructure;
using Xunit.Abstractions;

namespace VirtualIoT.Tests.Gateway;

public sealed class AddressParserTests(ITestOutputHelper output)
{
    private static readonly CseIdentity s_cse = new(new CseOptions());

    [Theory]
    // CSE-relative structured, with the '-' alias and the CSEBase itself.
    [InlineData("/cse-in", "id-in", "", "cse-in")]
    [InlineData("/cse-in/app/temp", "id-in", "app/temp", "cse-in/app/temp")]
    [InlineData("/-/app/temp", "id-in", "app/temp", "-/app/temp")]
    [InlineData("/-", "id-in", "", "-")]
    [InlineData("/", "id-in", "", "")]
    // CSE-relative unstructured and hybrid.
    [InlineData("/id-in", "id-in", "", "id-in")]
    [InlineData("/cnt7Fk2", "cnt7Fk2", "", "cnt7Fk2")]
    [InlineData("/cnt7Fk2/la", "cnt7Fk2", "la", "cnt7Fk2/la")]
    [InlineData("/Cmyapp/temp", "Cmyapp", "temp", "Cmyapp/temp")]
    // SP-relative.
    [InlineData("/~/id-in/cse-in/app", "id-in", "app", "cse-in/app")]
    [InlineData("/~/id-in/cnt7Fk2", "cnt7Fk2", "", "cnt7Fk2")]
    [InlineData("/~/id-in/cnt7Fk2/ol", "cnt7Fk2", "ol", "cnt7Fk2/ol")]
    // Absolute.
    [InlineData("/_/virtualiot.example.com/id-in/cse-in/app/temp", "id-in", "app/temp", "cse-in/app/temp")]
    [InlineData("/_/VirtualIoT.Example.com/id-in/cnt7Fk2", "cnt7Fk2", "", "cnt7Fk2")]
    public void Address_reduces_to_a_base_ID_and_a_relative_path(string path, string baseId, string relative, string cseRelative)
    {
        var result = AddressParser.Parse(path, s_cse);

        Assert.True(result.IsSuccess, result.ToString());
        Assert.Equal(baseId, result.Value.BaseId);
        Assert.Equal(relative, result.Value.RelativePath.ToString());
        Assert.Equal(cseRelative, result.Value.CseRelative.ToString());
        Assert.Equal(relative.Length == 0, result.Value.IsUnstructured);
    }

    [Theory]
    [InlineData("/~/id-other/cse-in", "/id-other", "/id-other/cse-in")]
    [InlineData("/~/ID-IN/cse-in", "/ID-IN", "/ID-IN/cse-in")]
    [InlineData("/_/virtualiot.example.com/id-other/cse-in/app", "/id-other", "/id-other/cse-in/app")]
    public void Address_of_another_CSE_of_this_service_provider_is_remote(string path, string cseId, string target)
    {
        var result = AddressParser.Parse(path, s_cse);

        Assert.True(result.IsSuccess, result.ToString());
        Assert.True(result.Value.IsRemote);
        Assert.Equal(cseId, result.Value.BaseId);
        Assert.Equal(target, result.Value.RemoteTarget);
    }

    [Fact]
    public void Address_of_another_service_provider_is_4004()
    {
        var result = AddressParser.Parse("/_/other.example.com/id-in/cse-in", s_cse);

        Assert.False(result.IsSuccess, result.ToString());
        Assert.Equal(ResponseStatusCode.NotFound, result.Error.Code);
    }

    [Fact]
    public void Another_CSE_ID_without_a_resource_part_is_4000()
    {
        var result = AddressParser.Parse("/~/id-other", s_cse);

        Assert.False(result.IsSuccess, result.ToString());
        Assert.Equal(ResponseStatusCode.BadRequest, result.Error.Code);
    }

    [Theory]
    [InlineData("/cse-in/")]
    [InlineData("/cse-in/app/temp/")]
    [InlineData("/cnt7Fk2/")]
    [InlineData("/~/id-in")]
    [InlineData("/~/id-in/")]
    [InlineData("/~/id-in/cse-in/")]
    [InlineData("/_/virtualiot.example.com/id-in")]
    [InlineData("/_/virtualiot.example.com/id-in/")]
    [InlineData("/_/virtualiot.example.com")]
    [InlineData("/cse-in//app")]
    [InlineData("/cse-in/app//")]
    [InlineData("//cse-in")]
    public void Malformed_address_is_4000(string path)
    {
        var result = AddressParser.Parse(path, s_cse);

        Assert.False(result.IsSuccess, result.ToString());
        Assert.Equal(ResponseStatusCode.BadRequest, result.Error.Code);
    }

    [Theory]
    [InlineData("/id-in")]
    [InlineData("//virtualiot.example.com/id-in")]
    [InlineData("cse-in/")]
    [InlineData("/id-in/cse-in/app/")]
    public void Malformed_to_is_4000(string to)
    {
        var result = AddressParser.ParseTo(to, s_cse);

        Assert.Equal(ResponseStatusCode.BadRequest, result.Error?.Code);
    }

    [Fact]
    public void Resource_names_are_case_sensitive()
    {
        var result = AddressParser.Parse("/CSE-IN/app", s_cse);

        Assert.True(result.IsSuccess);
        Assert.Equal("CSE-IN", result.Value.BaseId);
        Assert.Equal("app", result.Value.RelativePath.ToString());
    }

    [Fact]
    public void Configured_identity_is_used()
    {
        var cse = new CseIdentity(new CseOptions { CseId = "/mn-cse", CseBaseName = "mybase", SpId = "//sp.example.org" });

        var structured = AddressParser.Parse("/_/sp.example.org/mn-cse/mybase/app", cse);
        var oldDefault = AddressParser.Parse("/~/id-in/cse-in", cse);

        Assert.True(structured.IsSuccess);
        Assert.Equal("mn-cse", structured.Value.BaseId);
        Assert.Equal("app", structured.Value.RelativePath.ToString());
        Assert.True(oldDefault.Value.IsRemote);
    }

    [Fact]
    public void Random_paths_yield_a_result_4000_or_4004_never_an_exception()
    {
        var seed = TestSeed.Resolve(4004, output);
        var random = new Random(seed);
        string[] pieces = ["/", "~", "_", "-", "cse-in", "id-in", "virtualiot.example.com", "la", "ol", "x", "", "//", "%", " "];
        for (var i = 0; i < 10_000; i++)
        {
            var path = string.Concat(Enumerable.Range(0, random.Next(0, 8)).Select(_ => pieces[random.Next(pieces.Length)]));

            var result = AddressParser.Parse(path, s_cse);

            Assert.True(result.IsSuccess || result.Error.Code is ResponseStatusCode.NotFound or ResponseStatusCode.BadRequest,
                $"{TestSeed.Replay(seed)}'{path}' gave {result}");
        }
    }
}
