using System.Globalization;
using Microsoft.Extensions.Logging;

namespace Cctv.EdgeRecorder.Cameras;

/// <summary>
/// Pid files for the child processes the agent starts. A SIGKILLed agent cannot stop its children, and an
/// orphaned FFmpeg would keep writing into a run the next agent also records (duplicates) — so at start
/// the agent kills every child a previous instance left, recognised by a marker in its command line.
/// </summary>
public sealed class ProcessRegistry
{
    private readonly string _dir;
    private readonly ILogger _log;

    public ProcessRegistry(string directory, ILogger log)
    {
        _dir = directory;
        _log = log;
        Directory.CreateDirectory(_dir);
    }

    /// <param name="marker">A string in the child's command line that only our child has (its output path).</param>
    public void Register(string name, int pid, string marker) =>
        File.WriteAllText(PathOf(name), string.Create(CultureInfo.InvariantCulture, $"{pid}\n{marker}\n"));

    public void Unregister(string name) => File.Delete(PathOf(name));

    /// <summary>
    /// Kills the processes a previous instance registered and did not unregister, and, when <paramref name="commandLineMarker"/>
    /// is given, every process whose command line contains it (a child started in the instant before its pid file was
    /// written, when the agent was killed). Returns how many.
    /// </summary>
    public int KillLeftovers(string? commandLineMarker = null)
    {
        int killed = commandLineMarker is null ? 0 : KillByCommandLine(commandLineMarker);
        foreach (string file in Directory.EnumerateFiles(_dir, "*.pid"))
        {
            string[] lines = File.ReadAllLines(file);
            if (lines.Length >= 2 && int.TryParse(lines[0], NumberStyles.None, CultureInfo.InvariantCulture, out int pid)
                && CommandLineOf(pid) is { } commandLine && commandLine.Contains(lines[1], StringComparison.Ordinal))
            {
                try
                {
                    using var process = System.Diagnostics.Process.GetProcessById(pid);
                    process.Kill(entireProcessTree: true);
                    process.WaitForExit(TimeSpan.FromSeconds(10));
                    killed++;
                    _log.LogWarning("Stopped process {Pid} left running by a previous agent ({Name})", pid, Path.GetFileNameWithoutExtension(file));
                }
                catch (Exception e) when (e is ArgumentException or InvalidOperationException)
                {
                    // It exited meanwhile.
                }
            }
            File.Delete(file);
        }
        return killed;
    }

    private int KillByCommandLine(string marker)
    {
        int self = Environment.ProcessId;
        var found = new List<System.Diagnostics.Process>();
        foreach (string entry in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out int pid) && pid != self
                && CommandLineOf(pid) is { } commandLine && commandLine.Contains(marker, StringComparison.Ordinal))
            {
                try
                {
                    var process = System.Diagnostics.Process.GetProcessById(pid);
                    process.Kill();
                    found.Add(process);
                    _log.LogWarning("Stopped process {Pid} left running by a previous agent: {CommandLine}", pid, commandLine.Length > 200 ? commandLine[..200] : commandLine);
                }
                catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
                {
                    // It exited meanwhile, or is not ours to stop.
                }
            }
        }
        foreach (System.Diagnostics.Process process in found)
        {
            process.WaitForExit(TimeSpan.FromSeconds(10));
            process.Dispose();
        }
        return found.Count;
    }

    private static string? CommandLineOf(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private string PathOf(string name) => Path.Combine(_dir, name + ".pid");
}
