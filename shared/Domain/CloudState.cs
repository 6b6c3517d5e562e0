namespace Cctv.Shared.Domain;

/// <summary>Where a recording is in its life in the cloud (the catalog document's state). See docs/architecture.md.</summary>
public enum CloudState
{
    /// <summary>The edge said it exists.</summary>
    Announced,
    /// <summary>The staging object's finalize event was seen.</summary>
    Staged,
    /// <summary>Checksums matched; copied to the archive bucket; staging copy removed.</summary>
    Archived,
    /// <summary>The staged object did not match the announcement; a re-upload was requested.</summary>
    Quarantined,
    /// <summary>Will never arrive; the reason says why.</summary>
    Lost,
    /// <summary>Was archived, and deleted from the archive by the retention policy (never while under a legal hold).</summary>
    Expired,
    /// <summary>
    /// Its recorder went silent while the segment was being uploaded live (issue 12): the sweep recorded the salvage and
    /// finished the upload at the bytes the store held; finalize archives them as <see cref="Salvaged"/>.
    /// </summary>
    Salvaging,
    /// <summary>
    /// Archived from the bytes the store held when its recorder went silent (the cloud finished the upload): playable,
    /// with the reason, the SHA-256, size and CRC32C the cloud computed and the covered end time. No edge checksum is
    /// claimed. Replaced by the recorder's full upload if it comes back with the file and the salvaged bytes are its prefix.
    /// </summary>
    Salvaged,
}

/// <summary>
/// The cloud state machine in one table: for each state a recording may move to, the states it may move there from.
/// Every catalog adapter (SQLite, Firestore) reads it through <see cref="From"/>, so the rule is stated once.
/// </summary>
public static class CloudTransitions
{
    public static IReadOnlyDictionary<CloudState, IReadOnlyList<CloudState>> Table { get; } = new Dictionary<CloudState, IReadOnlyList<CloudState>>
    {
        // A finalize event was seen for an announced (or quarantined, then re-uploaded) recording.
        [CloudState.Staged] = [CloudState.Announced, CloudState.Quarantined],
        // (A salvaged recording becomes archived only by its replacement with the recorder's own announcement and full upload,
        // ICatalog.ReplaceSalvagedAsync, once finalize checked the salvaged bytes are a prefix of it: see ReplacedFrom.)
        [CloudState.Archived] = [CloudState.Staged],
        [CloudState.Quarantined] = [CloudState.Announced, CloudState.Staged],
        // Only a recording whose object is neither staged nor archived can be lost: a staged one is in the cloud already
        // and the finalize path (or the sweep) archives it; an archived or expired one was delivered.
        // A salvage whose session held no byte is lost too (its reason says so).
        [CloudState.Lost] = [CloudState.Announced, CloudState.Quarantined, CloudState.Salvaging],
        // A salvage starts as its own create (ICatalog.BeginSalvageAsync), never from another state; finalize archives it.
        [CloudState.Salvaged] = [CloudState.Salvaging],
        // Retention deletes archived and salvaged recordings (both hold an archive copy); expired is final (never staged or archived again).
        [CloudState.Expired] = [CloudState.Archived, CloudState.Salvaged],
    };

    /// <summary>The state from which a recording is replaced by its recorder's full upload (becoming archived).</summary>
    public const CloudState ReplacedFrom = CloudState.Salvaged;

    /// <summary>States whose recording has a copy in the archive that can be played (signed, exported, held).</summary>
    public static bool HasArchiveCopy(this CloudState state) => state is CloudState.Archived or CloudState.Salvaged;

    /// <summary>The states a recording may move to <paramref name="target"/> from; none for <see cref="CloudState.Announced"/> (a recording starts there).</summary>
    public static IReadOnlyList<CloudState> From(CloudState target) => Table.TryGetValue(target, out IReadOnlyList<CloudState>? from) ? from : [];
}
