using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;

namespace Cctv.EdgeRecorder.Pipeline;

/// <summary>
/// Gives the C library's free memory back to the kernel. glibc gives pages back by itself only from the top of its heap;
/// <c>malloc_trim(0)</c> gives back every whole free page (glibc 2.8 and later), here what the start's compiles, SQLite and
/// TLS freed. A C library without it (musl) has nothing to call.
/// </summary>
/// <remarks>
/// The 11 MiB of [heap] this was written for (16 cameras, tiered compilation off) turned out to be mostly the runtime's
/// cache of the JIT's freed scratch memory (up to 16 MiB, JitHostMaxSlabCache), which the systemd unit now turns off;
/// with it off the first trim gives back about half a MiB (12th session: [heap] 2.5 to 1.9 MiB).
/// </remarks>
internal static class NativeHeap
{
    /// <summary>The first trim: after the start's compiling, most of which is over by then.</summary>
    public static readonly TimeSpan AfterStart = TimeSpan.FromMinutes(1);
    /// <summary>Then now and again, for what later compiles, SQLite and TLS free.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(10);

    /// <summary>Gives every whole free page of the C library's heaps back to the kernel; false where the C library cannot.</summary>
    public static bool Trim()
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }
        try
        {
            _ = MallocTrim(0); // 1 when it gave pages back, 0 when there were none to give
            return true;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            return false; // and RunAsync asks no more
        }
    }

    /// <summary>Trims <see cref="AfterStart"/> after it is called, then every <see cref="Interval"/>, until <paramref name="stopping"/>.</summary>
    /// <remarks>It waits on the agent's beat, which runs anyway while the agent does: one timer fewer in the runtime's timer queues.</remarks>
    public static async Task RunAsync(Metronome beat, ILogger log, CancellationToken stopping)
    {
        TimeSpan wait = AfterStart;
        while (true)
        {
            try
            {
                await beat.WaitAsync(wait, stopping);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            bool said = log.IsEnabled(LogLevel.Debug); // the resident set is read only for the line that shows it
            long before = said ? Environment.WorkingSet : 0;
            if (!Trim())
            {
                log.LogDebug("The C library has no malloc_trim: its free memory stays with the agent");
                return;
            }
            if (said)
            {
                log.LogDebug("Free native memory given back: resident {Before} MiB, now {After} MiB", before >> 20, Environment.WorkingSet >> 20);
            }
            wait = Interval;
        }
    }

    [DllImport("libc", EntryPoint = "malloc_trim")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int MallocTrim(nuint pad);
}
