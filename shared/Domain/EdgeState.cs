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
