using Cctv.Shared.Domain;

namespace Cctv.Shared.Gcp.Firestore;

/// <summary>
/// The evidence part of the Firestore catalog: <c>recorder_keys/{recorder}</c> {keys: [{fingerprint, public_key,
/// registered_at, previous_fingerprint}, ...]}, every key the recorder ID registered, oldest first, in one document (a
/// recorder has a handful of keys in its life). The first key is a create, each later one an update guarded by the
/// update time it was read with, so racing registrations never lose a key. <c>chain_breaks/{recorder~camera}</c>
/// {breaks: [...]}, the breaks found in a camera's chain (rare: one document per camera, appended the same way).
/// </summary>
public sealed partial class FirestoreCatalog
{
    public const string RecorderKeysCollection = "recorder_keys";
    public const string ChainBreaksCollection = "chain_breaks";

    private const string BreaksField = "breaks";

    private const string KeysField = "keys";
    private const string FingerprintField = "fingerprint";
    private const string PublicKeyField = "public_key";
    private const string RegisteredAtField = "registered_at";

    public async Task<RecorderKeyOutcome> RegisterRecorderKeyAsync(RecorderKey key, CancellationToken cancellationToken)
    {
        key.Validate();
        string name = _client.DocumentName(RecorderKeysCollection, key.RecorderId);
        return await Guarded(name, async ct =>
        {
            FirestoreDocument? doc = await _client.GetAsync(name, ct);
            List<RecorderKey> keys = doc is null ? [] : KeysOf(key.RecorderId, doc);
            if (keys.Any(k => k.Fingerprint == key.Fingerprint))
            {
                return RecorderKeyOutcome.AlreadyRegistered;
            }
            RecorderKey stored = key with { RegisteredAt = _time.GetUtcNow(), PreviousFingerprint = keys.Count > 0 ? keys[^1].Fingerprint : null };
            var fields = new Dictionary<string, object?> { [KeysField] = keys.Append(stored).Select(FieldsOf).ToList() };
            await _client.CommitAsync([doc is null ? FirestoreWrite.Create(name, fields) : FirestoreWrite.UpdateIfUnchanged(name, fields, doc.UpdateTime)], ct);
            return keys.Count > 0 ? RecorderKeyOutcome.Rotated : RecorderKeyOutcome.Registered;
        }, cancellationToken);
    }

    public async Task<IReadOnlyList<RecorderKey>> ListRecorderKeysAsync(string recorderId, CancellationToken cancellationToken)
    {
        if (!Identifiers.IsValidSlug(recorderId))
        {
            return [];
        }
        return await _client.GetAsync(_client.DocumentName(RecorderKeysCollection, recorderId), cancellationToken) is { } doc
            ? KeysOf(recorderId, doc)
            : [];
    }

    private static Dictionary<string, object?> FieldsOf(RecorderKey k) => new()
    {
        [FingerprintField] = k.Fingerprint,
        [PublicKeyField] = k.PublicKey,
        [RegisteredAtField] = k.RegisteredAt,
        [PreviousFingerprintField] = k.PreviousFingerprint,
    };

    private static List<RecorderKey> KeysOf(string recorderId, FirestoreDocument doc) =>
        (doc[KeysField] as IReadOnlyList<object?> ?? [])
            .OfType<IReadOnlyDictionary<string, object?>>()
            .Select(m => new RecorderKey(recorderId, (string)m[FingerprintField]!, (string)m[PublicKeyField]!, (DateTimeOffset)m[RegisteredAtField]!,
                m.TryGetValue(PreviousFingerprintField, out object? previous) ? previous as string : null))
            .ToList();

    public async Task RecordChainBreakAsync(ChainBreakRecord chainBreak, CancellationToken cancellationToken)
    {
        string name = _client.DocumentName(ChainBreaksCollection, chainBreak.Camera.ToString());
        await Guarded(name, async ct =>
        {
            FirestoreDocument? doc = await _client.GetAsync(name, ct);
            List<ChainBreakRecord> breaks = doc is null ? [] : BreaksOf(doc);
            if (breaks.Any(b => b.Id == chainBreak.Id))
            {
                return false;
            }
            var fields = new Dictionary<string, object?> { [BreaksField] = breaks.Append(chainBreak).Select(FieldsOf).ToList() };
            await _client.CommitAsync([doc is null ? FirestoreWrite.Create(name, fields) : FirestoreWrite.UpdateIfUnchanged(name, fields, doc.UpdateTime)], ct);
            return true;
        }, cancellationToken);
    }

    public async Task<IReadOnlyList<ChainBreakRecord>> ListChainBreaksAsync(CameraKey camera, CancellationToken cancellationToken) =>
        await _client.GetAsync(_client.DocumentName(ChainBreaksCollection, camera.ToString()), cancellationToken) is { } doc ? BreaksOf(doc) : [];

    private static Dictionary<string, object?> FieldsOf(ChainBreakRecord b) => new()
    {
        ["id"] = b.Id,
        ["recorder_id"] = b.RecorderId,
        ["camera_id"] = b.CameraId,
        ["kind"] = b.Kind,
        ["where"] = b.Where,
        ["detail"] = b.Detail,
        ["from"] = b.From,
        ["to"] = b.To,
        ["manifest_object"] = b.ManifestObject,
        ["detected_at"] = b.DetectedAt,
    };

    private static List<ChainBreakRecord> BreaksOf(FirestoreDocument doc) =>
        (doc[BreaksField] as IReadOnlyList<object?> ?? [])
            .OfType<IReadOnlyDictionary<string, object?>>()
            .Select(m => new ChainBreakRecord((string)m["id"]!, (string)m["recorder_id"]!, (string)m["camera_id"]!, (string)m["kind"]!, (string)m["where"]!,
                (string)m["detail"]!, m.GetValueOrDefault("from") as DateTimeOffset?, m.GetValueOrDefault("to") as DateTimeOffset?, (string)m["manifest_object"]!,
                (DateTimeOffset)m["detected_at"]!))
            .ToList();
}
