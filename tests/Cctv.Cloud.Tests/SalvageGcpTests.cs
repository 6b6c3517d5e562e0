using System.Security.Cryptography;
using Cctv.Shared.Domain;
using Cctv.Shared.Ports;
using static Cctv.TestSupport.Media.Mp4Boxes;

namespace Cctv.Cloud.Tests;

/// <summary>
/// The salvage of issue 12 on the gcp backend: Cloud Storage's unknown-size sessions on the test GCS server, the
/// Firestore catalog on its emulator, the sweep as Cloud Scheduler calls it and finalize as Eventarc delivers it. Two
/// sites' recorders tail their <c>cam1</c>; one goes silent and is salvaged at the bytes the store held, the other is not.
/// </summary>
[Collection(EmulatorsCollection.Name)]
[Trait("Category", "Slow")]
public sealed class SalvageGcpTests(EmulatorsFixture emulators)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(45);
    // Long enough that the live site's heartbeat just before each sweep keeps it alive on a loaded machine (at 2 s it did not).
    private static readonly TimeSpan SalvageAfter = TimeSpan.FromSeconds(6);
    private static readonly uint[] OneSecond = [.. Enumerable.Repeat(512u, 25)]; // 25 frames of 40 ms at a 12800 timescale

    [Fact]
    public async Task ASilentRecordersSession_IsFinishedAtTheHeldBytes_AndArchivedAsSalvaged_WhileTheLiveOneIsNotTouched()
    {
        await using GcpStack stack = await GcpStack.StartAsync(emulators, salvageAfter: SalvageAfter);
        Cctv.Shared.Gcp.Storage.GcsObjectStore sessions = stack.Store; // its IAppendSessions, as the functions use it
        var tails = new Dictionary<string, (LiveSession Session, byte[] Held)>();
        foreach (string recorder in (string[])["site-a", "site-b"])
        {
            string id = RecordingId.For(recorder, "cam1", 1, 3);
            string staging = ObjectNames.Staging(recorder, "cam1", id);
            Uri uri = await sessions.StartAsync(new AppendSessionRequest(GcpStack.Staging, staging, "video/mp4", 0,
                new Dictionary<string, string> { [ObjectMetadata.RecordingId] = id, [ObjectMetadata.RecorderId] = recorder, [ObjectMetadata.CameraId] = "cam1" }),
                CancellationToken.None);
            // One quantum of fragmented MP4 as FFmpeg writes it (header, a whole one-second fragment, the next one cut by the
            // quantum): finalize reads the covered time from the media, and bytes that are no media would be lost, not salvaged.
            byte[] held = Concat(Header(), Fragment(0, OneSecond, payload: 100_000), Fragment(12800, OneSecond, payload: 300_000))[..sessions.Quantum];
            Assert.Equal(held.Length, await sessions.AppendAsync(uri, 0, held, CancellationToken.None));
            DateTimeOffset now = DateTimeOffset.UtcNow;
            var session = new LiveSession(id, "cam1", 1, 3, staging, uri, held.Length, now.AddSeconds(-20), now.AddSeconds(-1));
            await stack.Catalog.RecordLiveSessionsAsync(recorder, now, [session], CancellationToken.None);
            tails[recorder] = (session, held);
        }
        await Task.Delay(SalvageAfter + TimeSpan.FromSeconds(1));
        await stack.Catalog.RecordHeartbeatAsync(new RecorderHeartbeat("site-b", DateTimeOffset.UtcNow, 0, 0, null), CancellationToken.None);

        using System.Text.Json.JsonDocument report = await stack.SweepAsync();

        Assert.Equal(1, report.RootElement.GetProperty("salvaged").GetProperty("count").GetInt32());
        Recording r = await WaitForAsync(stack, tails["site-a"].Session.RecordingId, CloudState.Salvaged);
        Assert.Equal((tails["site-a"].Held.LongLength, Convert.ToHexStringLower(SHA256.HashData(tails["site-a"].Held))), (r.Announcement.FileSize, r.Announcement.Sha256));
        Assert.StartsWith("recorder offline since ", r.Reason, StringComparison.Ordinal);
        Assert.Equal(TimeSpan.FromSeconds(1), r.Announcement.EndTime - r.Announcement.StartTime); // the one whole fragment
        StoredObject archived = Assert.Single(stack.ListSync(GcpStack.ArchiveBucket));
        Assert.Equal((r.ArchiveObject, r.Announcement.Crc32C), (archived.Name, archived.Crc32C));
        Assert.Null(await stack.Catalog.GetAsync(tails["site-b"].Session.RecordingId, CancellationToken.None));
        Assert.False((await sessions.QueryAsync(tails["site-b"].Session.SessionUri, CancellationToken.None)).IsComplete);

        await stack.Catalog.RecordHeartbeatAsync(new RecorderHeartbeat("site-b", DateTimeOffset.UtcNow, 0, 0, null), CancellationToken.None); // still alive
        using System.Text.Json.JsonDocument again = await stack.SweepAsync();
        Assert.Equal(0, again.RootElement.GetProperty("salvaged").GetProperty("count").GetInt32());
        Assert.Equal(r.Version, (await stack.Catalog.GetAsync(r.Id, CancellationToken.None))!.Version);
    }

    private static async Task<Recording> WaitForAsync(GcpStack stack, string id, CloudState state)
    {
        DateTime deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            Recording? r = await stack.Catalog.GetAsync(id, CancellationToken.None);
            if (r?.State == state)
            {
                return r;
            }
            Assert.True(DateTime.UtcNow < deadline, $"recording {id} is {r?.State.ToString() ?? "unknown"}, not {state}, after {Patience.TotalSeconds} s. Log:\n{stack.Logs.Dump()}");
            await Task.Delay(50);
        }
    }
}
