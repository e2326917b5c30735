using VirtualIoT.Gateway.Pipeline;

namespace VirtualIoT.Tests.Gateway;

/// <summary>The spec's enumerations read from the wire: exactly the defined values, as bare decimal digits.</summary>
public sealed class WireEnumTests
{
    [Theory]
    [InlineData("1", ResultContent.Attributes)]
    [InlineData("0", ResultContent.Nothing)]
    [InlineData("11", ResultContent.DiscoveryResultReferences)]
    public void Defined_values_are_read(string text, ResultContent expected)
    {
        Assert.True(WireEnum.TryParse<ResultContent>(text, out var value));
        Assert.Equal(expected, value);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("0")]
    [InlineData("6")]
    [InlineData("+1")]
    [InlineData(" 1")]
    [InlineData("1 ")]
    [InlineData("-1")]
    [InlineData("1.0")]
    [InlineData("create")]
    [InlineData("99999999999")]
    public void Anything_else_is_refused(string? text)
    {
        Assert.False(WireEnum.TryParse<Operation>(text, out var value));
        Assert.Equal(default, value);
    }

    [Theory]
    [InlineData(ResponseStatusCode.Ok, true, false, false)]
    [InlineData(ResponseStatusCode.Created, true, false, false)]
    [InlineData(ResponseStatusCode.Accepted, false, false, false)]
    [InlineData(ResponseStatusCode.BadRequest, false, true, false)]
    [InlineData(ResponseStatusCode.NotFound, false, true, false)]
    [InlineData(ResponseStatusCode.InternalServerError, false, true, true)]
    [InlineData(ResponseStatusCode.NotImplemented, false, true, true)]
    public void Status_codes_fall_in_their_class(ResponseStatusCode code, bool success, bool error, bool receiverError)
    {
        Assert.Equal(success, code.IsSuccess());
        Assert.Equal(error, code.IsError());
        Assert.Equal(receiverError, code.IsReceiverError());
    }
}
