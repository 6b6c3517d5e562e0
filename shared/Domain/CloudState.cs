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
        [CloudState.Archived] = [CloudState.Staged],
        [CloudState.Quarantined] = [CloudState.Announced, CloudState.Staged],
        // Only a recording whose object is neither staged nor archived can be lost: a staged one is in the cloud already
        // and the finalize path (or the sweep) archives it; an archived or expired one was delivered.
        [CloudState.Lost] = [CloudState.Announced, CloudState.Quarantined],
        // Retention deletes only archived recordings; expired is final (never staged or archived again).
        [CloudState.Expired] = [CloudState.Archived],
    };

    /// <summary>The states a recording may move to <paramref name="target"/> from; none for <see cref="CloudState.Announced"/> (a recording starts there).</summary>
    public static IReadOnlyList<CloudState> From(CloudState target) => Table.TryGetValue(target, out IReadOnlyList<CloudState>? from) ? from : [];
}
