using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Cctv.Functions.Finalize;
using Cctv.Functions.Hosting;
using Cctv.Functions.Local;
using Cctv.Shared.CloudEvents;
using CloudNative.CloudEvents;
using Cctv.Shared.Domain;
using Cctv.Shared.Hashing;
using Cctv.Shared.Local;
using Cctv.Shared.Ports;
using Cctv.TestSupport.Logging;
using Microsoft.Extensions.Logging;

namespace Cctv.Functions.Tests.Finalize;

/// <summary>
/// Events that can never succeed (a name that is not the announced staging object of its recording) are refused for
/// good: 400, a dead letter with the reason, a log line; and the dispatcher goes on past them, and past an event that
/// keeps failing, to the events after them.
/// </summary>
public sealed class PoisonEventTests
{
    private static CloudEvent Finalized(string name, long generation = 1) => StorageEvents.Create(
        $"{LocalBackend.StagingBucket}/{name}/{generation}", StorageEvents.Source(LocalBackend.StagingBucket), StorageEvents.ObjectFinalized,
        $"objects/{name}", DateTimeOffset.UtcNow, "application/json",
        JsonSerializer.SerializeToUtf8Bytes(new StorageObjectData { Bucket = LocalBackend.StagingBucket, Name = name, Generation = generation.ToString(CultureInfo.InvariantCulture) }));

    private static async Task<(HttpStatusCode Status, string Body)> PostAsync(LocalFunctionsHost host, CloudEvent e)
    {
        using HttpRequestMessage request = CloudEventHttp.ToBinaryModeRequest(e, new Uri(host.BaseUri, FunctionsHost.FinalizePath));
        using HttpResponseMessage response = await host.Client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task ANameThatIsNotTheAnnouncedStagingObject_Is400_DeadLettered_AndChangesNothing()
    {
        using var logs = new LogCapture();
        await using LocalFunctionsHost host = await LocalFunctionsHost.StartAsync(s => s with { Logging = l => l.AddProvider(logs) });
        RecordingAnnouncement archived = await host.RecordAsync("cam1", 0, "archived"u8.ToArray());
        Recording before = await host.WaitForStateAsync(archived.Id, CloudState.Archived);
        string[] poison =
        [
            $"../{archived.Id}.mp4",
            $"/{archived.Id}.mp4",
            $"incoming/other-site/cam1/{archived.Id}.mp4", // well-formed, but another recorder's prefix
            $"incoming/r1/cam2/{archived.Id}.mp4",          // another camera's
            $"incoming/r1/cam1/{archived.Id}.mov",          // another extension
            $"incoming/r1/cam1/x/{archived.Id}.mp4",
            "incoming/r1/cam1/not-a-recording.mp4",
        ];

        foreach (string name in poison)
        {
            (HttpStatusCode status, string body) = await PostAsync(host, Finalized(name));
            Assert.True(status == HttpStatusCode.BadRequest, $"{name}: {(int)status} {body}");
            Assert.Contains("staging object", body);
        }
        // Delivered again (at least once): still 400, still one record per event.
        Assert.Equal(HttpStatusCode.BadRequest, (await PostAsync(host, Finalized(poison[0]))).Status);

        IReadOnlyList<DeadLetter> letters = LocalDeadLetters.For(host.Backend).List();
        Assert.Equal(poison.Select(n => Finalized(n).Id).Order(), letters.Select(l => l.EventId).Order());
        Assert.All(letters, l => Assert.Contains("staging object", l.Reason));
        await logs.WaitForAsync(LogLevel.Warning, "Refused CloudEvent", $"../{archived.Id}.mp4");
        Recording after = (await host.Backend.Catalog.GetAsync(archived.Id, CancellationToken.None))!;
        Assert.Equal((before.State, before.Version, before.ArchiveObject), (after.State, after.Version, after.ArchiveObject));
        Assert.NotNull(await host.Backend.Store.GetAsync(LocalBackend.ArchiveBucket, before.ArchiveObject!, CancellationToken.None));
    }

    [Fact]
    public async Task AWrongPrefixForARecordingNotYetStaged_IsRefused_AndLeavesItAnnounced()
    {
        await using LocalFunctionsHost host = await LocalFunctionsHost.StartAsync();
        string id = RecordingId.For("r1", "cam1", 1, 7);
        DateTimeOffset start = host.Clock.GetUtcNow().AddMinutes(-1);
        await host.Backend.Catalog.AnnounceAsync(new RecordingAnnouncement(id, "r1", "cam1", "Camera cam1", 1, 7, start, start.AddSeconds(4), 5, "sha", "AAAAAA==", "md5",
            "video/mp4", ObjectNames.Staging("r1", "cam1", id)), CancellationToken.None);

        (HttpStatusCode status, string body) = await PostAsync(host, Finalized($"incoming/other-site/cam1/{id}.mp4"));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("not the staging object its recording was announced with", body);
        Assert.Equal(CloudState.Announced, (await host.Backend.Catalog.GetAsync(id, CancellationToken.None))!.State);
        Assert.Contains("not the staging object", Assert.Single(LocalDeadLetters.For(host.Backend).List()).Reason);
    }

    [Fact]
    public async Task TheDispatcher_SetsAPoisonEventAside_AndDeliversTheEventsAfterIt()
    {
        await using LocalFunctionsHost host = await LocalFunctionsHost.StartAsync();
        // A poison event written to the spool first (order 0 sorts before every real generation), then a real upload.
        await host.Backend.Events.WriteAsync(Finalized("../0c1f1c3e-8a59-5b7e-9b0e-1f2d3c4b5a69.mp4"), 0, CancellationToken.None);

        RecordingAnnouncement a = await host.RecordAsync("cam1", 0, "after the poison"u8.ToArray());

        await host.WaitForStateAsync(a.Id, CloudState.Archived);
        string events = Path.Combine(host.DataDir, "cloud", "events");
        await WaitUntilAsync(() => Directory.EnumerateFiles(events, "*" + LocalEventDispatcher.RefusedSuffix).Any());
        DeadLetter letter = Assert.Single(LocalDeadLetters.For(host.Backend).List());
        Assert.Contains("is not a staging object name", letter.Reason);
        await WaitUntilAsync(() => host.Backend.Events.Count == 0);
    }

    [Fact]
    public async Task TheDispatcher_RetriesAnEventThatKeepsFailing_WithoutHoldingUpTheEventsAfterIt()
    {
        await using LocalFunctionsHost host = await LocalFunctionsHost.StartAsync();
        // The archive already holds other bytes where recording 0 goes: its processing fails (503) on every delivery.
        byte[] bytes = "blocked segment"u8.ToArray();
        string blockedId = RecordingId.For("r1", "cam1", 1, 0);
        DateTimeOffset start = host.Clock.GetUtcNow().AddMinutes(-10);
        byte[] other = "other bytes entirely"u8.ToArray();
        await host.Backend.Store.UploadAsync(new UploadRequest(LocalBackend.ArchiveBucket, ObjectNames.Archive(new CameraKey("r1", "cam1"), start, blockedId), "video/mp4",
            Crc32C.ToBase64(Crc32C.Compute(other)), null, 0, new Dictionary<string, string>()), new MemoryStream(other), CancellationToken.None);
        RecordingAnnouncement blocked = await host.RecordAsync("cam1", 0, bytes);

        RecordingAnnouncement later = await host.RecordAsync("cam1", 1, "a later segment"u8.ToArray());

        await host.WaitForStateAsync(later.Id, CloudState.Archived);
        Assert.Equal(CloudState.Staged, (await host.Backend.Catalog.GetAsync(blocked.Id, CancellationToken.None))!.State);
        await WaitUntilAsync(() => host.Backend.Events.Count == 1); // the later one delivered; the blocked one pending, to be retried
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(host.DataDir, "cloud", "events"), "*" + LocalEventDispatcher.RefusedSuffix));
        Assert.Empty(LocalDeadLetters.For(host.Backend).List());
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(20);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out");
            await Task.Delay(50);
        }
    }
}
