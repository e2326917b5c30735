using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace VirtualIoT.Gateway.Security;

/// <summary>
/// Originators' credentials: verifies a presented (originator, secret) pair and lets the administrator set and revoke
/// them. Secrets are hashed with ASP.NET Core Identity's <see cref="PasswordHasher{TUser}"/> (PBKDF2-HMAC-SHA512,
/// 100,000 iterations, 128-bit random salt) and stored per originator in an <see cref="ICredentialGrain"/>; bootstrap
/// credentials from configuration are hashed at start and held in memory. A verified pair is remembered for
/// <see cref="AuthenticationOptions.CacheDuration"/> as an HMAC of the secret under a random per-process key, so a
/// repeated request costs one HMAC rather than a PBKDF2 run, and the cache holds nothing from which the secret could
/// be recovered offline. Failed attempts are never cached, and are throttled per originator
/// (<see cref="AuthenticationOptions.MaxFailuresPerMinute"/>).
/// </summary>
public sealed partial class CredentialStore : IDisposable
{
    private static readonly PasswordHasher<object> s_hasher = new();
    private static readonly object s_user = new();

    private readonly IGrainFactory _grains;
    private readonly Dictionary<string, string> _bootstrap;
    private readonly MemoryCache _verified;
    private readonly TimeSpan _cacheDuration;
    private readonly byte[] _cacheKey = RandomNumberGenerator.GetBytes(32);
    private readonly OriginatorRateLimiter? _failures;
    private readonly ILogger _logger;

    /// <summary>Creates the store; hashes the bootstrap credentials.</summary>
    public CredentialStore(IGrainFactory grains, IOptions<AuthenticationOptions> options, ILogger<CredentialStore> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        var value = options.Value;
        _grains = grains;
        _logger = logger;
        _cacheDuration = value.CacheDuration;
        _verified = new MemoryCache(new MemoryCacheOptions { SizeLimit = value.CacheSize });
        if (value.MaxFailuresPerMinute > 0)
        {
            // A bucket holds a minute's worth of failures, refilled at that rate.
            _failures = new OriginatorRateLimiter(value.MaxFailuresPerMinute, value.MaxFailuresPerMinute / 60.0);
        }

        _bootstrap = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (originator, secret) in value.Credentials)
        {
            if (!string.IsNullOrEmpty(secret))
            {
                _bootstrap[originator] = Hash(secret);
            }
        }

        // The other CSEs of this CSE's links authenticate as their CSE-IDs with the link's secret.
        foreach (var (key, secret) in value.CseSecrets)
        {
            if (!string.IsNullOrEmpty(secret))
            {
                _bootstrap[CseLinkCredentials.CseIdOf(key)] = Hash(secret);
            }
        }
    }

    /// <summary>The salted hash of <paramref name="secret"/>, as stored.</summary>
    public static string Hash(string secret) => s_hasher.HashPassword(s_user, secret);

    /// <summary>True when <paramref name="secret"/> is the credential of <paramref name="originator"/>.</summary>
    public async ValueTask<bool> VerifyAsync(string originator, string secret)
    {
        ArgumentNullException.ThrowIfNull(originator);
        ArgumentNullException.ThrowIfNull(secret);
        if (originator.Length == 0)
        {
            return false;
        }

        var digest = Digest(originator, secret);
        if (_cacheDuration > TimeSpan.Zero && _verified.TryGetValue(originator, out byte[]? known)
            && CryptographicOperations.FixedTimeEquals(known, digest))
        {
            return true;
        }

        if (_failures is not null && !_failures.HasToken(originator))
        {
            Log.Throttled(_logger, originator);
            return false;
        }

        var stored = await _grains.GetGrain<ICredentialGrain>(originator).Get();
        var hash = stored?.Hash ?? _bootstrap.GetValueOrDefault(originator);
        if (hash is null)
        {
            return false;
        }

        var result = s_hasher.VerifyHashedPassword(s_user, hash, secret);
        if (result == PasswordVerificationResult.Failed)
        {
            Log.VerificationFailed(_logger, originator);
            _failures?.TryAcquire(originator, out _);
            return false;
        }

        if (_cacheDuration > TimeSpan.Zero)
        {
            _verified.Set(originator, digest, new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = _cacheDuration });
        }

        return true;
    }

    /// <summary>Sets <paramref name="originator"/>'s secret (administrator); earlier verified secrets are forgotten here.</summary>
    public async Task SetAsync(string originator, string secret)
    {
        await _grains.GetGrain<ICredentialGrain>(originator).Set(Hash(secret));
        _verified.Remove(originator);
        Log.CredentialSet(_logger, originator);
    }

    /// <summary>Revokes <paramref name="originator"/>'s stored credential; returns false when it had none.</summary>
    public async Task<bool> RemoveAsync(string originator)
    {
        var removed = await _grains.GetGrain<ICredentialGrain>(originator).Remove();
        _verified.Remove(originator);
        Log.CredentialRemoved(_logger, originator, removed);
        return removed;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _verified.Dispose();
    }

    private byte[] Digest(string originator, string secret)
    {
        // The originator is part of the MAC input so that equal secrets of two originators differ in the cache.
        var input = Encoding.UTF8.GetBytes(originator + "\n" + secret);
        return HMACSHA256.HashData(_cacheKey, input);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3300, Level = LogLevel.Information, Message = "Credential verification failed for originator {Originator}")]
        public static partial void VerificationFailed(ILogger logger, string originator);

        [LoggerMessage(EventId = 3303, Level = LogLevel.Warning, Message = "Originator {Originator} has too many failed authentication attempts; refused without verification")]
        public static partial void Throttled(ILogger logger, string originator);

        [LoggerMessage(EventId = 3301, Level = LogLevel.Information, Message = "Credential of originator {Originator} set by the administrator")]
        public static partial void CredentialSet(ILogger logger, string originator);

        [LoggerMessage(EventId = 3302, Level = LogLevel.Information, Message = "Credential of originator {Originator} revoked by the administrator (existed: {Existed})")]
        public static partial void CredentialRemoved(ILogger logger, string originator, bool existed);
    }
}
