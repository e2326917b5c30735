using Microsoft.AspNetCore.WebUtilities;
using VirtualIoT.Gateway;
using VirtualIoT.Gateway.Http;
using VirtualIoT.Gateway.Pipeline;
using VirtualIoT.Tests.Infrastructure;
using Xunit.Abstractions;

namespace VirtualIoT.Tests.Gateway;

public sealed class QueryParserTests(ITestOutputHelper output)
{
    // Decoded as ASP.NET Core decodes a request's query: '+' becomes a space, repeated names are merged.
    private static ParseResult<RequestParameters> Parse(string query, Operation operation = Operation.Retrieve) =>
        QueryParser.Parse(QueryHelpers.ParseQuery(query), operation);

    private static RequestParameters Ok(string query, Operation operation = Operation.Retrieve)
    {
        var result = Parse(query, operation);
        Assert.True(result.IsSuccess, result.ToString());
        return result.Value!;
    }

    [Fact]
    public void Empty_query_has_no_parameters()
    {
        var parameters = Ok("");

        Assert.Null(parameters.ResultContent);
        Assert.Equal(IdentifierForm.Structured, parameters.IdentifierForm);
        Assert.Null(parameters.Filter);
        Assert.Null(parameters.AttributeList);
    }

    [Theory]
    [InlineData("rcn=0", ResultContent.Nothing)]
    [InlineData("rcn=1", ResultContent.Attributes)]
    [InlineData("rcn=4", ResultContent.AttributesAndChildResources)]
    [InlineData("rcn=9", ResultContent.ModifiedAttributes)]
    public void Result_content_is_read(string query, ResultContent rcn) =>
        Assert.Equal(rcn, Ok(query).ResultContent);

    [Theory]
    [InlineData("drt=1", IdentifierForm.Structured)]
    [InlineData("drt=2", IdentifierForm.Unstructured)]
    public void Identifier_form_is_read(string query, IdentifierForm form) =>
        Assert.Equal(form, Ok(query).IdentifierForm);

    [Theory]
    [InlineData("ty=3+4")]
    [InlineData("ty=3%204")]
    [InlineData("ty=3&ty=4")]
    [InlineData("ty=3++4")]
    public void Type_lists_split_on_plus_space_and_repetition(string query) =>
        Assert.Equal([3, 4], Ok(query).Filter!.ResourceTypes!);

    [Theory]
    [InlineData("lbl=a+b:c", new[] { "a", "b:c" })]
    [InlineData("lbl=a&lbl=b", new[] { "a", "b" })]
    [InlineData("lbl=room%3Akitchen", new[] { "room:kitchen" })]
    public void Label_lists_split_on_plus_space_and_repetition(string query, string[] labels) =>
        Assert.Equal(labels, Ok(query).Filter!.Labels!);

    [Fact]
    public void Attribute_list_is_split()
    {
        var parameters = Ok("atrl=lbl+mni&atrl=ri");

        Assert.Equal(["lbl", "mni", "ri"], parameters.AttributeList!);
        Assert.Null(parameters.Filter);
    }

    [Fact]
    public void Discovery_with_every_filter_member_is_read()
    {
        var filter = Ok("fu=1&fo=2&crb=20250101T000000&cra=20240101T000000,5&ms=20240201T000000&us=20250201T000000"
            + "&sts=5&stb=1&exb=20300101T000000&exa=20260101T000000&sza=1&szb=100&cty=text/plain&lim=10&ofst=2&lvl=3&api=Nx").Filter!;

        Assert.Equal(FilterUsage.Discovery, filter.Usage);
        Assert.True(filter.Or);
        Assert.Equal("20250101T000000,000000", filter.CreatedBefore);
        Assert.Equal("20240101T000000,500000", filter.CreatedAfter);
        Assert.NotNull(filter.ModifiedSince);
        Assert.NotNull(filter.UnmodifiedSince);
        Assert.Equal(5, filter.StateTagSmaller);
        Assert.Equal(1, filter.StateTagBigger);
        Assert.NotNull(filter.ExpireBefore);
        Assert.NotNull(filter.ExpireAfter);
        Assert.Equal(1, filter.SizeAbove);
        Assert.Equal(100, filter.SizeBelow);
        Assert.Equal(["text/plain"], filter.ContentTypes!);
        Assert.Equal(10, filter.Limit);
        Assert.Equal(2, filter.Offset);
        Assert.Equal(3, filter.Level);
        Assert.Equal([new KeyValuePair<string, string>("api", "Nx")], filter.Attributes!);
    }

    [Fact]
    public void Filter_without_fu_is_a_conditional_retrieval()
    {
        var filter = Ok("lbl=a").Filter!;

        Assert.Equal(FilterUsage.ConditionalRetrieval, filter.Usage);
        Assert.False(filter.Or);
    }

    [Theory]
    [InlineData("rp=x")]
    [InlineData("rt=3")]
    [InlineData("da=false")]
    [InlineData("sqi=0")]
    public void Harmless_request_parameters_are_accepted(string query) =>
        Assert.True(Parse(query).IsSuccess);

    [Theory]
    [InlineData("rcn=abc", ResponseStatusCode.BadRequest)]
    [InlineData("rcn=-1", ResponseStatusCode.BadRequest)]
    [InlineData("rcn=12", ResponseStatusCode.BadRequest)]
    [InlineData("rcn=1&rcn=2", ResponseStatusCode.BadRequest)]
    [InlineData("rcn=", ResponseStatusCode.BadRequest)]
    [InlineData("drt=0", ResponseStatusCode.BadRequest)]
    [InlineData("drt=3", ResponseStatusCode.BadRequest)]
    [InlineData("fu=0", ResponseStatusCode.BadRequest)]
    [InlineData("fu=3", ResponseStatusCode.NotImplemented)]
    [InlineData("fo=0", ResponseStatusCode.BadRequest)]
    [InlineData("ty=x", ResponseStatusCode.BadRequest)]
    [InlineData("ty=0", ResponseStatusCode.BadRequest)]
    [InlineData("ty=-3", ResponseStatusCode.BadRequest)]
    [InlineData("crb=yesterday", ResponseStatusCode.BadRequest)]
    [InlineData("cra=2025-01-01T00:00:00Z", ResponseStatusCode.BadRequest)]
    [InlineData("sts=-1", ResponseStatusCode.BadRequest)]
    [InlineData("szb=x", ResponseStatusCode.BadRequest)]
    [InlineData("lim=-1", ResponseStatusCode.BadRequest)]
    [InlineData("lim=99999999999", ResponseStatusCode.BadRequest)]
    [InlineData("ofst=a", ResponseStatusCode.BadRequest)]
    [InlineData("lvl=1.5", ResponseStatusCode.BadRequest)]
    [InlineData("lim=1&lim=2", ResponseStatusCode.BadRequest)]
    [InlineData("rt=3&rt=5", ResponseStatusCode.BadRequest)]
    [InlineData("da=true", ResponseStatusCode.NotImplemented)]
    [InlineData("sqi=yes", ResponseStatusCode.BadRequest)]
    [InlineData("rids=a", ResponseStatusCode.NotImplemented)]
    [InlineData("lbq=a", ResponseStatusCode.NotImplemented)]
    [InlineData("arp=la", ResponseStatusCode.NotImplemented)]
    [InlineData("c.lbl=a", ResponseStatusCode.NotImplemented)]
    [InlineData("p.rn=a", ResponseStatusCode.NotImplemented)]
    [InlineData("ct=20250101T000000", ResponseStatusCode.BadRequest)]
    [InlineData("lt=20250101T000000", ResponseStatusCode.BadRequest)]
    [InlineData("st=1", ResponseStatusCode.BadRequest)]
    [InlineData("et=20250101T000000", ResponseStatusCode.BadRequest)]
    [InlineData("cs=1", ResponseStatusCode.BadRequest)]
    public void Invalid_or_unsupported_query_is_rejected(string query, ResponseStatusCode code)
    {
        var result = Parse(query);

        Assert.False(result.IsSuccess);
        Assert.Equal(code, result.Error.Code);
    }

    [Theory]
    [InlineData("fu=1", Operation.Create)]
    [InlineData("fu=1", Operation.Update)]
    [InlineData("fu=1", Operation.Delete)]
    [InlineData("lbl=a", Operation.Create)]
    [InlineData("ty=3", Operation.Notify)]
    public void Filter_criteria_where_not_permitted_are_4000(string query, Operation operation)
    {
        var result = Parse(query, operation);

        Assert.False(result.IsSuccess);
        Assert.Equal(ResponseStatusCode.BadRequest, result.Error.Code);
    }

    [Theory]
    [InlineData("lbl=a", Operation.Update)]
    [InlineData("lbl=a", Operation.Delete)]
    [InlineData("rcn=1", Operation.Create)]
    public void Conditional_filter_and_rcn_are_accepted_where_permitted(string query, Operation operation) =>
        Assert.True(Parse(query, operation).IsSuccess);

    [Fact]
    public void Random_queries_yield_a_result_or_an_error_never_an_exception()
    {
        var seed = TestSeed.Resolve(20250301, output);
        var random = new Random(seed);
        const string alphabet = "abcdefghijklmnopqrstuvwxyz0123456789=&+%.:-_ ,TtyrcnfulbimosdzaeAB";
        string[] names = ["rcn", "drt", "fu", "fo", "ty", "lbl", "cty", "atrl", "crb", "cra", "ms", "us", "exb", "exa",
            "sts", "stb", "sza", "szb", "lim", "ofst", "lvl", "rt", "da", "sqi", "rp", "c.x", "ct", "api", ""];
        for (var i = 0; i < 5_000; i++)
        {
            var parts = new List<string>();
            for (var p = random.Next(0, 5); p > 0; p--)
            {
                var value = new string(Enumerable.Range(0, random.Next(0, 12)).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray());
                parts.Add(names[random.Next(names.Length)] + "=" + value);
            }

            var query = string.Join("&", parts);
            var operation = (Operation)random.Next(1, 6);

            var result = Parse(query, operation);

            Assert.True(result.IsSuccess || result.Error.Code is ResponseStatusCode.BadRequest or ResponseStatusCode.NotImplemented,
                $"{TestSeed.Replay(seed)}'{query}' gave {result}");
        }
    }
}
