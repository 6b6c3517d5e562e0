using System.Collections.Concurrent;

namespace Cctv.EdgeRecorder.Pipeline;

/// <summary>
/// Which run directories FFmpeg has created a segment file in since a reader last looked, as the spool's
/// <see cref="SegmentWatcher"/> hears it: the live tailer, each camera's progress check and the sealer's pass over the runs
/// ask whether a run's next segment exists only when its directory had one, instead of a stat of a missing file on every
/// look (four a second per camera for the tailer; at 16 cameras those stats were a tenth of the agent's system calls). Without a watcher feeding it (a
/// command, a test that builds a stage alone) or after the kernel's queue overflowed, every look asks, as before.
/// </summary>
public sealed class SegmentArrivals
{
    private readonly ConcurrentDictionary<string, long> _byDirectory = new(StringComparer.Ordinal);
    /// <summary>Grows when a notification may have been lost (the queue overflowed, the watcher failed or stopped): every directory may have changed.</summary>
    private long _everywhere;
    private int _watchers;

    /// <summary>Whether a watcher is feeding this now; until one is, <see cref="MarkOf"/> never stays the same.</summary>
    public bool Watching => Volatile.Read(ref _watchers) > 0;

    /// <summary>
    /// What a reader remembers of <paramref name="directory"/>: take it before looking at the directory, and look again
    /// when a later mark differs. While nobody watches, each mark is new.
    /// </summary>
    public Mark MarkOf(string directory) =>
        Watching ? new Mark(_byDirectory.GetValueOrDefault(directory), Volatile.Read(ref _everywhere)) : new Mark(-1, Interlocked.Increment(ref _everywhere));

    /// <summary>The longest a reader goes without looking for a run's next segment file, whatever the watcher said.</summary>
    public static readonly TimeSpan SafetyLook = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Whether a reader that last looked at <paramref name="lookedAt"/>, with <paramref name="looked"/> then, must look again at
    /// <paramref name="now"/>, when the mark is <paramref name="mark"/>: a new file arrived (or may have), the safety look is
    /// due, or the clock stepped back.
    /// </summary>
    public static bool LookAgain(Mark? looked, DateTimeOffset lookedAt, Mark mark, DateTimeOffset now) =>
        mark != looked || now - lookedAt >= SafetyLook || now < lookedAt;

    /// <summary>A segment file appeared (created, or renamed into place) at <paramref name="path"/>.</summary>
    public void Arrived(string path)
    {
        if (Path.GetDirectoryName(path) is { } directory)
        {
            _byDirectory.AddOrUpdate(directory, 1, (_, n) => n + 1);
        }
    }

    /// <summary>Notifications may have been lost: every directory counts as changed.</summary>
    public void Lost() => Interlocked.Increment(ref _everywhere);

    /// <summary>A run directory no reader looks at any more (its run ended): its count goes.</summary>
    public void Forget(string directory) => _byDirectory.TryRemove(directory, out _);

    internal void WatcherStarted() => Interlocked.Increment(ref _watchers);

    internal void WatcherStopped()
    {
        Interlocked.Decrement(ref _watchers);
        Lost();
    }

    /// <summary>A directory's count of arrivals and the count of possible losses, at one moment.</summary>
    public readonly record struct Mark(long Arrivals, long Losses);
}
