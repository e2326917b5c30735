using System.Diagnostics;
using System.Net;
using VirtualIoT.Tests.Infrastructure;

namespace VirtualIoT.Tests.Operations;

/// <summary>
/// The resource browser in a real headless Chromium: the page's script fetches the tree through the oneM2M API and
/// the rendered DOM (<c>--dump-dom</c>) must show what the test created through that API.
/// </summary>
[Collection(OperationsCollection.Name)]
[Trait("Speed", "Slow")]
public sealed class ResourceBrowserTests(OperationsFixture fixture)
{
    private const string ChromiumPath = "/usr/bin/chromium";

    private OneM2MClient Client => fixture.Client;

    [Fact]
    public async Task Page_is_self_contained_html()
    {
        using var response = await fixture.Http.GetAsync(new Uri("/browser", UriKind.Relative));
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("data-cse=\"cse-in\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("src=\"http", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Browser_shows_the_AE_container_and_latest_instance_a_request_created()
    {
        var aeId = await Client.RegisterAe();
        var container = await Client.CreateContainer("/cse-in/" + aeId, aeId, "kitchen");
        await Client.CreateInstance(container, aeId, "19.0");
        var latest = await Client.CreateInstance(container, aeId, "temperature-23.5");
        var otherAe = await Client.RegisterAe();

        var dom = await RenderedDom(new Uri(fixture.BaseAddress, "/browser?origin=" + aeId));

        Assert.Contains($"data-path=\"cse-in/{aeId}\"", dom, StringComparison.Ordinal);
        Assert.Contains($"data-path=\"cse-in/{aeId}/kitchen\"", dom, StringComparison.Ordinal);
        Assert.Contains($"data-path=\"cse-in/{aeId}/kitchen/{latest["rn"]}\"", dom, StringComparison.Ordinal);
        Assert.Contains("temperature-23.5", dom, StringComparison.Ordinal);
        Assert.DoesNotContain(otherAe, dom, StringComparison.Ordinal);
    }

    /// <summary>
    /// Loads <paramref name="url"/> in headless Chromium and returns the DOM once the page says it is done. Virtual
    /// time waits for the page's fetches; a run that ends before the tree is complete is repeated until a deadline.
    /// </summary>
    private static async Task<string> RenderedDom(Uri url)
    {
        Assert.True(File.Exists(ChromiumPath), $"{ChromiumPath} is missing: install the Debian package 'chromium' (test.sh does)");
        var deadline = Deadline.In(TimeSpan.FromSeconds(60));
        var attempt = 0;
        while (true)
        {
            attempt++;
            var profile = Directory.CreateTempSubdirectory("virtualiot-chromium-");
            try
            {
                var dom = await RunChromium(url, profile.FullName);
                if (dom.Contains("data-state=\"done\"", StringComparison.Ordinal))
                {
                    return dom;
                }

                Assert.True(!deadline.Passed, $"after {attempt} attempts the page never reached data-state=done; last DOM:\n{dom}");
            }
            finally
            {
                profile.Delete(recursive: true);
            }
        }
    }

    private static async Task<string> RunChromium(Uri url, string profile)
    {
        var start = new ProcessStartInfo(ChromiumPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
        {
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
            "--user-data-dir=" + profile, "--virtual-time-budget=5000", "--dump-dom", url.ToString(),
        })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(45));
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"chromium did not exit within 45 s loading {url}");
        }

        var dom = await stdout;
        Assert.True(process.ExitCode == 0, $"chromium exited {process.ExitCode}: {await stderr}");
        return dom;
    }
}
