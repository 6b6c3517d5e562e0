using Cctv.Shared.Domain;
using Cctv.Shared.Local;
using Cctv.Shared.Ports;
using Cctv.TestSupport;

namespace Cctv.Shared.Tests.Local;

public sealed class SqliteCatalogTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 15, 3, 0, 0, TimeSpan.Zero);
    private readonly TempDir _dir = new("catalog");
    private readonly ManualClock _clock = new(T0);
    private readonly SqliteCatalog _catalog;

    public SqliteCatalogTests() => _catalog = new SqliteCatalog(_dir.Combine("catalog.db"), _clock);

    public void Dispose() => _dir.Dispose();

    private static RecordingAnnouncement Announcement(string camera, int seq, string sha = "aa") => new(
        RecordingId.For("r1", camera, 1, seq), "r1", camera, camera.ToUpperInvariant(), 1, seq,
        T0.AddSeconds(seq * 4), T0.AddSeconds((seq + 1) * 4), 1000 + seq, sha, "AAAAAA==", "md5", "video/mp4", $"incoming/r1/{camera}/{seq}.mp4");

    [Fact]
    public async Task Announce_Twice_IsANoOp_ButADifferentAnnouncementForTheSameIdIsRefused()
    {
        RecordingAnnouncement a = Announcement("cam1", 0);
        await _catalog.AnnounceAsync(a, CancellationToken.None);
        await _catalog.AnnounceAsync(a, CancellationToken.None);
        await Assert.ThrowsAsync<InvalidOperationException>(() => _catalog.AnnounceAsync(a with { Sha256 = "bb" }, CancellationToken.None));

        Recording? r = await _catalog.GetAsync(a.Id, CancellationToken.None);
        Assert.Equal(CloudState.Announced, r!.State);
        Assert.Equal(1, r.Version);
    }

    [Fact]
    public async Task Transitions_AreGuarded_SoRepeatingOrReorderingThemChangesNothing()
    {
        RecordingAnnouncement a = Announcement("cam1", 0);
        await _catalog.AnnounceAsync(a, CancellationToken.None);

        Assert.Equal(TransitionOutcome.Refused, await _catalog.MarkArchivedAsync(a.Id, "x", 1, CancellationToken.None));
        Assert.Equal(TransitionOutcome.Applied, await _catalog.MarkStagedAsync(a.Id, 7, CancellationToken.None));
        Assert.Equal(TransitionOutcome.AlreadyDone, await _catalog.MarkStagedAsync(a.Id, 7, CancellationToken.None));
        Assert.Equal(TransitionOutcome.Applied, await _catalog.MarkArchivedAsync(a.Id, "recordings/x", 9, CancellationToken.None));
        Assert.Equal(TransitionOutcome.AlreadyDone, await _catalog.MarkArchivedAsync(a.Id, "recordings/x", 9, CancellationToken.None));
        Assert.Equal(TransitionOutcome.Refused, await _catalog.MarkStagedAsync(a.Id, 8, CancellationToken.None));
        Assert.Equal(TransitionOutcome.Refused, await _catalog.MarkQuarantinedAsync(a.Id, "late", CancellationToken.None));
        Assert.Equal(TransitionOutcome.Refused, await _catalog.MarkLostAsync(a.Id, "late", CancellationToken.None));
        Assert.Equal(TransitionOutcome.NotFound, await _catalog.MarkStagedAsync(RecordingId.For("x", "y", 1, 1), 1, CancellationToken.None));

        Recording r = (await _catalog.GetAsync(a.Id, CancellationToken.None))!;
        Assert.Equal(CloudState.Archived, r.State);
        Assert.Equal(7, r.StagingGeneration);
        Assert.Equal("recordings/x", r.ArchiveObject);
        Assert.Equal(3, r.Version);
    }

    [Fact]
    public async Task Query_ReturnsNewestFirst_FilteredByCameraAndTime_InPagesThatCoverEverythingOnce()
    {
        for (int i = 0; i < 25; i++)
        {
            await _catalog.AnnounceAsync(Announcement("cam1", i), CancellationToken.None);
            await _catalog.AnnounceAsync(Announcement("cam2", i), CancellationToken.None);
        }
        var seen = new List<Recording>();
        string? token = null;
        do
        {
            RecordingPage page = await _catalog.QueryAsync(new RecordingQuery(["cam1"], T0.AddSeconds(10), T0.AddSeconds(80), 4, token), CancellationToken.None);
            seen.AddRange(page.Items);
            token = page.NextPageToken;
        }
        while (token is not null);

        // Segments [4s*i, 4s*(i+1)) overlapping [10 s, 80 s): i = 2..19.
        Assert.Equal(Enumerable.Range(2, 18).Reverse().Select(i => (long)i), seen.Select(r => r.Announcement.Sequence));
        Assert.All(seen, r => Assert.Equal("cam1", r.CameraId));
    }

    [Fact]
    public async Task Query_WithAForgedPageToken_IsAFormatError()
    {
        await Assert.ThrowsAsync<FormatException>(() => _catalog.QueryAsync(new RecordingQuery(null, null, null, 10, "bm90LWEtdG9rZW4"), CancellationToken.None));
    }

    [Fact]
    public async Task Gaps_OpenThenClosed_KeepOneRowWithTheEnd()
    {
        var open = new RecordingGap("g1", "r1", "cam1", T0, null, "camera stream lost: Connection timed out");
        await _catalog.RecordGapAsync(open, CancellationToken.None);
        await _catalog.RecordGapAsync(open with { EndTime = T0.AddMinutes(2) }, CancellationToken.None);
        await _catalog.RecordGapAsync(open, CancellationToken.None); // a late repeat of the open gap does not reopen it

        RecordingGap gap = Assert.Single(await _catalog.ListGapsAsync("cam1", T0.AddMinutes(-1), T0.AddMinutes(5), CancellationToken.None));
        Assert.Equal(T0.AddMinutes(2), gap.EndTime);
        Assert.Empty(await _catalog.ListGapsAsync("cam1", T0.AddMinutes(3), T0.AddMinutes(5), CancellationToken.None));
    }
}
