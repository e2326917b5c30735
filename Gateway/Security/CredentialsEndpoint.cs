using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using VirtualIoT.Gateway.Operations;

namespace VirtualIoT.Gateway.Security;

/// <summary>
/// The administrator's credentials endpoint (<see cref="AuthenticationOptions.CredentialsPath"/>): <c>PUT
/// {path}/{originator}</c> with <c>{"secret":"…"}</c> provisions or replaces an originator's secret (204), <c>DELETE
/// {path}/{originator}</c> revokes it (204, or 404 when it had none). Only the administrator (<c>Cse:AdminOriginator</c>,
/// <c>CAdmin</c>) may call it, with its own HTTP Basic credentials; anyone else gets 401. Not a oneM2M resource, so
/// plain HTTP statuses. Serve it over TLS: the secret travels in the body.
/// </summary>
public static class CredentialsEndpoint
{
    /// <summary>Maps the endpoint.</summary>
    public static void Map(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var options = app.Services.GetRequiredService<IOptions<AuthenticationOptions>>().Value;
        var cse = app.Services.GetRequiredService<IOptions<CseOptions>>().Value;
        app.Services.GetService<OperationsEndpoints>()?.Register($"{AuthenticationOptions.SectionName}:CredentialsPath", options.CredentialsPath, cse.CseBaseName);

        var store = new Lazy<CredentialStore>(app.Services.GetRequiredService<CredentialStore>);
        var pattern = options.CredentialsPath + "/{originator}";
        app.MapPut(pattern, (HttpContext context, string originator) => SetAsync(context, originator, store.Value, cse.AdminOriginator, options.MinSecretLength))
            .WithDisplayName("credentials: set");
        app.MapDelete(pattern, (HttpContext context, string originator) => RemoveAsync(context, originator, store.Value, cse.AdminOriginator))
            .WithDisplayName("credentials: revoke");
    }

    private static async Task<IResult> SetAsync(HttpContext context, string originator, CredentialStore store, string admin, int minSecretLength)
    {
        if (await RefuseAsync(context, originator, store, admin) is { } refused)
        {
            return refused;
        }

        string? secret;
        try
        {
            using var body = await JsonDocument.ParseAsync(context.Request.Body, default, context.RequestAborted);
            secret = body.RootElement.ValueKind == JsonValueKind.Object && body.RootElement.TryGetProperty("secret", out var value)
                && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        }
        catch (JsonException)
        {
            secret = null;
        }

        if (secret is null || secret.Length < minSecretLength || secret.Length > 1024)
        {
            return Results.BadRequest($"body must be {{\"secret\":\"…\"}} with {minSecretLength} to 1024 characters");
        }

        await store.SetAsync(originator, secret);
        return Results.NoContent();
    }

    private static async Task<IResult> RemoveAsync(HttpContext context, string originator, CredentialStore store, string admin)
    {
        if (await RefuseAsync(context, originator, store, admin) is { } refused)
        {
            return refused;
        }

        return await store.RemoveAsync(originator) ? Results.NoContent() : Results.NotFound();
    }

    private static async Task<IResult?> RefuseAsync(HttpContext context, string originator, CredentialStore store, string admin)
    {
        if (!OriginatorAuthenticator.TryParseBasic(context.Request.Headers.Authorization, out var user, out var secret)
            || !string.Equals(user, admin, StringComparison.Ordinal) || !await store.VerifyAsync(user, secret))
        {
            context.Response.Headers.WWWAuthenticate = "Basic realm=\"VirtualIoT credentials\", charset=\"UTF-8\"";
            return Results.Unauthorized();
        }

        return ResourceIds.IsValidName(originator) ? null : Results.BadRequest($"'{originator}' is not a valid originator");
    }
}
