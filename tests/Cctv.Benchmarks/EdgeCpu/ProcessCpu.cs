using System.Globalization;

namespace Cctv.Benchmarks.EdgeCpu;

/// <summary>
/// CPU time of processes from /proc, in clock ticks turned into seconds: a process's own utime+stime, and a tree's
/// (the process, its live descendants, and the children it has reaped, whose time the kernel adds to cutime+cstime).
/// Two samples of a tree subtract to the CPU the tree used between them, children that came or went included.
/// </summary>
internal static class ProcessCpu
{
    private const double TicksPerSecond = 100.0; // USER_HZ on Linux

    /// <summary>(utime+stime, cutime+cstime) of one process in seconds; null when it is gone.</summary>
    public static (double Self, double ReapedChildren, double User, double System)? Read(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return null;
        }
        // The command name (field 2) may hold spaces or parentheses: the fields after it start after the last ')'.
        string[] f = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        // f[0] is field 3 (state); utime is field 14 -> f[11], stime f[12], cutime f[13], cstime f[14].
        double Ticks(int i) => long.Parse(f[i], CultureInfo.InvariantCulture) / TicksPerSecond;
        return (Ticks(11) + Ticks(12), Ticks(13) + Ticks(14), Ticks(11), Ticks(12));
    }

    /// <summary>The CPU seconds of a process tree so far, and of the root alone.</summary>
    public static (double Tree, double Root) Tree(int root)
    {
        if (Read(root) is not { } r)
        {
            return (0, 0);
        }
        double tree = r.Self + r.ReapedChildren;
        foreach (int child in Descendants(root))
        {
            if (Read(child) is { } c)
            {
                tree += c.Self;
            }
        }
        return (tree, r.Self);
    }

    /// <summary>
    /// CPU seconds of a process's threads so far, summed by thread name (.NET names its threads: ".NET TP Worker",
    /// ".NET Tiered Com", ".NET GC", "Console logger"...): where a process's own time goes, without a profiler.
    /// </summary>
    public static Dictionary<string, double> ByThreadName(int pid)
    {
        var byName = new Dictionary<string, double>(StringComparer.Ordinal);
        try
        {
            foreach (string task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                try
                {
                    string text = File.ReadAllText(Path.Combine(task, "stat"));
                    string name = text[(text.IndexOf('(') + 1)..text.LastIndexOf(')')];
                    string[] f = text[(text.LastIndexOf(')') + 2)..].Split(' ');
                    double seconds = (long.Parse(f[11], CultureInfo.InvariantCulture) + long.Parse(f[12], CultureInfo.InvariantCulture)) / TicksPerSecond;
                    byName[name] = byName.GetValueOrDefault(name) + seconds;
                }
                catch (IOException)
                {
                    // the thread ended meanwhile
                }
            }
        }
        catch (IOException)
        {
        }
        return byName;
    }

    /// <summary>
    /// Context switches of a process's threads so far (voluntary and not), summed by thread name: each is a thread put
    /// to sleep or woken, which costs more than the work it wakes for when that work is small (a timer's tick, a look).
    /// </summary>
    public static Dictionary<string, long> ContextSwitchesByThreadName(int pid)
    {
        var byName = new Dictionary<string, long>(StringComparer.Ordinal);
        try
        {
            foreach (string task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                try
                {
                    string? name = null;
                    long switches = 0;
                    foreach (string line in File.ReadLines(Path.Combine(task, "status")))
                    {
                        if (line.StartsWith("Name:", StringComparison.Ordinal))
                        {
                            name = line[5..].Trim();
                        }
                        else if (line.StartsWith("voluntary_ctxt_switches:", StringComparison.Ordinal)
                            || line.StartsWith("nonvoluntary_ctxt_switches:", StringComparison.Ordinal))
                        {
                            switches += long.Parse(line[(line.IndexOf(':') + 1)..].Trim(), CultureInfo.InvariantCulture);
                        }
                    }
                    if (name is not null)
                    {
                        byName[name] = byName.GetValueOrDefault(name) + switches;
                    }
                }
                catch (IOException)
                {
                    // the thread ended meanwhile
                }
            }
        }
        catch (IOException)
        {
        }
        return byName;
    }

    /// <summary>The peak resident set of a process (VmHWM) in MiB; null when it is gone.</summary>
    public static double? PeakRssMb(int pid)
    {
        try
        {
            foreach (string line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    return long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024.0;
                }
            }
        }
        catch (IOException)
        {
        }
        return null;
    }

    private static List<int> Descendants(int root)
    {
        var all = new List<int>();
        var queue = new Queue<int>([root]);
        while (queue.Count > 0)
        {
            int pid = queue.Dequeue();
            foreach (int child in Children(pid))
            {
                all.Add(child);
                queue.Enqueue(child);
            }
        }
        return all;
    }

    private static List<int> Children(int pid)
    {
        var result = new List<int>();
        try
        {
            foreach (string task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                string path = Path.Combine(task, "children");
                if (File.Exists(path))
                {
                    result.AddRange(File.ReadAllText(path).Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(s => int.Parse(s, CultureInfo.InvariantCulture)));
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return result;
    }
}
