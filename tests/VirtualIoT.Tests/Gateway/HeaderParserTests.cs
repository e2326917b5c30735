using Microsoft.Extensions.Primitives;
using VirtualIoT.Gateway.Addressing;
using VirtualIoT.Gateway.Http;

namespace VirtualIoT.Tests.Gateway;

public sealed class HeaderParserTests
{
    private static readonly CseIdentity s_cse = new(new CseOptions());

    [Theory]
    [InlineData(null, "")]
    [InlineData("", "")]
    [InlineData("Cmyapp", "Cmyapp")]
    [InlineData("C", "C")]
    [InlineData("CAdmin", "CAdmin")]
    [InlineData("/id-in/Cmyapp", "Cmyapp")]
    [InlineData("//virtualiot.example.com/id-in/Cmyapp", "Cmyapp")]
    [InlineData("/id-in", "/id-in")]
    [InlineData("/id-in/", "/id-in/")]
    [InlineData("/id-other/Cmyapp", "/id-other/Cmyapp")]
    [InlineData("//other.example.com/id-in/Cmyapp", "//other.example.com/id-in/Cmyapp")]
    [InlineData("/id-in/Cmyapp/extra", "/id-in/Cmyapp/extra")]
    [InlineData("/id-inCx", "/id-inCx")]
    public void Originator_is_normalised_to_a_CSE_relative_AE_ID(string? value, string expected) =>
        Assert.Equal(expected, HeaderParser.NormalizeOriginator(value, s_cse));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void Missing_request_identifier_is_4000(string? value)
    {
        var result = HeaderParser.ParseRequestIdentifier(value);

        Assert.False(result.IsSuccess);
        Assert.Equal(ResponseStatusCode.BadRequest, result.Error.Code);
    }

    [Theory]
    [InlineData("r1")]
    [InlineData(" spaced ")]
    [InlineData("a/b?c")]
    public void Request_identifier_is_kept_as_sent(string value)
    {
        var result = HeaderParser.ParseRequestIdentifier(value);

        Assert.True(result.IsSuccess);
        Assert.Equal(value, result.Value);
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("", null)]
    [InlineData("2a", "2a")]
    [InlineData("3", "3")]
    [InlineData("4", "4")]
    public void Supported_or_absent_release_version_is_accepted(string? value, string? expected)
    {
        var result = HeaderParser.ParseReleaseVersion(value);

        Assert.True(result.IsSuccess, result.ToString());
        Assert.Equal(expected, result.Value);
    }

    [Theory]
    [InlineData("1")]
    [InlineData("2")]
    [InlineData("5")]
    [InlineData("3.0")]
    [InlineData("three")]
    [InlineData(" 3")]
    public void Unsupported_release_version_is_4001(string value)
    {
        var result = HeaderParser.ParseReleaseVersion(value);

        Assert.False(result.IsSuccess);
        Assert.Equal(ResponseStatusCode.ReleaseVersionNotSupported, result.Error.Code);
    }

    [Theory]
    [InlineData(null, false, null)]
    [InlineData("", false, null)]
    [InlineData("application/json", true, null)]
    [InlineData("application/json;ty=3", true, ResourceType.Container)]
    [InlineData("application/json; ty=3", true, ResourceType.Container)]
    [InlineData("application/json ; ty = 4", true, ResourceType.ContentInstance)]
    [InlineData("application/json;charset=utf-8;ty=2", true, ResourceType.AE)]
    [InlineData("application/json;ty=2;charset=utf-8", true, ResourceType.AE)]
    [InlineData("APPLICATION/JSON;TY=23", true, ResourceType.Subscription)]
    [InlineData("application/vnd.onem2m-res+json;ty=3", true, ResourceType.Container)]
    [InlineData("application/vnd.onem2m-ntfy+json", true, null)]
    [InlineData("application/json;charset=utf-8", true, null)]
    [InlineData("application/json;foo", true, null)]
    [InlineData("application/cbor;ty=3", true, ResourceType.Container)]
    [InlineData("application/vnd.onem2m-res+cbor;ty=4", true, ResourceType.ContentInstance)]
    [InlineData("application/xml;ty=2", true, ResourceType.AE)]
    [InlineData("application/vnd.onem2m-res+xml; ty=3", true, ResourceType.Container)]
    public void Content_type_gives_presence_and_ty(string? value, bool present, ResourceType? type)
    {
        var result = HeaderParser.ParseContentType(value);

        Assert.True(result.IsSuccess, result.ToString());
        Assert.Equal(present, result.Value.IsPresent);
        Assert.Equal(type, result.Value.ResourceType);
    }

    [Theory]
    [InlineData("text/plain", ResponseStatusCode.UnsupportedMediaType)]
    [InlineData("application/yaml;ty=3", ResponseStatusCode.UnsupportedMediaType)]
    [InlineData("application/vnd.onem2m-res+yaml", ResponseStatusCode.UnsupportedMediaType)]
    [InlineData("application/vnd.other+json;ty=3", ResponseStatusCode.UnsupportedMediaType)]
    [InlineData("application/jsonx;ty=3", ResponseStatusCode.UnsupportedMediaType)]
    [InlineData("application/json;ty=999", ResponseStatusCode.BadRequest)]
    [InlineData("application/json;ty=0", ResponseStatusCode.BadRequest)]
    [InlineData("application/json;ty=-3", ResponseStatusCode.BadRequest)]
    [InlineData("application/json;ty=", ResponseStatusCode.BadRequest)]
    [InlineData("application/json;ty=abc", ResponseStatusCode.BadRequest)]
    [InlineData("application/json;ty=3;ty=4", ResponseStatusCode.BadRequest)]
    [InlineData("application/json;ty=99999999999", ResponseStatusCode.BadRequest)]
    public void Bad_content_type_is_rejected(string value, ResponseStatusCode code)
    {
        var result = HeaderParser.ParseContentType(value);

        Assert.False(result.IsSuccess);
        Assert.Equal(code, result.Error.Code);
    }

    [Theory]
    [InlineData(null, true)]
    [InlineData("", true)]
    [InlineData("application/json", true)]
    [InlineData("application/vnd.onem2m-res+json", true)]
    [InlineData("*/*", true)]
    [InlineData("application/*", true)]
    [InlineData("application/json;q=0.9", true)]
    [InlineData("text/html, application/json", true)]
    [InlineData("text/xml", true)]
    [InlineData("application/xml", true)]
    [InlineData("application/cbor", true)]
    [InlineData("application/vnd.onem2m-res+cbor", true)]
    [InlineData("text/*", false)]
    [InlineData("text/html", false)]
    [InlineData("application/yaml, text/html", false)]
    [InlineData("application/json;q=0", false)]
    public void Accept_admits_a_supported_serialization_or_not(string? value, bool acceptable) =>
        Assert.Equal(acceptable, HeaderParser.IsAcceptable(value is null ? StringValues.Empty : new StringValues(value)));

    [Fact]
    public void Accept_with_several_header_values_admits_if_any_does() =>
        Assert.True(HeaderParser.IsAcceptable(new StringValues(["text/html", "application/json"])));

    [Theory]
    [InlineData("GET", null, Operation.Retrieve)]
    [InlineData("POST", ResourceType.Container, Operation.Create)]
    [InlineData("POST", null, Operation.Notify)]
    [InlineData("PUT", null, Operation.Update)]
    [InlineData("DELETE", null, Operation.Delete)]
    [InlineData("get", null, Operation.Retrieve)]
    public void Method_and_ty_give_the_operation(string method, ResourceType? type, Operation operation)
    {
        var result = HeaderParser.ParseOperation(method, type);

        Assert.True(result.IsSuccess, result.ToString());
        Assert.Equal(operation, result.Value);
    }

    [Theory]
    [InlineData("GET", ResourceType.Container, ResponseStatusCode.BadRequest)]
    [InlineData("PUT", ResourceType.Container, ResponseStatusCode.BadRequest)]
    [InlineData("DELETE", ResourceType.AE, ResponseStatusCode.BadRequest)]
    [InlineData("PATCH", null, ResponseStatusCode.OperationNotAllowed)]
    [InlineData("OPTIONS", null, ResponseStatusCode.OperationNotAllowed)]
    [InlineData("HEAD", null, ResponseStatusCode.OperationNotAllowed)]
    [InlineData("TRACE", null, ResponseStatusCode.OperationNotAllowed)]
    [InlineData("PATCH", ResourceType.Container, ResponseStatusCode.OperationNotAllowed)]
    public void Method_outside_the_binding_or_ty_outside_create_is_rejected(string method, ResourceType? type, ResponseStatusCode code)
    {
        var result = HeaderParser.ParseOperation(method, type);

        Assert.False(result.IsSuccess);
        Assert.Equal(code, result.Error.Code);
    }
}
