using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Cctv.EndToEnd.Tests;

/// <summary>
/// The agent's command line (or the demo's) run as its own process, exactly as a user or systemd runs it; its output is
/// collected as it comes (all of it shows only when a test fails).
/// </summary>
internal sealed class EdgeProcess : IDisposable
{
    private readonly StringBuilder _output = new();

    private EdgeProcess(Process process) => Process = process;

    public Process Process { get; }

    public int Id => Process.Id;

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

    /// <summary>The agent: <c>Cctv.EdgeRecorder COMMAND …</c>.</summary>
    public static EdgeProcess Start(params string[] arguments) => StartProgram("Cctv.EdgeRecorder.dll", arguments);

    /// <summary>The demo (its own program, which composes the agent and the functions host): <c>Cctv.Demo --cameras …</c>.</summary>
    public static EdgeProcess StartDemo(params string[] arguments) => StartProgram("Cctv.Demo.dll", arguments);

    private static EdgeProcess StartProgram(string assembly, string[] arguments)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, assembly));
        foreach (string a in arguments)
        {
            psi.ArgumentList.Add(a);
        }
        psi.Environment["CCTV_LOG_LEVEL"] = "Information";
        var edge = new EdgeProcess(Process.Start(psi)!);
        edge.Process.OutputDataReceived += (_, e) => edge.Append(e.Data);
        edge.Process.ErrorDataReceived += (_, e) => edge.Append(e.Data);
        edge.Process.BeginOutputReadLine();
        edge.Process.BeginErrorReadLine();
        return edge;
    }

    /// <summary>Sends a signal to this process only (not its children), as systemd's KillMode=mixed and docker stop do.</summary>
    public void Signal(string signal) => Signal(Id, signal);

    /// <summary>Sends a signal to one process (not its children), started by this class or not.</summary>
    public static void Signal(int pid, string signal)
    {
        using Process kill = Process.Start("kill", ["-s", signal, pid.ToString(CultureInfo.InvariantCulture)])!;
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }

    /// <summary>
    /// Waits for the process itself; false when it is still running after <paramref name="timeout"/>. Once it has
    /// ended, its last lines may still be in the pipe (Process.WaitForExit with a timeout does not wait for them), so the
    /// output is drained too, for at most 10 s: an orphaned child holding the pipe open must not hang the test.
    /// </summary>
    public bool WaitForExit(TimeSpan timeout)
    {
        if (!Process.WaitForExit(timeout))
        {
            return false;
        }
        using var drained = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            Process.WaitForExitAsync(drained.Token).GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
            // A child still holds the output open; the tests' own checks for leftover processes say so.
        }
        return true;
    }

    /// <summary>The command lines of the processes (other than this test's) that contain <paramref name="marker"/>.</summary>
    public static IReadOnlyList<string> ProcessesMentioning(string marker)
    {
        var found = new List<string>();
        foreach (string entry in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out int pid) || pid == Environment.ProcessId)
            {
                continue;
            }
            try
            {
                string commandLine = File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
                if (commandLine.Contains(marker, StringComparison.Ordinal))
                {
                    found.Add($"{pid}: {commandLine}");
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // It exited meanwhile.
            }
        }
        return found;
    }

    /// <summary>True while a process with this pid exists (and is not a zombie).</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..][0] != 'Z';
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private void Append(string? line)
    {
        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    public void Dispose()
    {
        if (!Process.HasExited)
        {
            Process.Kill(entireProcessTree: true);
            Process.WaitForExit(TimeSpan.FromSeconds(10));
        }
        Process.Dispose();
    }
}
