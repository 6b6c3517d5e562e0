using System.Security.Cryptography;
using Cctv.Shared.Domain;
using Cctv.Shared.Evidence;
using Cctv.Shared.Hashing;
using Cctv.Shared.Local;
using Cctv.Shared.Ports;
using Cctv.TestSupport.Sites;

namespace Cctv.Functions.Tests.Evidence;

/// <summary>A recorder's signed evidence chain over the two-site fixture's recordings of a camera, archived as the finalize path keeps it.</summary>
internal static class SignedChains
{
    /// <summary>A time cut to whole milliseconds, as evidence times are.</summary>
    public static DateTimeOffset Ms(DateTimeOffset t) => DateTimeOffset.FromUnixTimeMilliseconds(t.ToUnixTimeMilliseconds());

    /// <summary>
    /// The camera's recorder (its key made here and registered, kept in <paramref name="keys"/>) signs its chain (its
    /// archived recordings, then the catalog's gap) a manifest every two entries and one at the end, archived under their names.
    /// </summary>
    public static async Task SignAsync(ICatalog catalog, IObjectStore store, TwoSites sites, CameraKey camera, Dictionary<string, ECDsa> keys)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        keys[camera.RecorderId] = key;
        await catalog.RegisterRecorderKeyAsync(RecorderKey.Of(camera.RecorderId, key.ExportSubjectPublicKeyInfo(), Ms(sites.Start.AddHours(-1))), CancellationToken.None);
        var entries = new List<ChainEntry>();
        foreach (Recording r in sites.Recordings[camera])
        {
            RecordingAnnouncement a = r.Announcement;
            entries.Add(ChainEntry.NextSegment(camera, entries.LastOrDefault(), a.Run, a.Sequence, a.StartTime, a.EndTime, a.FileSize, a.Sha256));
        }
        RecordingGap gap = sites.Gaps[camera];
        entries.Add(ChainEntry.NextGap(camera, entries[^1], Ms(gap.StartTime), Ms(gap.EndTime!.Value), gap.Reason));
        ChainManifest? previous = null;
        foreach (int head in Enumerable.Range(0, entries.Count).Where(i => i % 2 == 1 || i == entries.Count - 1))
        {
            previous = ChainManifest.Next(previous, camera, EvidencePublicKey.Of(key).Fingerprint, entries[head], Ms(sites.Start.AddMinutes(head)));
            byte[] bytes = ManifestFile.Of(SignedManifest.Sign(previous, key), entries.Skip((int)previous.First).Take((int)(previous.Last - previous.First + 1))).ToBytes();
            await store.UploadAsync(new UploadRequest(LocalBackend.ArchiveBucket, ObjectNames.Manifest(camera, previous.Sequence), ManifestFile.ContentType,
                Crc32C.ToBase64(Crc32C.Compute(bytes)), null, 0, new Dictionary<string, string>()), new MemoryStream(bytes), CancellationToken.None);
        }
    }
}
