namespace Cctv.EdgeRecorder.Pipeline;

/// <summary>
/// Wakes the sealer when FFmpeg opens a new segment file anywhere in the spool: that closes the segment before it
/// (FFmpeg flushes the closed segment's line to its segment list before it creates the next file). Only names are
/// watched (inotify create/rename/delete), never writes, so a camera costs one notification per segment, not one per
/// write. If the kernel's queue overflows, the watcher wakes the sealer too; the sealer's slow safety pass catches
/// anything a notification missed.
/// </summary>
public sealed class SegmentWatcher : IDisposable
{
    private readonly FileSystemWatcher _watcher;

    public SegmentWatcher(string spool, PipelineSignal segmentsChanged)
    {
        Directory.CreateDirectory(spool);
        _watcher = new FileSystemWatcher(spool, "seg_*.mp4")
        {
            IncludeSubdirectories = true,
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName,
        };
        _watcher.Created += (_, _) => segmentsChanged.Set();
        _watcher.Renamed += (_, _) => segmentsChanged.Set();
        _watcher.Error += (_, _) => segmentsChanged.Set();
        _watcher.EnableRaisingEvents = true;
    }

    public void Dispose() => _watcher.Dispose();
}
