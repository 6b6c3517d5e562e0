using System.Security.Cryptography;
using System.Text;

namespace Cctv.Shared.Domain;

/// <summary>
/// A break the cloud found in a camera's evidence chain (docs/evidence-format.md, "Verifying"), as the catalog keeps it:
/// what kind, where in the chain, why, the footage time it concerns when known, the manifest object that showed it, and
/// when it was found. Breaks are never repaired or overwritten: the same break found again (same camera, kind, place
/// and reason) is the same record.
/// </summary>
/// <param name="Kind">missing, reordered, altered, re_signed, unknown_key, bad_signature or foreign.</param>
/// <param name="Where">In the chain's words: "entry 12 (segment run 3 seq 4, ...)", "manifest 5 (entries 20-34)".</param>
public sealed record ChainBreakRecord(
    string Id,
    string RecorderId,
    string CameraId,
    string Kind,
    string Where,
    string Detail,
    DateTimeOffset? From,
    DateTimeOffset? To,
    string ManifestObject,
    DateTimeOffset DetectedAt)
{
    public CameraKey Camera => new(RecorderId, CameraId);

    /// <summary>
    /// The ID of a break: a hash of camera, kind, place and reason, so finding it again (from the next manifest's check,
    /// a repeated event) changes nothing.
    /// </summary>
    public static string IdOf(CameraKey camera, string kind, string where, string detail) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{camera}\n{kind}\n{where}\n{detail}")))[..32];
}
