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
public sealed record GcsServerCounters(
    long Requests,
    long SessionsStarted,
    long StatusQueries,
    long Chunks,
    long ObjectsCommitted,
    long PreconditionFailures,
    long ChecksumMismatches,
    IReadOnlyDictionary<GcsFaultKind, long> FaultsInjected)
{
    public long TotalFaults => FaultsInjected.Values.Sum();

    public override string ToString() =>
        $"requests={Requests} sessions={SessionsStarted} statusQueries={StatusQueries} chunks={Chunks} committed={ObjectsCommitted} "
        + $"412s={PreconditionFailures} checksumMismatches={ChecksumMismatches} faults=[{string.Join(", ", FaultsInjected.Where(f => f.Value > 0).Select(f => $"{f.Key}={f.Value}"))}]";
}
