using Cctv.EdgeRecorder.Cameras;

namespace Cctv.EdgeRecorder.Pipeline;

/// <summary>
/// The segment files of one run's directory, kept up to date without listing the directory at every pass. FFmpeg
/// numbers a run's segments up from 0, one at a time and never back, so a pass looks only whether the next numbers
/// exist (a stat each) and whether the lowest known file is still there (cleanup takes a run's oldest segments first).
/// Listing the whole directory at each pass cost what the files on disk number: while verification lags nothing is
/// cleaned up, and a camera's run gathers 900 files an hour at 4-second segments. The directory is still listed whole at
/// the first pass and then once every <see cref="FullListingInterval"/>, which catches what looking ahead cannot see:
/// a number skipped, a file removed out of order. With the spool watched (<see cref="SegmentArrivals"/>), a pass looks for
/// the next number only when a new file appeared in the directory, or when it last looked
/// <see cref="SegmentArrivals.SafetyLook"/> ago or more: a seal pass runs over every camera's run each time any camera
/// opens a segment, and its stat of each run's missing next file was most of the sealer's system calls.
/// </summary>
public sealed class RunFiles(string directory, TimeProvider time, SegmentArrivals? arrivals = null)
{
    /// <summary>How often the whole directory is listed again.</summary>
    public static readonly TimeSpan FullListingInterval = TimeSpan.FromMinutes(1);

    private readonly Dictionary<long, string> _files = [];
    private DateTimeOffset _nextListing = DateTimeOffset.MinValue;
    private readonly SegmentArrivals _arrivals = arrivals ?? new SegmentArrivals();
    private SegmentArrivals.Mark? _lookedAhead;
    private DateTimeOffset _lookedAheadAt;

    /// <summary>The run's segment files by number: those seen, less those found gone at the bottom.</summary>
    public IReadOnlyDictionary<long, string> Files => _files;

    /// <summary>The lowest number that may still have a file (every file below it is gone); <see cref="Next"/> when there is none.</summary>
    public long Oldest { get; private set; }

    /// <summary>One above the highest number seen: where FFmpeg's next file will appear.</summary>
    public long Next { get; private set; }

    /// <summary>Brings <see cref="Files"/> up to date. Returns true when the directory was listed whole this time.</summary>
    public bool Refresh()
    {
        DateTimeOffset now = time.GetUtcNow();
        SegmentArrivals.Mark mark = _arrivals.MarkOf(directory); // before looking: a file that appears meanwhile moves it
        if (now >= _nextListing)
        {
            ListAll();
            _nextListing = now + FullListingInterval;
            (_lookedAhead, _lookedAheadAt) = (mark, now);
            return true;
        }
        if (SegmentArrivals.LookAgain(_lookedAhead, _lookedAheadAt, mark, now))
        {
            string next;
            while (File.Exists(next = FfmpegArguments.SegmentFile(directory, Next)))
            {
                _files[Next] = next;
                Next++;
            }
            (_lookedAhead, _lookedAheadAt) = (mark, now);
        }
        while (Oldest < Next && !(_files.TryGetValue(Oldest, out string? path) && File.Exists(path)))
        {
            _files.Remove(Oldest);
            Oldest++;
        }
        return false;
    }

    private void ListAll()
    {
        _files.Clear();
        if (Directory.Exists(directory))
        {
            foreach (string path in Directory.EnumerateFiles(directory, "seg_*.mp4"))
            {
                if (SegmentList.TryParseSequence(Path.GetFileName(path), out long seq))
                {
                    _files[seq] = path;
                }
            }
        }
        if (_files.Count == 0)
        {
            Oldest = Next;
            return;
        }
        Oldest = _files.Keys.Min();
        Next = Math.Max(Next, _files.Keys.Max() + 1);
    }
}
