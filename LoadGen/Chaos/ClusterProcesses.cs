using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace VirtualIoT.LoadGen.Chaos;

/// <summary>What a process of the cluster is.</summary>
public enum ProcessRole
{
    /// <summary>A silo (with its own HTTP endpoint).</summary>
    Silo,

    /// <summary>A standalone gateway.</summary>
    Gateway,
}

/// <summary>
/// One silo or gateway process the chaos runner controls: started from a build's dll with <c>dotnet</c> (output to
/// a log file), or attached to by PID. Killed with SIGKILL, paused with SIGSTOP and resumed with SIGCONT, and started
/// again on the same ports.
/// </summary>
internal sealed class ClusterProcess : IDisposable
{
    private readonly string? _dll;
    private readonly IReadOnlyList<string> _arguments;
    private readonly string _log;
    private Process? _process;

    private ClusterProcess(ProcessRole role, int index, Uri? http, string? dll, IReadOnlyList<string> arguments, string log)
    {
        Role = role;
        Index = index;
        Http = http;
        _dll = dll;
        _arguments = arguments;
        _log = log;
    }

    public ProcessRole Role { get; }

    public int Index { get; }

    /// <summary>The process's HTTP endpoint (null for an attached silo).</summary>
    public Uri? Http { get; }

    public string Name => string.Create(CultureInfo.InvariantCulture, $"{Role.ToString().ToLowerInvariant()}{Index}");

    /// <summary>Running and not paused.</summary>
    public bool IsUp => Running(_process) && !IsPaused;

    /// <summary>
    /// Up and answering since its last start (<see cref="WaitReadyAsync"/>): only such a process is a fault's victim, so
    /// that a silo still starting on an overloaded machine is not killed again before it ever served.
    /// </summary>
    public bool IsReady => IsUp && _ready;

    private volatile bool _ready = true;

    public bool IsPaused { get; private set; }

    public bool CanRestart => _dll is not null;

    public int? Pid => _process is { } p && Running(p) ? p.Id : null;

    /// <summary>
    /// Whether a process object stands for a running process. The progress line, the fault loops and the restarts read
    /// it from other threads than the one starting the process again; a process object that has been disposed
    /// counts as exited instead of throwing.
    /// </summary>
    private static bool Running(Process? process)
    {
        try
        {
            return process is { HasExited: false };
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>A process to start from <paramref name="dll"/> with <paramref name="arguments"/>.</summary>
    public static ClusterProcess FromDll(ProcessRole role, int index, Uri http, string dll, IReadOnlyList<string> arguments, string logDirectory) =>
        new(role, index, http, dll, arguments, Path.Combine(logDirectory, string.Create(CultureInfo.InvariantCulture, $"{role.ToString().ToLowerInvariant()}{index}.log")));

    /// <summary>A running process the runner did not start (it is never restarted).</summary>
    public static ClusterProcess Attach(ProcessRole role, int index, int pid, Uri? http) =>
        new(role, index, http, null, [], "") { _process = Process.GetProcessById(pid) };

    public void Start()
    {
        if (_dll is null)
        {
            throw new InvalidOperationException($"{Name} was attached to and cannot be started");
        }

        // sh execs dotnet with the arguments untouched ("$@") and its output appended to the log: the PID is dotnet's.
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, WorkingDirectory = Path.GetDirectoryName(_dll)! };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("exec dotnet \"$@\" >>\"$LOGFILE\" 2>&1");
        start.ArgumentList.Add("sh");
        start.ArgumentList.Add(_dll);
        foreach (var argument in _arguments)
        {
            start.ArgumentList.Add(argument);
        }

        _ready = false;
        start.Environment["LOGFILE"] = _log;
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        var previous = _process;
        _process = Process.Start(start) ?? throw new InvalidOperationException("cannot start dotnet " + _dll);
        previous?.Dispose();
        IsPaused = false;
    }

    /// <summary>SIGKILL: no shutdown, no goodbye to the cluster.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: false);
            process.WaitForExit(10_000);
        }

        IsPaused = false;
    }

    /// <summary>SIGSTOP: the process hangs with its sockets open, as a stalled machine would.</summary>
    public Task PauseAsync() => SignalAsync("STOP", paused: true);

    /// <summary>SIGCONT.</summary>
    public Task ResumeAsync() => SignalAsync("CONT", paused: false);

    private async Task SignalAsync(string signal, bool paused)
    {
        if (_process is not { HasExited: false } process)
        {
            return;
        }

        using var kill = Process.Start(new ProcessStartInfo("kill", ["-" + signal, process.Id.ToString(CultureInfo.InvariantCulture)]))!;
        await kill.WaitForExitAsync();
        IsPaused = paused;
    }

    /// <summary>Waits until the HTTP endpoint answers a retrieve of the CSEBase, at most <paramref name="timeout"/>.</summary>
    public async Task WaitReadyAsync(string cseBase, string admin, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (Http is null)
        {
            return;
        }

        using var http = new HttpClient { BaseAddress = Http, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_process is { HasExited: true } exited)
            {
                throw new InvalidOperationException($"{Name} exited ({exited.ExitCode}); see {_log}");
            }

            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, cseBase);
                request.Headers.Add("X-M2M-Origin", admin);
                request.Headers.Add("X-M2M-RI", "chaos-ready");
                request.Headers.Add("X-M2M-RVI", "3");
                using var response = await http.SendAsync(request, cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    _ready = true;
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }

            await Task.Delay(200, cancellationToken);
        }

        throw new TimeoutException($"{Name} not ready after {timeout.TotalSeconds:0} s; see {_log}");
    }

    /// <summary>Stops a process this runner started (resumed first if paused); an attached one is left running.</summary>
    public void Dispose()
    {
        if (_process is { HasExited: false } process && _dll is not null)
        {
            if (IsPaused)
            {
                using var resume = Process.Start(new ProcessStartInfo("kill", ["-CONT", process.Id.ToString(CultureInfo.InvariantCulture)]));
                resume?.WaitForExit(5_000);
            }

            process.Kill(entireProcessTree: false);
            process.WaitForExit(10_000);
        }

        _process?.Dispose();
    }
}

/// <summary>Hands out the ports of the processes: a fixed block from a base port, or free ones chosen by the system.</summary>
internal sealed class PortBlock(int basePort)
{
    private int _offset;

    public int Next()
    {
        if (basePort > 0)
        {
            return basePort + _offset++;
        }

        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
