using Cctv.Testing.Gcs.Faults;

namespace Cctv.Testing.Gcs;

/// <summary>The live counters behind <see cref="GcsServerCounters"/>; fields so they can be incremented with <see cref="Interlocked"/>.</summary>
internal sealed class ServerCounters
{
#pragma warning disable CA1051 // Interlocked needs fields; the type is internal.
    public long Requests;
    public long SessionsStarted;
    public long StatusQueries;
    public long Chunks;
    public long ObjectsCommitted;
    public long PreconditionFailures;
    public long ChecksumMismatches;
#pragma warning restore CA1051

    public GcsServerCounters Snapshot(FaultInjector faults) => new(
        Interlocked.Read(ref Requests),
        Interlocked.Read(ref SessionsStarted),
        Interlocked.Read(ref StatusQueries),
        Interlocked.Read(ref Chunks),
        Interlocked.Read(ref ObjectsCommitted),
        Interlocked.Read(ref PreconditionFailures),
        Interlocked.Read(ref ChecksumMismatches),
        faults.Snapshot());
}
