namespace Cctv.Testing.Gcs;

/// <summary>What the server has seen so far (a snapshot).</summary>
/// <param name="Requests">Every HTTP request.</param>
/// <param name="SessionsStarted">Resumable sessions initiated.</param>
/// <param name="StatusQueries">Session PUTs with <c>Content-Range: bytes */N</c> and no data.</param>
/// <param name="Chunks">Session PUTs that carried data.</param>
/// <param name="ObjectsCommitted">Object generations written (uploads, rewrites, copies).</param>
/// <param name="PreconditionFailures">412 answers.</param>
/// <param name="ChecksumMismatches">Uploads refused because a CRC32C or MD5 did not match.</param>
/// <param name="FaultsInjected">Faults injected, by kind (every kind present, 0 when none).</param>
/// <param name="SessionsCompleted">Resumable sessions that created their object (by a last chunk, or by <c>bytes */N</c>).</param>
/// <param name="OpenEndedChunks">Chunks of a size not yet known (<c>Content-Range: bytes A-B/*</c>), as a live tail sends them.</param>
/// <param name="RequestsByKind">Requests by kind (every single kind of <see cref="GcsRequestKinds"/> present, 0 when none): what a
/// benchmark counts as requests per camera-hour. A request whose path is not the API's is in <see cref="Requests"/> only.</param>
public sealed record GcsServerCounters(
    long Requests,
    long SessionsStarted,
    long StatusQueries,
    long Chunks,
    long ObjectsCommitted,
    long PreconditionFailures,
    long ChecksumMismatches,
    IReadOnlyDictionary<GcsFaultKind, long> FaultsInjected,
    long SessionsCompleted,
    long OpenEndedChunks,
    IReadOnlyDictionary<GcsRequestKinds, long> RequestsByKind)
{
    public long TotalFaults => FaultsInjected.Values.Sum();

    public override string ToString() =>
        $"requests={Requests} sessions={SessionsStarted} completed={SessionsCompleted} openEndedChunks={OpenEndedChunks} statusQueries={StatusQueries} chunks={Chunks} committed={ObjectsCommitted} "
        + $"412s={PreconditionFailures} checksumMismatches={ChecksumMismatches} faults=[{string.Join(", ", FaultsInjected.Where(f => f.Value > 0).Select(f => $"{f.Key}={f.Value}"))}]";
}
