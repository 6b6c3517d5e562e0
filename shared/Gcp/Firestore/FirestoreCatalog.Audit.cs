using Cctv.Shared.Domain;
using Cctv.Shared.Ports;
using static Cctv.Shared.Gcp.Firestore.CatalogDocuments;

namespace Cctv.Shared.Gcp.Firestore;

/// <summary>
/// The audit of reads in Firestore: <c>audit/{id}</c>, one create-only document per read of one camera's footage,
/// {at, shard, recorder_id, camera_id, principal, action, credential, recording_ids, range_from, range_to,
/// client_address, forwarded_for, request_id}. <c>at</c> grows with time, so (like a recording's start time) it is
/// exempt from single-field indexing and every index over it is led by the recorder or the camera's shard
/// (terraform/firestore.tf, audit-*): a query is one per scope filter (as <see cref="QueryAsync"/>), with an optional
/// equality on the principal, merged here newest first.
/// </summary>
public sealed partial class FirestoreCatalog
{
    public const string AuditCollection = "audit";

    private const string AuditAt = "at";
    private const string AuditAction = "action";
    private const string AuditCredential = "credential";
    private const string AuditRecordingIds = "recording_ids";
    private const string AuditRangeFrom = "range_from";
    private const string AuditRangeTo = "range_to";
    private const string AuditClientAddress = "client_address";
    private const string AuditForwardedFor = "forwarded_for";
    private const string AuditRequestId = "request_id";

    public async Task<AuditEntry> RecordReadAsync(AuditRead read, CancellationToken cancellationToken)
    {
        read.Validate();
        AuditEntry entry = AuditEntry.Stamp(read, _time);
        await _client.CommitAsync([FirestoreWrite.Create(_client.DocumentName(AuditCollection, entry.Id), new Dictionary<string, object?>
        {
            [AuditAt] = entry.At,
            [Shard] = ShardOf(read.Camera.RecorderId, read.Camera.CameraId),
            [RecorderId] = read.Camera.RecorderId,
            [CameraId] = read.Camera.CameraId,
            [PrincipalField] = read.Principal,
            [AuditAction] = read.Action.ToWire(),
            [AuditCredential] = read.Credential,
            [AuditRecordingIds] = read.RecordingIds.ToList(),
            [AuditRangeFrom] = read.From,
            [AuditRangeTo] = read.To,
            [AuditClientAddress] = read.ClientAddress,
            [AuditForwardedFor] = read.ForwardedFor,
            [AuditRequestId] = read.RequestId,
        })], cancellationToken);
        return entry;
    }

    public async Task<AuditPage> QueryAuditAsync(AuditQuery query, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(query.PageSize, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(query.PageSize, AuditQuery.MaxPageSize);
        CatalogScope scope = query.Scope.Narrow(query.Camera is { } camera ? [camera] : null);
        if (query.RecorderId is { } recorder)
        {
            scope = scope.All || scope.Recorders.Contains(recorder)
                ? CatalogScope.Of([recorder], scope.Cameras.Where(k => k.RecorderId == recorder))
                : CatalogScope.Of([], scope.Cameras.Where(k => k.RecorderId == recorder));
        }
        if (scope.IsEmpty)
        {
            return new AuditPage([], null);
        }
        int want = query.PageSize + 1;
        List<AuditEntry>[] found = await Task.WhenAll(ScopeFilters(scope).Select(async filter =>
        {
            FirestoreQuery q = filter(new FirestoreQuery(AuditCollection));
            if (query.Principal is { } principal)
            {
                q = q.Where(PrincipalField, FirestoreOperator.Equal, principal);
            }
            if (query.From is { } from)
            {
                q = q.Where(AuditAt, FirestoreOperator.GreaterThanOrEqual, from);
            }
            if (query.To is { } to)
            {
                q = q.Where(AuditAt, FirestoreOperator.LessThan, to);
            }
            q = q.OrderBy(AuditAt, descending: true).OrderBy(FirestoreQuery.DocumentNameField, descending: true).Limit(want);
            if (query.After is { } after)
            {
                q = q.StartAfter(after.StartTime, new FirestoreReference(_client.DocumentName(AuditCollection, after.Id)));
            }
            return (await _client.RunQueryAsync(q, cancellationToken)).Select(ToAuditEntry).ToList();
        }));
        var items = found.SelectMany(e => e)
            .DistinctBy(e => e.Id, StringComparer.Ordinal)
            .OrderByDescending(e => e.At)
            .ThenByDescending(e => e.Id, StringComparer.Ordinal)
            .Take(want)
            .ToList();
        PageCursor? next = null;
        if (items.Count > query.PageSize)
        {
            items.RemoveAt(query.PageSize);
            next = new PageCursor(items[^1].At, items[^1].Id);
        }
        return new AuditPage(items, next);
    }

    private static AuditEntry ToAuditEntry(FirestoreDocument d) => new(d.Id, d.GetTimestamp(AuditAt), new AuditRead(
        AuditActions.Parse(d.GetString(AuditAction)),
        d.GetString(PrincipalField),
        d.GetNullableString(AuditCredential),
        new CameraKey(d.GetString(RecorderId), d.GetString(CameraId)),
        d[AuditRecordingIds] is List<object?> ids ? [.. ids.Cast<string>()] : [],
        d.GetNullableTimestamp(AuditRangeFrom),
        d.GetNullableTimestamp(AuditRangeTo),
        d.GetNullableString(AuditClientAddress),
        d.GetNullableString(AuditForwardedFor),
        d.GetNullableString(AuditRequestId)));
}
