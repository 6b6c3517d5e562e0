using Cctv.Shared.Domain;
using Cctv.Shared.Ports;
using Cctv.TestSupport;

namespace Cctv.Shared.Tests;

/// <summary>
/// What every <see cref="ICatalog"/> does, whatever it stores into: SQLite (Local/SqliteCatalogTests) and
/// Firestore on the emulator (Gcp/Firestore/FirestoreCatalogTests) run these same tests.
/// </summary>
public abstract partial class CatalogContractTests
{
    protected static readonly DateTimeOffset T0 = new(2026, 1, 15, 3, 0, 0, TimeSpan.Zero);

    protected ManualClock Clock { get; } = new(T0);

    /// <summary>A fresh, empty catalog on <see cref="Clock"/> (the same instance for the whole test).</summary>
    protected abstract ICatalog Catalog { get; }

    /// <summary>The key of <see cref="Announcement"/>'s cameras (all on recorder r1).</summary>
    protected static CameraKey K(string camera) => new("r1", camera);

    protected static RecordingAnnouncement Announcement(string camera, int seq, string sha = "aa") => new(
        RecordingId.For("r1", camera, 1, seq), "r1", camera, camera.ToUpperInvariant(), 1, seq,
        T0.AddSeconds(seq * 4), T0.AddSeconds((seq + 1) * 4), 1000 + seq, sha, "AAAAAA==", "md5", "video/mp4", $"incoming/r1/{camera}/{seq}.mp4");

    [Fact]
    public async Task Announce_WithoutMd5_AsRecordersNowAnnounce_ReadsBackWithoutOne()
    {
        RecordingAnnouncement a = Announcement("cam1", 0) with { Md5 = null };
        await Catalog.AnnounceAsync(a, CancellationToken.None);
        await Catalog.AnnounceAsync(a, CancellationToken.None);

        Recording? r = await Catalog.GetAsync(a.Id, CancellationToken.None);
        Assert.Equal(a, r!.Announcement);
    }

    [Fact]
    public async Task Announce_Twice_IsANoOp_ButADifferentAnnouncementForTheSameIdIsRefused()
    {
        RecordingAnnouncement a = Announcement("cam1", 0);
        await Catalog.AnnounceAsync(a, CancellationToken.None);
        await Catalog.AnnounceAsync(a, CancellationToken.None);
        await Assert.ThrowsAsync<InvalidOperationException>(() => Catalog.AnnounceAsync(a with { Sha256 = "bb" }, CancellationToken.None));

        Recording? r = await Catalog.GetAsync(a.Id, CancellationToken.None);
        Assert.Equal(CloudState.Announced, r!.State);
        Assert.Equal(1, r.Version);
    }

    /// <summary>Two recorders whose cameras share names (cam1 on both), as two sites installed from one template do.</summary>
    protected static IReadOnlyList<RecordingAnnouncement> APassOfTwoSites(int seq) =>
    [
        Announcement("cam1", seq), Announcement("cam2", seq),
        Announcement("cam1", seq) with { Id = RecordingId.For("r2", "cam1", 1, seq), RecorderId = "r2", StagingObject = $"incoming/r2/cam1/{seq}.mp4", Sha256 = "cc" },
    ];

    [Fact]
    public async Task AnnounceMany_RecordsEachAsAnnounceWould_AcrossRecordersThatReuseCameraNames()
    {
        IReadOnlyList<RecordingAnnouncement> pass = APassOfTwoSites(0);
        await Catalog.AnnounceManyAsync(pass, CancellationToken.None);
        await Catalog.AnnounceManyAsync(pass, CancellationToken.None); // again, as after a crash took the outbox's marks back

        foreach (RecordingAnnouncement a in pass)
        {
            Recording r = (await Catalog.GetAsync(a.Id, CancellationToken.None))!;
            Assert.Equal((a, CloudState.Announced, 1L), (r.Announcement, r.State, r.Version));
        }
        await Catalog.AnnounceManyAsync([], CancellationToken.None);
    }

    [Fact]
    public async Task AnnounceMany_WhereOneWasAnnouncedAndMovedOn_RecordsTheOthers_AndLeavesThatOneAsItIs()
    {
        IReadOnlyList<RecordingAnnouncement> pass = APassOfTwoSites(1);
        await Catalog.AnnounceAsync(pass[1], CancellationToken.None);
        Assert.Equal(TransitionOutcome.Applied, await Catalog.MarkStagedAsync(pass[1].Id, 5, CancellationToken.None));

        await Catalog.AnnounceManyAsync(pass, CancellationToken.None);

        Assert.Equal(CloudState.Announced, (await Catalog.GetAsync(pass[0].Id, CancellationToken.None))!.State);
        Assert.Equal(CloudState.Staged, (await Catalog.GetAsync(pass[1].Id, CancellationToken.None))!.State);
        Assert.Equal(pass[2], (await Catalog.GetAsync(pass[2].Id, CancellationToken.None))!.Announcement);
    }

    [Fact]
    public async Task AnnounceMany_WithADifferentAnnouncementForAnIdTaken_IsRefused_AndTheTakenOneKeepsItsFacts()
    {
        IReadOnlyList<RecordingAnnouncement> pass = APassOfTwoSites(2);
        await Catalog.AnnounceAsync(pass[2], CancellationToken.None);

        await Assert.ThrowsAsync<InvalidOperationException>(() => Catalog.AnnounceManyAsync([pass[0], pass[1], pass[2] with { Sha256 = "dd" }], CancellationToken.None));

        Assert.Equal("cc", (await Catalog.GetAsync(pass[2].Id, CancellationToken.None))!.Announcement.Sha256);
    }

    [Fact]
    public async Task Transitions_AreGuarded_SoRepeatingOrReorderingThemChangesNothing()
    {
        RecordingAnnouncement a = Announcement("cam1", 0);
        await Catalog.AnnounceAsync(a, CancellationToken.None);

        Assert.Equal(TransitionOutcome.Refused, await Catalog.MarkArchivedAsync(a.Id, "x", 1, CancellationToken.None));
        Assert.Equal(TransitionOutcome.Applied, await Catalog.MarkStagedAsync(a.Id, 7, CancellationToken.None));
        Assert.Equal(TransitionOutcome.AlreadyDone, await Catalog.MarkStagedAsync(a.Id, 7, CancellationToken.None));
        Assert.Equal(TransitionOutcome.Applied, await Catalog.MarkArchivedAsync(a.Id, "recordings/x", 9, CancellationToken.None));
        Assert.Equal(TransitionOutcome.AlreadyDone, await Catalog.MarkArchivedAsync(a.Id, "recordings/x", 9, CancellationToken.None));
        Assert.Equal(TransitionOutcome.Refused, await Catalog.MarkStagedAsync(a.Id, 8, CancellationToken.None));
        Assert.Equal(TransitionOutcome.Refused, await Catalog.MarkQuarantinedAsync(a.Id, "late", CancellationToken.None));
        Assert.Equal(TransitionOutcome.Refused, await Catalog.MarkLostAsync(a.Id, "late", CancellationToken.None));
        Assert.Equal(TransitionOutcome.NotFound, await Catalog.MarkStagedAsync(RecordingId.For("x", "y", 1, 1), 1, CancellationToken.None));

        Recording r = (await Catalog.GetAsync(a.Id, CancellationToken.None))!;
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
            await Catalog.AnnounceAsync(Announcement("cam1", i), CancellationToken.None);
            await Catalog.AnnounceAsync(Announcement("cam2", i), CancellationToken.None);
        }
        var seen = new List<Recording>();
        PageCursor? token = null;
        do
        {
            RecordingPage page = await Catalog.QueryAsync(new RecordingQuery([K("cam1")], T0.AddSeconds(10), T0.AddSeconds(80), 4, token, CatalogScope.Everything), CancellationToken.None);
            seen.AddRange(page.Items);
            token = page.Next;
        }
        while (token is not null);

        // Segments [4s*i, 4s*(i+1)) overlapping [10 s, 80 s): i = 2..19.
        Assert.Equal(Enumerable.Range(2, 18).Reverse().Select(i => (long)i), seen.Select(r => r.Announcement.Sequence));
        Assert.All(seen, r => Assert.Equal("cam1", r.CameraId));
    }

    [Fact]
    public async Task Gaps_OpenThenClosed_KeepOneRowWithTheEnd()
    {
        var open = new RecordingGap("g1", "r1", "cam1", T0, null, "camera stream lost: Connection timed out");
        await Catalog.RecordGapAsync(open, CancellationToken.None);
        await Catalog.RecordGapAsync(open with { EndTime = T0.AddMinutes(2) }, CancellationToken.None);
        await Catalog.RecordGapAsync(open, CancellationToken.None); // a late repeat of the open gap does not reopen it

        RecordingGap gap = Assert.Single(await Catalog.ListGapsAsync(K("cam1"), T0.AddMinutes(-1), T0.AddMinutes(5), CancellationToken.None));
        Assert.Equal(T0.AddMinutes(2), gap.EndTime);
        Assert.Empty(await Catalog.ListGapsAsync(K("cam1"), T0.AddMinutes(3), T0.AddMinutes(5), CancellationToken.None));
    }

    [Fact]
    public async Task Gaps_AnOpenGapShowsInEveryWindowAfterItsStart_AndOnlyForItsCamera()
    {
        await Catalog.RecordGapAsync(new RecordingGap("g-open", "r1", "cam1", T0, null, "recorder down"), CancellationToken.None);
        await Catalog.RecordGapAsync(new RecordingGap("g-early", "r1", "cam1", T0.AddHours(-2), T0.AddHours(-1), "camera offline"), CancellationToken.None);
        await Catalog.RecordGapAsync(new RecordingGap("g-other", "r1", "cam2", T0, null, "camera offline"), CancellationToken.None);

        Assert.Equal(["g-early", "g-open"],
            (await Catalog.ListGapsAsync(K("cam1"), T0.AddHours(-3), T0.AddDays(30), CancellationToken.None)).Select(g => g.Id));
        RecordingGap open = Assert.Single(await Catalog.ListGapsAsync(K("cam1"), T0.AddDays(29), T0.AddDays(30), CancellationToken.None));
        Assert.Equal(("g-open", "r1", (DateTimeOffset?)null, "recorder down"), (open.Id, open.RecorderId, open.EndTime, open.Reason));
        Assert.Empty(await Catalog.ListGapsAsync(K("cam1"), T0.AddHours(-5), T0.AddHours(-3), CancellationToken.None));
        Assert.Empty(await Catalog.ListGapsAsync(K("cam3"), T0.AddHours(-5), T0.AddDays(1), CancellationToken.None));
    }

    [Fact]
    public async Task Announce_KeepsEveryField_AndEachStepRecordsWhenItHappened()
    {
        RecordingAnnouncement a = Announcement("cam1", 3);
        await Catalog.AnnounceAsync(a, CancellationToken.None);
        Clock.Advance(TimeSpan.FromSeconds(30));
        await Catalog.MarkStagedAsync(a.Id, 1_700_000_000_000_001, CancellationToken.None);
        Clock.Advance(TimeSpan.FromSeconds(30));
        await Catalog.MarkArchivedAsync(a.Id, "recordings/cam1/x.mp4", 1_700_000_000_000_002, CancellationToken.None);

        Recording r = (await Catalog.GetAsync(a.Id, CancellationToken.None))!;
        Assert.Equal(a, r.Announcement);
        Assert.Equal((CloudState.Archived, (string?)null), (r.State, r.Reason));
        Assert.Equal(1_700_000_000_000_001, r.StagingGeneration);
        Assert.Equal(("recordings/cam1/x.mp4", (long?)1_700_000_000_000_002), (r.ArchiveObject, r.ArchiveGeneration));
        Assert.Equal(T0, r.AnnouncedAt);
        Assert.Equal(T0.AddSeconds(30), r.StagedAt);
        Assert.Equal(T0.AddSeconds(60), r.ArchivedAt);
        Assert.Equal(T0.AddSeconds(60), r.UpdatedAt);
        Assert.Null(await Catalog.GetAsync(RecordingId.For("r1", "cam1", 1, 99), CancellationToken.None));
    }

    [Fact]
    public async Task Quarantine_KeepsTheReason_AndStagingAgainClearsIt_WhileLostIsFinal()
    {
        RecordingAnnouncement a = Announcement("cam1", 0);
        RecordingAnnouncement b = Announcement("cam1", 1);
        await Catalog.AnnounceAsync(a, CancellationToken.None);
        await Catalog.AnnounceAsync(b, CancellationToken.None);

        Assert.Equal(TransitionOutcome.Applied, await Catalog.MarkQuarantinedAsync(a.Id, "sha256 mismatch", CancellationToken.None));
        Assert.Equal("sha256 mismatch", (await Catalog.GetAsync(a.Id, CancellationToken.None))!.Reason);
        Assert.Equal(TransitionOutcome.Applied, await Catalog.MarkStagedAsync(a.Id, 2, CancellationToken.None));
        Recording staged = (await Catalog.GetAsync(a.Id, CancellationToken.None))!;
        Assert.Equal((CloudState.Staged, (string?)null, 3L), (staged.State, staged.Reason, staged.Version));

        Assert.Equal(TransitionOutcome.Applied, await Catalog.MarkLostAsync(b.Id, "file deleted before upload", CancellationToken.None));
        Assert.Equal(TransitionOutcome.AlreadyDone, await Catalog.MarkLostAsync(b.Id, "again", CancellationToken.None));
        Assert.Equal(TransitionOutcome.Refused, await Catalog.MarkStagedAsync(b.Id, 1, CancellationToken.None));
        Recording lost = (await Catalog.GetAsync(b.Id, CancellationToken.None))!;
        Assert.Equal((CloudState.Lost, "file deleted before upload", 2L), (lost.State, lost.Reason, lost.Version));
    }

    [Fact]
    public async Task MarkArchived_FromManyTasksAtOnce_AppliesExactlyOnce()
    {
        RecordingAnnouncement a = Announcement("cam1", 0);
        await Catalog.AnnounceAsync(a, CancellationToken.None);
        await Catalog.MarkStagedAsync(a.Id, 7, CancellationToken.None);

        TransitionOutcome[] outcomes = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            Task.Run(() => Catalog.MarkArchivedAsync(a.Id, "recordings/x", 9, CancellationToken.None))));

        Assert.Equal(1, outcomes.Count(o => o == TransitionOutcome.Applied));
        Assert.All(outcomes, o => Assert.Contains(o, (TransitionOutcome[])[TransitionOutcome.Applied, TransitionOutcome.AlreadyDone]));
        Recording r = (await Catalog.GetAsync(a.Id, CancellationToken.None))!;
        Assert.Equal((CloudState.Archived, 3L), (r.State, r.Version));
    }

    [Fact]
    public async Task ArchiveAndQuarantine_RacingOnTheSameRecording_NeverBothApply()
    {
        var ids = new List<string>();
        for (int i = 0; i < 4; i++)
        {
            RecordingAnnouncement a = Announcement("cam1", i);
            await Catalog.AnnounceAsync(a, CancellationToken.None);
            await Catalog.MarkStagedAsync(a.Id, 1, CancellationToken.None);
            ids.Add(a.Id);
        }

        foreach (string id in ids)
        {
            Task<TransitionOutcome> archive = Task.Run(() => Catalog.MarkArchivedAsync(id, "recordings/x", 2, CancellationToken.None));
            Task<TransitionOutcome> quarantine = Task.Run(() => Catalog.MarkQuarantinedAsync(id, "crc32c mismatch", CancellationToken.None));
            TransitionOutcome[] both = await Task.WhenAll(archive, quarantine);

            Assert.Equal(1, both.Count(o => o == TransitionOutcome.Applied));
            Assert.Equal(1, both.Count(o => o == TransitionOutcome.Refused));
            Recording r = (await Catalog.GetAsync(id, CancellationToken.None))!;
            Assert.Equal(both[0] == TransitionOutcome.Applied ? CloudState.Archived : CloudState.Quarantined, r.State);
            Assert.Equal(3, r.Version);
        }
    }

    [Fact]
    public async Task Query_WithoutFilters_PagesThroughEveryRecordingExactlyOnce_NewestFirst_TiesByIdDescending()
    {
        string[] cameras = ["cam1", "cam2", "cam3"];
        var all = new List<RecordingAnnouncement>();
        for (int i = 0; i < 10; i++)
        {
            foreach (string camera in cameras)
            {
                RecordingAnnouncement a = Announcement(camera, i); // the three cameras start at the same instants
                all.Add(a);
                await Catalog.AnnounceAsync(a, CancellationToken.None);
            }
        }
        var seen = new List<string>();
        var pageSizes = new List<int>();
        PageCursor? token = null;
        do
        {
            RecordingPage page = await Catalog.QueryAsync(new RecordingQuery(null, null, null, 7, token, CatalogScope.Everything), CancellationToken.None);
            seen.AddRange(page.Items.Select(r => r.Id));
            pageSizes.Add(page.Items.Count);
            token = page.Next;
        }
        while (token is not null);

        var expected = all.OrderByDescending(a => a.StartTime).ThenByDescending(a => a.Id, StringComparer.Ordinal).Select(a => a.Id);
        Assert.Equal(expected, seen);
        Assert.Equal([7, 7, 7, 7, 2], pageSizes);
    }

    [Fact]
    public async Task Query_RecordingsArrivingBetweenPages_DoNotShiftTheCursor()
    {
        for (int i = 10; i < 20; i++)
        {
            await Catalog.AnnounceAsync(Announcement("cam1", i), CancellationToken.None);
        }
        RecordingPage first = await Catalog.QueryAsync(new RecordingQuery([K("cam1")], null, null, 4, null, CatalogScope.Everything), CancellationToken.None);
        for (int i = 20; i < 25; i++)
        {
            await Catalog.AnnounceAsync(Announcement("cam1", i), CancellationToken.None); // newer than everything seen
        }
        RecordingPage second = await Catalog.QueryAsync(new RecordingQuery([K("cam1")], null, null, 4, first.Next, CatalogScope.Everything), CancellationToken.None);

        Assert.Equal([19L, 18, 17, 16], first.Items.Select(r => r.Announcement.Sequence));
        Assert.Equal([15L, 14, 13, 12], second.Items.Select(r => r.Announcement.Sequence));
    }

    [Fact]
    public async Task Query_OverManyCameras_MergesThemNewestFirst()
    {
        string[] names = [.. Enumerable.Range(0, 35).Select(i => $"cam{i:00}")];
        CameraKey[] cameras = [.. names.Select(K)];
        foreach (string camera in names)
        {
            await Catalog.AnnounceAsync(Announcement(camera, 0), CancellationToken.None);
            await Catalog.AnnounceAsync(Announcement(camera, 1), CancellationToken.None);
        }
        await Catalog.AnnounceAsync(Announcement("not-asked", 5), CancellationToken.None);
        var seen = new List<Recording>();
        PageCursor? token = null;
        do
        {
            RecordingPage page = await Catalog.QueryAsync(new RecordingQuery(cameras, null, T0.AddSeconds(100), 16, token, CatalogScope.Everything), CancellationToken.None);
            seen.AddRange(page.Items);
            token = page.Next;
        }
        while (token is not null);

        Assert.Equal(70, seen.Count);
        Assert.Equal(70, seen.Select(r => r.Id).Distinct().Count());
        Assert.All(seen.Take(35), r => Assert.Equal(1, r.Announcement.Sequence));
        Assert.All(seen.Skip(35), r => Assert.Equal(0, r.Announcement.Sequence));
        Assert.DoesNotContain(seen, r => r.CameraId == "not-asked");
    }

    [Fact]
    public async Task ListByState_GivesTheOldestAnnouncementsFirst_UpToTheLimit()
    {
        var ids = new List<string>();
        for (int i = 0; i < 5; i++)
        {
            RecordingAnnouncement a = Announcement("cam1", i);
            await Catalog.AnnounceAsync(a, CancellationToken.None);
            ids.Add(a.Id);
            Clock.Advance(TimeSpan.FromSeconds(1));
        }
        // Staged in the reverse order: the order is still that of the announcements.
        foreach (string id in Enumerable.Reverse(ids).Take(4))
        {
            await Catalog.MarkStagedAsync(id, 1, CancellationToken.None);
            Clock.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.Equal(ids.Skip(1).Take(3), (await Catalog.ListByStateAsync(CloudState.Staged, 3, CancellationToken.None)).Select(r => r.Id));
        Assert.Equal([ids[0]], (await Catalog.ListByStateAsync(CloudState.Announced, 10, CancellationToken.None)).Select(r => r.Id));
        Assert.Empty(await Catalog.ListByStateAsync(CloudState.Archived, 10, CancellationToken.None));
    }

    [Fact]
    public async Task CountByState_CountsEveryState_IncludingTheEmptyOnes()
    {
        for (int i = 0; i < 6; i++)
        {
            await Catalog.AnnounceAsync(Announcement("cam1", i), CancellationToken.None);
        }
        await Catalog.MarkStagedAsync(Announcement("cam1", 0).Id, 1, CancellationToken.None);
        await Catalog.MarkStagedAsync(Announcement("cam1", 1).Id, 1, CancellationToken.None);
        await Catalog.MarkArchivedAsync(Announcement("cam1", 1).Id, "x", 2, CancellationToken.None);
        await Catalog.MarkLostAsync(Announcement("cam1", 2).Id, "gone", CancellationToken.None);

        IReadOnlyDictionary<CloudState, long> counts = await Catalog.CountByStateAsync(CancellationToken.None);

        Assert.Equal(new Dictionary<CloudState, long>
        {
            [CloudState.Announced] = 3,
            [CloudState.Staged] = 1,
            [CloudState.Archived] = 1,
            [CloudState.Quarantined] = 0,
            [CloudState.Lost] = 1,
            [CloudState.Expired] = 0,
            [CloudState.Salvaging] = 0,
            [CloudState.Salvaged] = 0,
        }, counts);
    }

    [Fact]
    public async Task GetMany_ReturnsTheKnownRecordingsOnceEach()
    {
        RecordingAnnouncement a = Announcement("cam1", 0);
        RecordingAnnouncement b = Announcement("cam1", 1);
        await Catalog.AnnounceAsync(a, CancellationToken.None);
        await Catalog.AnnounceAsync(b, CancellationToken.None);

        IReadOnlyList<Recording> found = await Catalog.GetManyAsync([b.Id, RecordingId.For("r9", "cam9", 1, 1), a.Id, b.Id], CancellationToken.None);

        Assert.Equal([b.Id, a.Id], found.Select(r => r.Id));
        Assert.Empty(await Catalog.GetManyAsync([], CancellationToken.None));
    }

    [Fact]
    public async Task Cameras_AreOnePerRecorderAndId_UpsertRenames_AndListIsOrderedByKey()
    {
        await Catalog.UpsertCameraAsync(new CameraInfo("gate", "Gate", "r1"), CancellationToken.None);
        await Catalog.UpsertCameraAsync(new CameraInfo("dock", "Dock", "r1"), CancellationToken.None);
        await Catalog.UpsertCameraAsync(new CameraInfo("gate", "Front gate", "r2"), CancellationToken.None);
        await Catalog.UpsertCameraAsync(new CameraInfo("dock", "Loading dock", "r1"), CancellationToken.None);

        Assert.Equal([new CameraInfo("dock", "Loading dock", "r1"), new CameraInfo("gate", "Gate", "r1"), new CameraInfo("gate", "Front gate", "r2")],
            await Catalog.ListCamerasAsync(CatalogScope.Everything, CancellationToken.None));
    }

    [Fact]
    public async Task Query_FindsARecordingThatBeganLongBeforeTheWindowAndEndsInIt()
    {
        // One 50-minute recording starting 40 minutes before the window: the query must reach back for it.
        RecordingAnnouncement longOne = Announcement("cam1", 0) with { StartTime = T0.AddMinutes(-40), EndTime = T0.AddMinutes(10) };
        await Catalog.AnnounceAsync(longOne, CancellationToken.None);

        RecordingPage page = await Catalog.QueryAsync(new RecordingQuery([K("cam1")], T0, T0.AddMinutes(5), 10, null, CatalogScope.Everything), CancellationToken.None);

        Assert.Equal([longOne.Id], page.Items.Select(r => r.Id));
    }

    [Fact]
    public async Task Heartbeats_TheNewestWins_ALateOneChangesNothing_AndTheCatalogStampsWhenItArrived()
    {
        var first = new RecorderHeartbeat("site-b", T0, 3, 3_000, T0.AddMinutes(-2), "1.0");
        await Catalog.RecordHeartbeatAsync(first, CancellationToken.None);
        Clock.Advance(TimeSpan.FromSeconds(30));
        var second = new RecorderHeartbeat("site-b", T0.AddSeconds(30), 0, 0, null, "1.0");
        await Catalog.RecordHeartbeatAsync(second, CancellationToken.None);
        Clock.Advance(TimeSpan.FromSeconds(30));
        await Catalog.RecordHeartbeatAsync(first, CancellationToken.None); // delivered late
        await Catalog.RecordHeartbeatAsync(new RecorderHeartbeat("site-a", T0, 1, 10, T0, null), CancellationToken.None);

        IReadOnlyList<RecorderStatus> recorders = await Catalog.ListRecordersAsync(CancellationToken.None);

        Assert.Equal(["site-a", "site-b"], recorders.Select(r => r.RecorderId));
        Assert.Equal(second, recorders[1].Heartbeat);
        Assert.Equal(T0.AddSeconds(30), recorders[1].ReceivedAt);
        Assert.Equal((T0.AddSeconds(60), (DateTimeOffset?)T0, (string?)null),
            (recorders[0].ReceivedAt, recorders[0].Heartbeat.OldestBacklogSealedAt, recorders[0].Heartbeat.AgentVersion));
    }

    [Fact]
    public async Task Heartbeats_FromManyTasksAtOnce_KeepTheNewest()
    {
        await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() =>
            Catalog.RecordHeartbeatAsync(new RecorderHeartbeat("site", T0.AddSeconds(i), i, i * 100, null), CancellationToken.None))));

        RecorderStatus status = Assert.Single(await Catalog.ListRecordersAsync(CancellationToken.None));
        Assert.Equal((T0.AddSeconds(7), 7L), (status.Heartbeat.SentAt, status.Heartbeat.BacklogSegments));
    }

    [Fact]
    public async Task ListByState_WithACursor_ContinuesAfterIt_AndCoversEveryRecordingOnce()
    {
        var ids = new List<string>();
        for (int i = 0; i < 7; i++)
        {
            RecordingAnnouncement a = Announcement("cam1", i);
            await Catalog.AnnounceAsync(a, CancellationToken.None);
            ids.Add(a.Id);
            if (i % 2 == 1)
            {
                Clock.Advance(TimeSpan.FromSeconds(1)); // pairs share an announcement time: the ID breaks the tie
            }
        }
        var seen = new List<string>();
        StateCursor? cursor = null;
        while (true)
        {
            IReadOnlyList<Recording> page = await Catalog.ListByStateAsync(CloudState.Announced, cursor, 3, CancellationToken.None);
            seen.AddRange(page.Select(r => r.Id));
            if (page.Count < 3)
            {
                break;
            }
            cursor = new StateCursor(page[^1].AnnouncedAt, page[^1].Id);
        }

        Assert.Equal(7, seen.Count);
        Assert.Equal(ids.Order(StringComparer.Ordinal), seen.Order(StringComparer.Ordinal));
        Assert.Equal(seen, (await Catalog.ListByStateAsync(CloudState.Announced, 10, CancellationToken.None)).Select(r => r.Id));
    }

    [Fact]
    public async Task LegalHold_KeepsRetentionAway_UntilItIsReleased()
    {
        RecordingAnnouncement a = Announcement("cam1", 0);
        await ArchiveAsync(a);

        Assert.Equal(TransitionOutcome.Applied, await Catalog.SetLegalHoldAsync(a.Id, true, "case 2026-118", CancellationToken.None));
        Assert.Equal(TransitionOutcome.AlreadyDone, await Catalog.SetLegalHoldAsync(a.Id, true, "again", CancellationToken.None));
        Assert.Equal(TransitionOutcome.Refused, await Catalog.MarkExpiredAsync(a.Id, "retention: 30 days", CancellationToken.None));
        Assert.Empty(await Catalog.ListArchivedBeforeAsync(K("cam1"), T0.AddDays(1), 10, CancellationToken.None));
        Recording held = (await Catalog.GetAsync(a.Id, CancellationToken.None))!;
        Assert.Equal((CloudState.Archived, true, "case 2026-118"), (held.State, held.LegalHold, held.LegalHoldReason));

        Assert.Equal(TransitionOutcome.Applied, await Catalog.SetLegalHoldAsync(a.Id, false, null, CancellationToken.None));
        Assert.Equal(TransitionOutcome.Applied, await Catalog.MarkExpiredAsync(a.Id, "retention: 30 days", CancellationToken.None));
        Assert.Equal(TransitionOutcome.AlreadyDone, await Catalog.MarkExpiredAsync(a.Id, "retention: 30 days", CancellationToken.None));
        Assert.Equal(TransitionOutcome.Refused, await Catalog.SetLegalHoldAsync(a.Id, true, "too late", CancellationToken.None));
        Assert.Equal(TransitionOutcome.NotFound, await Catalog.SetLegalHoldAsync(RecordingId.For("x", "y", 1, 1), true, "x", CancellationToken.None));

        Recording expired = (await Catalog.GetAsync(a.Id, CancellationToken.None))!;
        Assert.Equal((CloudState.Expired, "retention: 30 days", false), (expired.State, expired.Reason, expired.LegalHold));
        Assert.Equal("recordings/cam1/0", expired.ArchiveObject); // which object was deleted stays on record
    }

    [Fact]
    public async Task ListArchivedBefore_GivesTheCamerasArchivedUnheldRecordingsThatStartedBefore_OldestFirst()
    {
        for (int i = 0; i < 6; i++)
        {
            await ArchiveAsync(Announcement("cam1", i));
        }
        await ArchiveAsync(Announcement("cam2", 0));
        await Catalog.AnnounceAsync(Announcement("cam1", 10) with { StartTime = T0.AddSeconds(-100), EndTime = T0.AddSeconds(-96) }, CancellationToken.None);
        await Catalog.SetLegalHoldAsync(Announcement("cam1", 1).Id, true, "incident", CancellationToken.None);

        IReadOnlyList<Recording> due = await Catalog.ListArchivedBeforeAsync(K("cam1"), T0.AddSeconds(16), 10, CancellationToken.None);
        IReadOnlyList<Recording> firstTwo = await Catalog.ListArchivedBeforeAsync(K("cam1"), T0.AddSeconds(16), 2, CancellationToken.None);

        Assert.Equal([0L, 2, 3], due.Select(r => r.Announcement.Sequence)); // 1 is held, 4 starts at 16 s, 10 is not archived
        Assert.Equal([0L, 2], firstTwo.Select(r => r.Announcement.Sequence));
        Assert.Empty(await Catalog.ListArchivedBeforeAsync(K("cam3"), T0.AddDays(1), 10, CancellationToken.None));
    }

    [Fact]
    public async Task DeliveryStats_CountTheRecordingsThatEndedInTheWindow_AndThoseArchivedWithinFiveMinutesOfTheirEnd()
    {
        // Segments end at T0 + 4 s, 8 s, 12 s, ...; the clock starts at T0.
        RecordingAnnouncement fast = Announcement("cam1", 0);
        RecordingAnnouncement slow = Announcement("cam1", 1);
        RecordingAnnouncement never = Announcement("cam1", 2);
        RecordingAnnouncement outside = Announcement("cam1", 20);
        foreach (RecordingAnnouncement a in (RecordingAnnouncement[])[fast, slow, never, outside])
        {
            await Catalog.AnnounceAsync(a, CancellationToken.None);
            await Catalog.MarkStagedAsync(a.Id, 1, CancellationToken.None);
        }
        Clock.Advance(TimeSpan.FromMinutes(4));
        await Catalog.MarkArchivedAsync(fast.Id, "recordings/a", 2, CancellationToken.None);
        await Catalog.MarkArchivedAsync(outside.Id, "recordings/d", 2, CancellationToken.None);
        Clock.Advance(TimeSpan.FromMinutes(2));
        await Catalog.MarkArchivedAsync(slow.Id, "recordings/b", 2, CancellationToken.None);

        DeliveryStats stats = await Catalog.GetDeliveryStatsAsync(T0, T0.AddSeconds(60), CancellationToken.None);

        Assert.Equal(new DeliveryStats(3, 1), stats);
        Assert.Equal(1.0 / 3, stats.Share);
        Assert.Equal(new DeliveryStats(0, 0), await Catalog.GetDeliveryStatsAsync(T0.AddDays(1), T0.AddDays(2), CancellationToken.None));
    }

    [Fact]
    public async Task Checkpoints_AreStoredReplacedAndCleared()
    {
        Assert.Null(await Catalog.GetCheckpointAsync("sweep-reconcile", CancellationToken.None));
        await Catalog.SaveCheckpointAsync("sweep-reconcile", "token-1", CancellationToken.None);
        await Catalog.SaveCheckpointAsync("sweep-reconcile", "token-2", CancellationToken.None);
        await Catalog.SaveCheckpointAsync("sweep-retention", "other", CancellationToken.None);
        Assert.Equal("token-2", await Catalog.GetCheckpointAsync("sweep-reconcile", CancellationToken.None));

        await Catalog.SaveCheckpointAsync("sweep-reconcile", null, CancellationToken.None);

        Assert.Null(await Catalog.GetCheckpointAsync("sweep-reconcile", CancellationToken.None));
        Assert.Equal("other", await Catalog.GetCheckpointAsync("sweep-retention", CancellationToken.None));
    }

    private async Task ArchiveAsync(RecordingAnnouncement a)
    {
        await Catalog.AnnounceAsync(a, CancellationToken.None);
        await Catalog.MarkStagedAsync(a.Id, 1, CancellationToken.None);
        await Catalog.MarkArchivedAsync(a.Id, $"recordings/{a.CameraId}/{a.Sequence}", 2, CancellationToken.None);
    }
}
