using System.Diagnostics;
using System.Globalization;
using System.Text;
using VirtualIoT.Tests.Infrastructure;

namespace VirtualIoT.Tests.Backends;

/// <summary>
/// A silo (the Silo's Program: silo plus HTTP gateway) in a process of its own, started from the VirtualIoT.Silo.dll
/// the ProjectReference puts next to the tests, so that a test can SIGKILL it as an operating system would.
/// </summary>
public sealed class SiloProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private SiloProcess(Process process, int siloPort, Uri http, int? mqttPort)
    {
        _process = process;
        SiloPort = siloPort;
        Http = http;
        MqttEndpoint = mqttPort is { } port ? $"127.0.0.1:{port}" : null;
    }

    /// <summary>The silo's MQTT broker (<c>127.0.0.1:port</c>) when the settings turn <c>Mqtt:Enabled</c> on, else null.</summary>
    public string? MqttEndpoint { get; }

    /// <summary>The Orleans silo-to-silo port: how the membership table and the management grain name the silo.</summary>
    public int SiloPort { get; }

    /// <summary>Base address of the silo's own HTTP endpoint.</summary>
    public Uri Http { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>Starts a silo with <paramref name="settings"/> (configuration keys) on fresh ports; does not wait for it.</summary>
    public static SiloProcess Start(IReadOnlyDictionary<string, string> settings)
    {
        var siloPort = Infrastructure.FreePort.Next();
        var httpPort = Infrastructure.FreePort.Next();
        var dll = Path.Combine(AppContext.BaseDirectory, "VirtualIoT.Silo.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(dll);
        int? mqttPort = settings.TryGetValue("Mqtt:Enabled", out var mqtt) && mqtt == "true" ? Infrastructure.FreePort.Next() : null;
        var all = new Dictionary<string, string>(settings)
        {
            ["Urls"] = $"http://127.0.0.1:{httpPort}",
            ["Orleans:SiloPort"] = siloPort.ToString(CultureInfo.InvariantCulture),
            ["Orleans:GatewayPort"] = Infrastructure.FreePort.Next().ToString(CultureInfo.InvariantCulture),
            ["Mqtt:Enabled"] = mqttPort is null ? "false" : "true",
            ["Coap:Enabled"] = "false",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        if (mqttPort is { } port)
        {
            all["Mqtt:Port"] = port.ToString(CultureInfo.InvariantCulture);
        }

        foreach (var (key, value) in all)
        {
            start.ArgumentList.Add("--" + key);
            start.ArgumentList.Add(value);
        }

        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        var process = Process.Start(start) ?? throw new InvalidOperationException("cannot start dotnet " + dll);
        var silo = new SiloProcess(process, siloPort, new Uri($"http://127.0.0.1:{httpPort}"), mqttPort);
        process.OutputDataReceived += (_, e) => silo.Append(e.Data);
        process.ErrorDataReceived += (_, e) => silo.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return silo;
    }

    /// <summary>Waits until the silo's HTTP endpoint answers the CSEBase, at most <paramref name="timeout"/>.</summary>
    public async Task WaitReady(TimeSpan timeout)
    {
        using var http = new HttpClient { BaseAddress = Http, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Deadline.In(timeout);
        while (!deadline.Passed)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"silo {SiloPort} exited ({_process.ExitCode}):\n{Output}");
            }

            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, "/cse-in");
                request.Headers.Add("X-M2M-Origin", "CAdmin");
                request.Headers.Add("X-M2M-RI", "ready");
                request.Headers.Add("X-M2M-RVI", "3");
                using var response = await http.SendAsync(request);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"silo {SiloPort} not ready after {timeout}:\n{Output}");
    }

    /// <summary>SIGKILL: no shutdown, no goodbye to the cluster.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: false);
        _process.WaitForExit(10_000);
    }

    /// <summary>SIGTERM: the graceful stop an orchestrator asks for (the host stops its services, Orleans leaves the cluster).</summary>
    public void Terminate()
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
            ?? throw new InvalidOperationException("cannot run kill");
        kill.WaitForExit();
    }

    /// <summary>Waits until the process has exited, at most <paramref name="timeout"/>; its exit code, or null when it still runs.</summary>
    public async Task<int?> WaitForExit(TimeSpan timeout)
    {
        using var bound = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(bound.Token);
            return _process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>What the process wrote so far (for failure messages).</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            if (_output.Length < 200_000)
            {
                _output.AppendLine(line);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
