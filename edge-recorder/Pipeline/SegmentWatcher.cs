namespace Cctv.EdgeRecorder.Pipeline;

/// <summary>
/// Wakes the sealer when FFmpeg opens a new segment file anywhere in the spool: that closes the segment before it
/// (FFmpeg flushes the closed segment's line to its segment list before it creates the next file). Only names are
/// watched (inotify create/rename/delete), never writes, so a camera costs one notification per segment, not one per
/// write. If the kernel's queue overflows, the watcher wakes the sealer too; the sealer's slow safety pass catches
/// anything a notification missed. Each new file's directory is also told to <see cref="SegmentArrivals"/>, which spares
/// the live tailer and the cameras' progress checks their look for a next file that is not there yet.
/// </summary>
public sealed class SegmentWatcher : IDisposable
{
    private readonly FileSystemWatcher _watcher;
    private readonly SegmentArrivals? _arrivals;

    public SegmentWatcher(string spool, PipelineSignal segmentsChanged, SegmentArrivals? arrivals = null)
    {
        Directory.CreateDirectory(spool);
        _arrivals = arrivals;
        _watcher = new FileSystemWatcher(spool, "seg_*.mp4")
        {
            IncludeSubdirectories = true,
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName,
        };
        _watcher.Created += (_, e) =>
        {
            arrivals?.Arrived(e.FullPath);
            segmentsChanged.Set();
        };
        _watcher.Renamed += (_, e) =>
        {
            arrivals?.Arrived(e.FullPath);
            segmentsChanged.Set();
        };
        _watcher.Error += (_, _) =>
        {
            arrivals?.Lost();
            segmentsChanged.Set();
        };
        _watcher.EnableRaisingEvents = true;
        arrivals?.WatcherStarted();
    }

    public void Dispose()
    {
        _watcher.Dispose();
        _arrivals?.WatcherStopped();
    }
}
