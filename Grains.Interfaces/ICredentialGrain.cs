namespace VirtualIoT;

/// <summary>
/// The credential of one originator (key = the AE-ID or CSE-ID it authenticates as): a salted PBKDF2 hash of its
/// secret, never the secret. The administrator (<c>CAdmin</c>) provisions and revokes it through the gateway's
/// credentials endpoint; gateways read it to verify the HTTP Basic or MQTT username/password an originator presents.
/// Persisted, so a million devices' credentials survive restarts and need no configuration change.
/// </summary>
[Alias("VirtualIoT.ICredentialGrain")]
public interface ICredentialGrain : IGrainWithStringKey
{
    /// <summary>The stored hash with its version, or null when the originator has no credential.</summary>
    [Alias("Get"), Orleans.Concurrency.ReadOnly]
    ValueTask<StoredCredential?> Get();

    /// <summary>Stores <paramref name="hash"/> (replacing any earlier one) and returns the new version.</summary>
    [Alias("Set")]
    ValueTask<long> Set(string hash);

    /// <summary>Removes the credential; returns false when there was none.</summary>
    [Alias("Remove")]
    ValueTask<bool> Remove();
}

/// <summary>A credential as stored: the password hash (ASP.NET Core Identity format, PBKDF2) and a version that changes with it.</summary>
[GenerateSerializer, Immutable, Alias("VirtualIoT.StoredCredential")]
public sealed record StoredCredential([property: Id(0)] string Hash, [property: Id(1)] long Version);
