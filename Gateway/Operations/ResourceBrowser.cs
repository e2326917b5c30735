using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace VirtualIoT.Gateway.Operations;

/// <summary>
/// The resource browser: one self-contained HTML page (embedded resource <c>Browser/index.html</c>, no build step,
/// nothing fetched from elsewhere) whose script walks the resource tree through the oneM2M HTTP API itself, as the
/// originator typed into it: discovery of AEs below the CSEBase, containers below each AE (<c>fu=1&amp;ty=3&amp;lvl=1&amp;rcn=6</c>),
/// each container's attributes and its latest instance (<c>/la</c>). It therefore sees what that originator may
/// see and nothing more.
/// </summary>
internal static class ResourceBrowser
{
    private const string ResourceName = "VirtualIoT.Gateway.Operations.Browser.index.html";

    /// <summary>Maps GET <paramref name="path"/> to the page, with the CSEBase name filled in.</summary>
    public static IEndpointConventionBuilder Map(IEndpointRouteBuilder endpoints, string path, string cseBaseName)
    {
        var page = Encoding.UTF8.GetBytes(Load().Replace("{{CSE_BASE_NAME}}", HtmlEncoder.Default.Encode(cseBaseName), StringComparison.Ordinal));
        return endpoints.MapGet(path, (HttpContext context) =>
        {
            var response = context.Response;
            response.ContentType = "text/html; charset=utf-8";
            response.Headers.CacheControl = "no-cache";
            response.Headers.XContentTypeOptions = "nosniff";
            // The page talks to this origin only; inline script and style are its whole code.
            response.Headers.ContentSecurityPolicy =
                "default-src 'none'; connect-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; form-action 'self'";
            return response.Body.WriteAsync(page).AsTask();
        }).WithDisplayName("resource browser");
    }

    private static string Load()
    {
        using var stream = typeof(ResourceBrowser).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"embedded resource {ResourceName} is missing from the build");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }
}
