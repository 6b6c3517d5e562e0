using Cctv.Shared.Domain;

namespace Cctv.Shared.Ports;

/// <summary>
/// What finalize learnt from a salvaged object, which the catalog keeps in place of the edge's facts: the bytes the
/// store held (size, and the SHA-256 and CRC32C the cloud computed over them), where the copy was archived, and the
/// covered end time (start + the covered duration read from the media's last whole fragment).
/// </summary>
public sealed record SalvagedCopy(
    long StagingGeneration,
    string ArchiveObject,
    long ArchiveGeneration,
    long FileSize,
    string Sha256,
    string Crc32C,
    DateTimeOffset EndTime,
    string Reason);

public partial interface ICatalog
{
    #region Salvage (issue 12: the cloud finishes what a silent recorder started)

    /// <summary>
    /// Records that the sweep is salvaging a live session whose recording was never announced: creates the recording
    /// from <paramref name="synthesized"/> (start = when the segment was opened, end = the recorder's last confirmed
    /// estimate, size/hashes unknown) in state <see cref="CloudState.Salvaging"/>, with <paramref name="reason"/>.
    /// Create-only: Applied when created, AlreadyDone when it is salvaging already, Refused when the recording exists in
    /// any other state (the recorder announced it: the normal path, or it was salvaged already).
    /// </summary>
    Task<TransitionOutcome> BeginSalvageAsync(RecordingAnnouncement synthesized, string reason, CancellationToken cancellationToken);

    /// <summary>salvaging -> salvaged: the facts of <paramref name="copy"/> replace the synthesized ones (size, hashes, end time, reason).</summary>
    Task<TransitionOutcome> MarkSalvagedAsync(string id, SalvagedCopy copy, CancellationToken cancellationToken);

    /// <summary>
    /// salvaged -> archived with the recorder's own announcement (<see cref="Recording.RecorderAnnouncement"/>, stored
    /// when the recorder announced the recording after the salvage) in place of the salvaged facts, and the archive
    /// object that now holds its full upload. Refused when there is no such announcement or the recording is not salvaged.
    /// </summary>
    Task<TransitionOutcome> ReplaceSalvagedAsync(string id, long stagingGeneration, string archiveObject, long archiveGeneration, CancellationToken cancellationToken);

    /// <summary>
    /// Records why the recorder's full upload did not replace the salvaged copy (<see cref="Recording.ReplacementRefused"/>);
    /// the recording stays salvaged. Applied once; AlreadyDone when a refusal is recorded already; Refused when not salvaged.
    /// </summary>
    Task<TransitionOutcome> KeepSalvagedAsync(string id, string why, CancellationToken cancellationToken);

    #endregion
}
