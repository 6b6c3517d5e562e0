using System.Net.Http.Headers;
using System.Text.Json;
using Cctv.EdgeRecorder.Outbox;
using Cctv.Shared.Domain;
using Cctv.Shared.Gcp.PubSub;
using Cctv.Shared.Ports;
using Cctv.Testing.Gcs;
using Microsoft.Extensions.Logging;

namespace Cctv.Cloud.Tests;

/// <summary>
/// The whole gcp path: recorder -> test GCS server -> finalize events as CloudEvents -> functions host -> Firestore
/// emulator -> archived, through everything the event path can do wrong, with nothing lost and nothing archived twice.
/// </summary>
[Collection(EmulatorsCollection.Name)]
[Trait("Category", "Slow")]
public sealed class GcpEndToEndTests(EmulatorsFixture emulators)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(45);

    [Fact]
    public async Task Segments_AreArchived_ThroughDuplicatedReorderedAndLostEvents_AMismatch_ARetry_AndADeadLetter_NothingLostNothingArchivedTwice()
    {
        await using GcpStack stack = await GcpStack.StartAsync(emulators);
        using var edge = new EdgeSite(stack.Store, GcpStack.Staging, stack.Catalog);
        OutboxSegment[] s = [.. Enumerable.Range(0, 8).Select(_ => edge.Seal(300_000))];
        (OutboxSegment normal, OutboxSegment duplicated, OutboxSegment lost, OutboxSegment late) = (s[0], s[1], s[2], s[3]);
        (OutboxSegment early, OutboxSegment corrupted, OutboxSegment poisoned, OutboxSegment transient) = (s[4], s[5], s[6], s[7]);
        var plans = new Dictionary<string, EventPlan>
        {
            [duplicated.ObjectName] = EventPlan.Duplicate,
            [lost.ObjectName] = EventPlan.Drop,
            [late.ObjectName] = EventPlan.Hold,
            [corrupted.ObjectName] = EventPlan.Hold,
            [poisoned.ObjectName] = EventPlan.Hold,
            [transient.ObjectName] = EventPlan.Hold,
        };
        stack.Eventarc.Plan = o => plans.GetValueOrDefault(o.Name, EventPlan.Deliver);
        // Other bytes already sit at the poisoned recording's archive name: archiving it fails on every attempt.
        string poisonedArchive = ObjectNames.Archive(new CameraKey(EdgeSite.RecorderId, EdgeSite.Camera), poisoned.StartTime, poisoned.Id);
        stack.Gcs.PutObject(GcpStack.ArchiveBucket, poisonedArchive, "someone else's bytes"u8.ToArray(), "video/mp4");

        // 1. The recorder announces and uploads every segment; the events that are delivered archive theirs, duplicates included.
        await edge.AnnounceAsync();
        await UploadAllAsync(edge, s.Length);
        await stack.Eventarc.WaitIdleAsync(Patience);
        foreach (OutboxSegment a in (OutboxSegment[])[normal, duplicated, early])
        {
            Assert.Equal(CloudState.Archived, await StateAsync(stack, a));
        }
        Assert.Equal(CloudState.Announced, await StateAsync(stack, late));

        // 2. Out of order: the older segment's event arrives after the newer one's.
        Assert.Equal(1, stack.Eventarc.Release(late.ObjectName));
        await WaitForAsync(stack, late, CloudState.Archived);

        // 3. A checksum mismatch: the staged object is replaced by other bytes (same size, one bit flipped) before its
        //    events are delivered, newest first. Quarantined, the staged copy removed.
        byte[] flipped = File.ReadAllBytes(corrupted.Path);
        flipped[flipped.Length / 2] ^= 0x01;
        stack.Gcs.PutObject(GcpStack.Staging, corrupted.ObjectName, flipped, "video/mp4");
        Assert.Equal(2, stack.Eventarc.Release(corrupted.ObjectName, newestFirst: true));
        Recording quarantined = await WaitForAsync(stack, corrupted, CloudState.Quarantined);
        Assert.Contains("CRC32C", quarantined.Reason);
        await stack.Eventarc.WaitIdleAsync(Patience);
        Assert.Null(stack.Gcs.Find(GcpStack.Staging, corrupted.ObjectName));
        plans[corrupted.ObjectName] = EventPlan.Deliver;

        // 4. A transient failure: Cloud Storage answers 503 once while the event is processed (to this object's request:
        //    another request in flight must not take the fault and let it through without a retry). The object goes to the
        //    retry topic, the event is acknowledged, and Pub/Sub's push (with its OIDC token) archives it.
        stack.Gcs.InjectFault(GcsFaultKind.Http503, GcsRequestKinds.Metadata, objectName: transient.ObjectName);
        stack.Eventarc.Release(transient.ObjectName);
        await WaitForAsync(stack, transient, CloudState.Archived);
        Assert.True(
            await stack.Relay.WaitForPushAsync(p => p.RecordingId == transient.Id && p.Status == 204, Patience),
            "no push of the transient segment was answered 204: " + string.Join(", ", stack.Relay.Pushes));
        Assert.NotEmpty(stack.Logs.Find(LogLevel.Warning, transient.ObjectName, "handed to the retry topic"));

        // 5. A retry that keeps failing: every push is refused, and after its 5 attempts Pub/Sub moves it to the dead-letter topic.
        stack.Eventarc.Release(poisoned.ObjectName);
        PubSubReceivedMessage dead = Assert.Single(await stack.DeadLettersAsync(1, Patience));
        Assert.Equal(poisoned.Id, dead.Attributes["recording_id"]);
        Assert.Equal(GcpStack.MaxDeliveryAttempts.ToString(System.Globalization.CultureInfo.InvariantCulture), dead.Attributes["CloudPubSubDeadLetterSourceDeliveryCount"]);
        var poisonedPushes = stack.Relay.Pushes.Where(p => p.RecordingId == poisoned.Id).ToList();
        Assert.Equal(GcpStack.MaxDeliveryAttempts, poisonedPushes.Count);
        Assert.All(poisonedPushes, p => Assert.Equal(500, p.Status));
        Assert.Equal(CloudState.Staged, await StateAsync(stack, poisoned));
        Assert.Equal("someone else's bytes"u8.ToArray(), stack.Gcs.Find(GcpStack.ArchiveBucket, poisonedArchive)!.Bytes.ToArray());
        Assert.NotEmpty(stack.Logs.Find(LogLevel.Error, poisoned.Id, "refusing to archive over it"));

        // 6. The recorder reads the cloud state back: the quarantined segment is uploaded again and archived.
        DateTime deadline = DateTime.UtcNow + Patience;
        while (await StateAsync(stack, corrupted) != CloudState.Archived)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the quarantined segment is {await StateAsync(stack, corrupted)}, not archived, after {Patience.TotalSeconds} s");
            await edge.VerifyAsync();
            await edge.UploadAsync();
            await stack.Eventarc.WaitIdleAsync(Patience);
        }

        // 7. The sweep brings in what no event did: the lost event's segment, and, once an operator has removed the
        //    other bytes from the archive, the dead-lettered one.
        await stack.Store.DeleteAsync(GcpStack.ArchiveBucket, poisonedArchive, null, CancellationToken.None);
        using JsonDocument report = await stack.SweepAsync();
        var redriven = report.RootElement.GetProperty("redriven").GetProperty("items").EnumerateArray()
            .ToDictionary(i => i.GetProperty("recording_id").GetString()!, i => i.GetProperty("outcome").GetString());
        Assert.Equal("Archived", redriven[lost.Id]);
        Assert.Equal("Archived", redriven[poisoned.Id]);
        Assert.True(report.RootElement.GetProperty("complete").GetBoolean());

        // 8. The recorder confirms every segment against the catalog.
        Assert.True(await edge.SyncUntilVerifiedAsync(Patience), string.Join(", ", edge.Outbox.All().Select(x => $"{x.Sequence}:{x.State}")));

        // Nothing lost: every segment archived with its own bytes; nothing archived twice; staging empty.
        foreach (OutboxSegment segment in s)
        {
            Recording r = (await stack.Catalog.GetAsync(segment.Id, CancellationToken.None))!;
            Assert.Equal(CloudState.Archived, r.State);
            TestObject archived = stack.Gcs.Find(GcpStack.ArchiveBucket, r.ArchiveObject!)!;
            Assert.Equal((segment.Crc32C, segment.Size), (archived.Crc32C, archived.Size));
            Assert.Equal(r.ArchiveGeneration, archived.Generation);
            Assert.StartsWith($"recordings/{EdgeSite.RecorderId}~{EdgeSite.Camera}/", r.ArchiveObject);
            // The poisoned name was written once by the impostor, then once by the archive step.
            Assert.Equal(segment == poisoned ? 2 : 1, stack.Gcs.CommitCount(GcpStack.ArchiveBucket, r.ArchiveObject!));
        }
        Assert.Equal(s.Length, stack.Gcs.Objects(GcpStack.ArchiveBucket).Count);
        Assert.Empty(stack.Gcs.Objects(GcpStack.Staging));
        Assert.Equal(3, (await stack.Catalog.GetAsync(duplicated.Id, CancellationToken.None))!.Version); // announced, staged, archived: three duplicates, one change
        Assert.Equal(3, stack.Eventarc.Deliveries.Count(d => d.Event.Subject == $"objects/{duplicated.ObjectName}"));
        Assert.Equal(4, (await stack.Catalog.GetAsync(corrupted.Id, CancellationToken.None))!.Version); // announced, quarantined, staged, archived
        Assert.Single(stack.Eventarc.Dropped);
        Assert.Empty(stack.Logs.Find(LogLevel.Critical));

        // The operator's view: everything archived, the recorder heard from.
        await stack.Catalog.GrantAsync(AccessGrant.ToEverything(Principals.User("operator@example.com")), CancellationToken.None);
        using var status = new HttpRequestMessage(HttpMethod.Get, "/api/status");
        status.Headers.Authorization = new AuthenticationHeaderValue("Bearer", stack.Token("operator@example.com", GcpStack.PlayerAudience));
        using HttpResponseMessage statusResponse = await stack.Client.SendAsync(status);
        string statusBody = await statusResponse.Content.ReadAsStringAsync();
        Assert.True(statusResponse.IsSuccessStatusCode, $"GET /api/status answered {(int)statusResponse.StatusCode}: {statusBody}");
        using JsonDocument statusJson = JsonDocument.Parse(statusBody);
        Assert.Equal(s.Length, statusJson.RootElement.GetProperty("counts").GetProperty("archived").GetInt32());
        Assert.Equal(JsonValueKind.Null, statusJson.RootElement.GetProperty("oldest_unverified").ValueKind);
        Assert.Equal(EdgeSite.RecorderId, statusJson.RootElement.GetProperty("recorders")[0].GetProperty("recorder_id").GetString());
        Assert.Empty(statusJson.RootElement.GetProperty("recorders_offline").EnumerateArray());
    }

    private static async Task UploadAllAsync(EdgeSite edge, int count)
    {
        DateTime deadline = DateTime.UtcNow + Patience;
        while (edge.Outbox.All().Count(x => x.State == EdgeState.Uploaded) < count)
        {
            Assert.True(DateTime.UtcNow < deadline, "the recorder did not upload every segment: " + string.Join(", ", edge.Outbox.All().Select(x => $"{x.Sequence}:{x.State} {x.LastError}")));
            await edge.UploadAsync();
        }
    }

    private static async Task<CloudState?> StateAsync(GcpStack stack, OutboxSegment segment) =>
        (await stack.Catalog.GetAsync(segment.Id, CancellationToken.None))?.State;

    private static async Task<Recording> WaitForAsync(GcpStack stack, OutboxSegment segment, CloudState state)
    {
        DateTime deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            Recording? r = await stack.Catalog.GetAsync(segment.Id, CancellationToken.None);
            if (r?.State == state)
            {
                return r;
            }
            Assert.True(DateTime.UtcNow < deadline, $"recording {segment.Sequence} is {r?.State.ToString() ?? "unknown"}, not {state}, after {Patience.TotalSeconds} s. Log:\n{stack.Logs.Dump()}");
            await Task.Delay(50);
        }
    }
}
