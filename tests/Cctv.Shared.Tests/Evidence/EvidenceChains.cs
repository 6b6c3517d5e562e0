using System.Security.Cryptography;
using System.Text;
using Cctv.Shared.Domain;
using Cctv.Shared.Evidence;

namespace Cctv.Shared.Tests.Evidence;

/// <summary>
/// A camera's chain as a recorder writes it, for tests: segments and a gap, a manifest every few entries, signed with
/// the recorder's own key. Two recorders each have a <c>cam1</c>, so tests can mix their evidence.
/// </summary>
internal sealed class EvidenceChain : IDisposable
{
    public static readonly DateTimeOffset T0 = new(2026, 12, 1, 8, 0, 0, TimeSpan.Zero);

    public EvidenceChain(string recorderId, string cameraId = "cam1", int segments = 9, int perManifest = 3)
    {
        Camera = new CameraKey(recorderId, cameraId);
        Key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        PublicKey = EvidencePublicKey.Of(Key);
        ChainEntry? last = null;
        DateTimeOffset t = T0;
        for (int i = 0; i < segments; i++)
        {
            if (i == segments / 2)
            {
                last = ChainEntry.NextGap(Camera, last, t, t.AddSeconds(30), "camera offline");
                Entries.Add(last);
                t = t.AddSeconds(30);
            }
            byte[] bytes = SegmentBytes(i);
            last = ChainEntry.NextSegment(Camera, last, run: i < segments / 2 ? 1 : 2, sequence: i, t, t.AddSeconds(4), bytes.Length,
                Convert.ToHexStringLower(SHA256.HashData(bytes)));
            Entries.Add(last);
            Files[last.RecordingId!] = bytes;
            t = t.AddSeconds(4);
        }
        ChainManifest? manifest = null;
        for (int head = perManifest - 1; ; head += perManifest)
        {
            head = Math.Min(head, Entries.Count - 1);
            manifest = ChainManifest.Next(manifest, Camera, PublicKey.Fingerprint, Entries[head], T0.AddMinutes(Manifests.Count + 1));
            Manifests.Add(manifest);
            Signed.Add(SignedManifest.Sign(manifest, Key));
            if (head == Entries.Count - 1)
            {
                break;
            }
        }
    }

    public CameraKey Camera { get; }
    public ECDsa Key { get; }
    public EvidencePublicKey PublicKey { get; }
    public List<ChainEntry> Entries { get; } = [];
    public List<ChainManifest> Manifests { get; } = [];
    public List<SignedManifest> Signed { get; } = [];
    public Dictionary<string, byte[]> Files { get; } = [];

    public List<byte[]> EntryBytes => Entries.Select(e => e.Bytes).ToList();

    public ChainEvidence Evidence(List<SignedManifest>? manifests = null, List<byte[]>? entries = null, IReadOnlyCollection<EvidencePublicKey>? keys = null,
        bool withSegments = false) =>
        new(Camera, manifests ?? Signed, entries ?? EntryBytes, keys ?? [PublicKey], withSegments ? FactsOf : null);

    public SegmentFacts? FactsOf(ChainEntry entry) =>
        Files.TryGetValue(entry.RecordingId!, out byte[]? bytes) ? new SegmentFacts(bytes.Length, Convert.ToHexStringLower(SHA256.HashData(bytes))) : null;

    /// <summary>Each segment's own bytes: a test that changes one byte changes that segment only.</summary>
    private byte[] SegmentBytes(int i) => Encoding.UTF8.GetBytes($"{Camera} segment {i} " + new string('x', 100 + i));

    public void Dispose() => Key.Dispose();
}
