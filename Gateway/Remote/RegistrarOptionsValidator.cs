using Microsoft.Extensions.Options;

namespace VirtualIoT.Gateway.Remote;

/// <summary>The registrar settings of <see cref="CseOptions"/> fit together (checked at start, naming the key).</summary>
internal sealed class RegistrarOptionsValidator : IValidateOptions<CseOptions>
{
    public ValidateOptionsResult Validate(string? name, CseOptions options)
    {
        if (options.RegistrarAddress is not { } address)
        {
            return ValidateOptionsResult.Success;
        }

        if (!Uri.TryCreate(address, UriKind.Absolute, out var uri) || !RemoteCseClient.Supports(uri))
        {
            return ValidateOptionsResult.Fail($"Cse:RegistrarAddress '{address}' is not an http, https, mqtt, mqtts, coap, ws or wss URL");
        }

        if (options.RegistrarCseId is null)
        {
            return ValidateOptionsResult.Fail("Cse:RegistrarCseId is required with Cse:RegistrarAddress (the registrar's CSE-ID, e.g. /id-in)");
        }

        if (options.Type == CseTier.IN)
        {
            return ValidateOptionsResult.Fail("Cse:RegistrarAddress is set, but Cse:Type is IN: an IN-CSE registers to no other CSE (set Cse:Type to MN or ASN)");
        }

        return options.RegistrarCseId == options.CseId
            ? ValidateOptionsResult.Fail($"Cse:RegistrarCseId is this CSE's own CSE-ID ({options.CseId})")
            : ValidateOptionsResult.Success;
    }
}
