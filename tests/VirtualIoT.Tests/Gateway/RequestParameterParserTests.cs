using Microsoft.Extensions.Primitives;
using VirtualIoT.Gateway;
using VirtualIoT.Gateway.Pipeline;

namespace VirtualIoT.Tests.Gateway;

/// <summary>
/// The binding-neutral reading of request parameters: values arrive already split by the binding, so a list member
/// is taken whole. The HTTP query syntax on top of it is covered by <see cref="QueryParserTests"/>.
/// </summary>
public sealed class RequestParameterParserTests
{
    private static ParseResult<RequestParameters> Parse(Operation operation, params (string Name, string[] Values)[] parameters) =>
        RequestParameterParser.Parse(parameters.Select(p => new KeyValuePair<string, StringValues>(p.Name, new StringValues(p.Values))), operation);

    [Fact]
    public void A_list_member_is_one_value_even_with_a_space_or_plus()
    {
        var result = Parse(Operation.Retrieve, ("lbl", ["room 1", "a+b"]), ("atrl", ["rn", "lbl"]));

        Assert.True(result.IsSuccess, result.ToString());
        Assert.Equal(["room 1", "a+b"], result.Value!.Filter!.Labels!);
        Assert.Equal(["rn", "lbl"], result.Value.AttributeList!);
    }

    [Fact]
    public void Types_are_read_one_per_value_and_empty_values_are_skipped()
    {
        var result = Parse(Operation.Retrieve, ("fu", ["1"]), ("ty", ["3", "", "4"]));

        Assert.True(result.IsSuccess, result.ToString());
        Assert.Equal([3, 4], result.Value!.Filter!.ResourceTypes!);
        Assert.Equal(FilterUsage.Discovery, result.Value.Filter.Usage);
    }

    [Theory]
    [InlineData("rcn", "1", "2")]
    [InlineData("drt", "1", "1")]
    public void A_single_valued_parameter_given_twice_is_4000(string name, string first, string second)
    {
        var result = Parse(Operation.Retrieve, (name, [first, second]));

        Assert.False(result.IsSuccess);
        Assert.Equal(ResponseStatusCode.BadRequest, result.Error!.Code);
        Assert.Contains(name, result.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_filter_on_a_create_is_4000() =>
        Assert.Equal(ResponseStatusCode.BadRequest, Parse(Operation.Create, ("lbl", ["a"])).Error!.Code);

    [Theory]
    [InlineData("rcn", true)]
    [InlineData("lim", true)]
    [InlineData("ty", true)]
    [InlineData("mni", false)]
    [InlineData("rn", false)]
    public void Parameter_names_are_told_from_attribute_names(string name, bool isParameter) =>
        Assert.Equal(isParameter, RequestParameterParser.IsParameterName(name));
}
