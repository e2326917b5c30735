using VirtualIoT.Tests.Infrastructure;

namespace VirtualIoT.Tests.Security;

/// <summary>
/// The throttle on failed verifications, on a platform allowing one per originator and minute
/// (<see cref="LockoutCseFixture"/>): with the usual ten, the bucket refilled every 6 s, so on a slow machine a
/// refill could land between the last guess and the check.
/// </summary>
[Collection(LockoutCseCollection.Name)]
[Trait("Speed", "Slow")]
public sealed class AuthenticationLockoutTests(LockoutCseFixture fixture)
{
    [Fact]
    public async Task Repeated_wrong_secrets_lock_out_uncached_attempts_but_not_a_verified_client()
    {
        var (verifiedId, _, verified) = await fixture.RegisteredAeAsync();
        var (guessedId, guessedSecret, _) = await fixture.RegisteredAeAsync(); // registering verified it: cached
        var revisited = "Cpw" + Guid.NewGuid().ToString("N")[..10];
        var revisitedSecret = await fixture.ProvisionAsync(revisited);

        for (var i = 0; i <= LockoutCseFixture.LockoutFailuresPerMinute; i++)
        {
            HttpAuthenticationTests.AssertNotAuthenticated(await fixture.Client(verifiedId, "guess" + i).Retrieve("/cse-in/" + verifiedId, verifiedId));
            HttpAuthenticationTests.AssertNotAuthenticated(await fixture.Client(revisited, "guess" + i).Retrieve("/cse-in", revisited));
        }

        // The verified client is remembered and unaffected; a first attempt with the right secret now waits for the
        // bucket to refill, as would a guess.
        Assert.Equal(2000, (await verified.Retrieve("/cse-in/" + verifiedId, verifiedId)).Rsc);
        HttpAuthenticationTests.AssertNotAuthenticated(await fixture.Client(revisited, revisitedSecret).Retrieve("/cse-in", revisited));
        Assert.Equal(2000, (await fixture.Client(guessedId, guessedSecret).Retrieve("/cse-in/" + guessedId, guessedId)).Rsc);
    }
}
