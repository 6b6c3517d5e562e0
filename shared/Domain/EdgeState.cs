namespace Cctv.Shared.Domain;

/// <summary>Where a segment is in its life on the edge (the outbox row's state). See docs/architecture.md.</summary>
public enum EdgeState
{
    /// <summary>Closed, fsynced, hashed; waiting for its upload.</summary>
    Sealed,
    /// <summary>An upload is under way (for resumable uploads, the session URI is stored).</summary>
    Uploading,
    /// <summary>The object store holds it with the CRC32C we computed.</summary>
    Uploaded,
    /// <summary>The cloud catalog says archived; the local copy is no longer needed.</summary>
    Verified,
    /// <summary>The local file was removed after verification.</summary>
    Evicted,
    /// <summary>The last attempt failed; retried after a back-off while the file exists.</summary>
    Failed,
    /// <summary>Gone before it was uploaded; the reason was sent to the catalog.</summary>
    Lost,
    /// <summary>The cloud catalog says expired (retention deleted it from the archive): final, never uploaded again.</summary>
    Expired,
}

/// <summary>Where a recording is in its life in the cloud (the catalog document's state).</summary>
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
/// The cloud state machine in one table: for each target state, the states a recording may move to it from.
/// Every catalog adapter reads it, so the rule is stated once.
/// </summary>
public static class CloudTransitions
{
    /// <summary>A finalize event was seen for an announced (or quarantined, then re-uploaded) recording.</summary>
    public static readonly IReadOnlyList<CloudState> ToStaged = [CloudState.Announced, CloudState.Quarantined];

    public static readonly IReadOnlyList<CloudState> ToArchived = [CloudState.Staged];

    public static readonly IReadOnlyList<CloudState> ToQuarantined = [CloudState.Announced, CloudState.Staged];

    /// <summary>
    /// Only a recording whose object is neither staged nor archived can be lost: a staged one is in the cloud already
    /// and the finalize path (or the sweep) archives it; an archived or expired one was delivered.
    /// </summary>
    public static readonly IReadOnlyList<CloudState> ToLost = [CloudState.Announced, CloudState.Quarantined];

    /// <summary>Retention deletes only archived recordings; expired is final (never staged or archived again).</summary>
    public static readonly IReadOnlyList<CloudState> ToExpired = [CloudState.Archived];
}

public static class StateNames
{
    public static string ToWire(this EdgeState state) => state.ToString().ToLowerInvariant();

    public static string ToWire(this CloudState state) => state.ToString().ToLowerInvariant();

    public static EdgeState ParseEdge(string value) =>
        Enum.TryParse(value, ignoreCase: true, out EdgeState s) ? s : throw new FormatException($"Unknown edge state '{value}'.");

    public static CloudState ParseCloud(string value) =>
        Enum.TryParse(value, ignoreCase: true, out CloudState s) ? s : throw new FormatException($"Unknown cloud state '{value}'.");
}
