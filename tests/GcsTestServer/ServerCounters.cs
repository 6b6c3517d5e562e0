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
    public long SessionsCompleted;
    public long OpenEndedChunks;
#pragma warning restore CA1051

    /// <summary>Requests by kind, indexed by the kind's bit (one bit per single kind of <see cref="GcsRequestKinds"/>).</summary>
    private readonly long[] _byKind = new long[SingleKinds.Length];

    private static readonly GcsRequestKinds[] SingleKinds =
    [
        GcsRequestKinds.ResumableInitiation, GcsRequestKinds.ResumableChunk, GcsRequestKinds.ResumableStatusQuery,
        GcsRequestKinds.SimpleUpload, GcsRequestKinds.Download, GcsRequestKinds.Metadata,
    ];

    public void Count(GcsRequestKinds kind) => Interlocked.Increment(ref _byKind[Array.IndexOf(SingleKinds, kind)]);

    public GcsServerCounters Snapshot(FaultInjector faults) => new(
        Interlocked.Read(ref Requests),
        Interlocked.Read(ref SessionsStarted),
        Interlocked.Read(ref StatusQueries),
        Interlocked.Read(ref Chunks),
        Interlocked.Read(ref ObjectsCommitted),
        Interlocked.Read(ref PreconditionFailures),
        Interlocked.Read(ref ChecksumMismatches),
        faults.Snapshot(),
        Interlocked.Read(ref SessionsCompleted),
        Interlocked.Read(ref OpenEndedChunks),
        SingleKinds.Select((kind, i) => (kind, Interlocked.Read(ref _byKind[i]))).ToDictionary(k => k.kind, k => k.Item2));
}
