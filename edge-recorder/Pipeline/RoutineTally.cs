namespace Cctv.EdgeRecorder.Pipeline;

/// <summary>
/// Counts a routine success (a segment sealed, a segment uploaded) so that it is said in one log line an interval
/// instead of one line each: at 16 cameras and 4-second segments a line each was 345,600 lines a day per kind, in the
/// journal of a small box's SD card, and a wake of the console logger's thread each. Safe to count from several threads.
/// </summary>
public sealed class RoutineTally(TimeProvider time, TimeSpan interval)
{
    /// <summary>What was counted over one interval.</summary>
    public sealed record Sum(int Count, long Bytes, int Cameras, TimeSpan Over);

    /// <summary>The interval the stages here use: a line a minute.</summary>
    public static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    private readonly Lock _lock = new();
    private readonly HashSet<string> _cameras = new(StringComparer.Ordinal);
    private DateTimeOffset _since = time.GetUtcNow();
    private int _count;
    private long _bytes;

    public void Add(string cameraId, long bytes)
    {
        lock (_lock)
        {
            _count++;
            _bytes += bytes;
            _cameras.Add(cameraId);
        }
    }

    /// <summary>
    /// When the interval has passed (or the clock went back): what it counted, and a new interval begins; null before, and
    /// when it counted nothing.
    /// </summary>
    public Sum? TakeIfDue()
    {
        DateTimeOffset now = time.GetUtcNow();
        lock (_lock)
        {
            if (now - _since < interval && now >= _since)
            {
                return null;
            }
            Sum? sum = _count > 0 ? new Sum(_count, _bytes, _cameras.Count, now - _since) : null;
            _since = now;
            _count = 0;
            _bytes = 0;
            _cameras.Clear();
            return sum;
        }
    }
}
