using Cctv.Shared.Domain;
using Cctv.Shared.Ports;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Cctv.Functions.Api;

/// <summary>Settings of the status endpoint.</summary>
/// <param name="RecorderOfflineAfter">A recorder whose last heartbeat arrived longer ago than this is offline.</param>
public sealed record StatusOptions(TimeSpan RecorderOfflineAfter);

/// <summary>
/// <c>GET /api/status</c>: recordings by state, the oldest recording not yet archived, the recorders and which of them
/// are offline, and the share of the last 24 hours' recordings that were archived within 5 minutes of sealing (the
/// seed's target: 99.9%). A catalog that cannot be read is an error (503), never an all-clear.
/// </summary>
public static class StatusApi
{
    public static readonly TimeSpan Window = TimeSpan.FromHours(24);

    public static IEndpointRouteBuilder MapStatusApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/status", GetAsync);
        return app;
    }

    private static async Task<IResult> GetAsync(ICatalog catalog, StatusOptions options, TimeProvider time, HttpContext http, CancellationToken ct)
    {
        http.Response.Headers.CacheControl = "no-store";
        DateTimeOffset now = time.GetUtcNow();
        try
        {
            Task<IReadOnlyDictionary<CloudState, long>> counts = catalog.CountByStateAsync(ct);
            Task<IReadOnlyList<RecorderStatus>> recorders = catalog.ListRecordersAsync(ct);
            // Recordings that ended between 24 h and 5 min ago: each has had its 5 minutes.
            Task<DeliveryStats> delivery = catalog.GetDeliveryStatsAsync(now - Window, now - DeliveryTarget.ArchiveWithin, ct);
            Task<IReadOnlyList<Recording>>[] oldest = [.. ((CloudState[])[CloudState.Announced, CloudState.Staged, CloudState.Quarantined, CloudState.Salvaging])
                .Select(s => catalog.ListByStateAsync(s, 1, ct))];
            await Task.WhenAll([counts, recorders, delivery, .. oldest]);

            Recording? unverified = oldest.SelectMany(t => t.Result).OrderBy(r => r.AnnouncedAt).FirstOrDefault();
            var recorderItems = recorders.Result.Select(r => new
            {
                r.RecorderId,
                LastHeartbeatAt = r.ReceivedAt,
                SilentSeconds = Math.Round((now - r.ReceivedAt).TotalSeconds),
                Offline = now - r.ReceivedAt > options.RecorderOfflineAfter,
                r.Heartbeat.BacklogSegments,
                r.Heartbeat.BacklogBytes,
                r.Heartbeat.OldestBacklogSealedAt,
                r.Heartbeat.AgentVersion,
            }).ToList();
            DeliveryStats d = delivery.Result;
            return Results.Ok(new
            {
                GeneratedAt = now,
                Counts = Enum.GetValues<CloudState>().ToDictionary(s => s.ToWire(), s => counts.Result.GetValueOrDefault(s)),
                OldestUnverified = unverified is null ? null : new
                {
                    unverified.Id,
                    unverified.CameraId,
                    unverified.Announcement.RecorderId,
                    State = unverified.State.ToWire(),
                    unverified.Reason,
                    unverified.Announcement.StartTime,
                    unverified.AnnouncedAt,
                    AgeSeconds = Math.Round((now - unverified.AnnouncedAt).TotalSeconds),
                },
                Recorders = recorderItems,
                RecordersOffline = recorderItems.Where(r => r.Offline).Select(r => r.RecorderId).ToList(),
                ArchivedWithinTarget = new
                {
                    WindowHours = Window.TotalHours,
                    TargetMinutes = DeliveryTarget.ArchiveWithin.TotalMinutes,
                    d.Due,
                    d.OnTime,
                    d.Share,
                    Objective = DeliveryTarget.Objective,
                    Met = d.Share is { } share ? share >= DeliveryTarget.Objective : (bool?)null,
                },
            });
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            return Results.Json(new ApiError("the catalog could not be read: " + e.Message), statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }
}
