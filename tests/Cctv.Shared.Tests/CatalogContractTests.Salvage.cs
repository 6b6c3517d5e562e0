using Cctv.Shared.Domain;
using Cctv.Shared.Ports;

namespace Cctv.Shared.Tests;

/// <summary>The salvage part of the catalog contract (issue 12). Runs on SQLite and on the Firestore emulator.</summary>
public abstract partial class CatalogContractTests
{
    /// <summary>What the sweep records for a live session it salvages: no sizes or hashes yet.</summary>
    private static RecordingAnnouncement Synthesized(string recorder, string camera, long seq)
    {
        string id = RecordingId.For(recorder, camera, 1, seq);
        return new RecordingAnnouncement(id, recorder, camera, camera, 1, seq, T0, T0.AddSeconds(2), 0, "", "", null, "video/mp4",
            ObjectNames.Staging(recorder, camera, id));
    }

    private static SalvagedCopy Copy(string archiveObject) =>
        new(11, archiveObject, 12, 1_234_567, new string('c', 64), "CCCCCC==", T0.AddSeconds(191), "recorder offline since 03:03:13Z; finished at 1234567 bytes");

    [Fact]
    public async Task Salvage_IsACreateOfItsOwn_RepeatedIsAlreadyDone_AndAnAnnouncedRecordingIsLeftToTheNormalPath()
    {
        RecordingAnnouncement a = Synthesized("site-a", "cam1", 7);
        Assert.Equal(TransitionOutcome.Applied, await Catalog.BeginSalvageAsync(a, "offline", CancellationToken.None));
        Assert.Equal(TransitionOutcome.AlreadyDone, await Catalog.BeginSalvageAsync(a, "offline again", CancellationToken.None));
        RecordingAnnouncement announced = Announcement("cam1", 3);
        await Catalog.AnnounceAsync(announced, CancellationToken.None);
        Assert.Equal(TransitionOutcome.Refused, await Catalog.BeginSalvageAsync(announced, "offline", CancellationToken.None));

        Recording r = (await Catalog.GetAsync(a.Id, CancellationToken.None))!;
        Assert.Equal((CloudState.Salvaging, "offline", a), (r.State, r.Reason, r.Announcement));
        Assert.Equal(CloudState.Announced, (await Catalog.GetAsync(announced.Id, CancellationToken.None))!.State);
        Assert.Equal(1, (await Catalog.CountByStateAsync(CancellationToken.None))[CloudState.Salvaging]);
        Assert.Equal([a.Id], (await Catalog.ListByStateAsync(CloudState.Salvaging, 10, CancellationToken.None)).Select(x => x.Id));
    }

    [Fact]
    public async Task Retention_ListsSalvagedRecordingsLikeArchivedOnes_ByRecorderAndCamera_AndALegalHoldWins()
    {
        RecordingAnnouncement salvaged = Synthesized("site-a", "cam1", 1);
        RecordingAnnouncement held = Synthesized("site-a", "cam1", 2);
        RecordingAnnouncement salvaging = Synthesized("site-a", "cam1", 3);
        RecordingAnnouncement otherSite = Synthesized("site-b", "cam1", 1);
        foreach (RecordingAnnouncement a in (RecordingAnnouncement[])[salvaged, held, salvaging, otherSite])
        {
            await Catalog.BeginSalvageAsync(a, "offline", CancellationToken.None);
        }
        foreach (RecordingAnnouncement a in (RecordingAnnouncement[])[salvaged, held, otherSite])
        {
            Assert.Equal(TransitionOutcome.Applied, await Catalog.MarkSalvagedAsync(a.Id, Copy("recordings/" + a.Id), CancellationToken.None));
        }
        Assert.Equal(TransitionOutcome.Applied, await Catalog.SetLegalHoldAsync(held.Id, true, "burglary", CancellationToken.None));

        IReadOnlyList<Recording> due = await Catalog.ListArchivedBeforeAsync(new CameraKey("site-a", "cam1"), T0.AddSeconds(1), 10, CancellationToken.None);

        Assert.Equal([salvaged.Id], due.Select(r => r.Id)); // held, still salvaging (no archive copy yet), another site's cam1: not due
        Assert.Equal(TransitionOutcome.Refused, await Catalog.MarkExpiredAsync(held.Id, "retention", CancellationToken.None));
        Assert.Equal(TransitionOutcome.Refused, await Catalog.MarkExpiredAsync(salvaging.Id, "retention", CancellationToken.None));
        Assert.Equal(TransitionOutcome.Applied, await Catalog.MarkExpiredAsync(salvaged.Id, "retention", CancellationToken.None));
        Assert.Equal(CloudState.Expired, (await Catalog.GetAsync(salvaged.Id, CancellationToken.None))!.State);
        Assert.Empty(await Catalog.ListArchivedBeforeAsync(new CameraKey("site-a", "cam1"), T0.AddSeconds(1), 10, CancellationToken.None));
        Assert.Equal([otherSite.Id], (await Catalog.ListArchivedBeforeAsync(new CameraKey("site-b", "cam1"), T0.AddSeconds(1), 10, CancellationToken.None)).Select(r => r.Id));
    }

    [Fact]
    public async Task Salvaged_KeepsTheCloudsFacts_AndASalvageWithNoBytesCanBeLost()
    {
        RecordingAnnouncement a = Synthesized("site-a", "cam1", 1);
        RecordingAnnouncement b = Synthesized("site-b", "cam1", 1);
        await Catalog.BeginSalvageAsync(a, "offline", CancellationToken.None);
        await Catalog.BeginSalvageAsync(b, "offline", CancellationToken.None);

        Assert.Equal(TransitionOutcome.Applied, await Catalog.MarkSalvagedAsync(a.Id, Copy("recordings/a"), CancellationToken.None));
        Assert.Equal(TransitionOutcome.AlreadyDone, await Catalog.MarkSalvagedAsync(a.Id, Copy("recordings/a"), CancellationToken.None));
        Assert.Equal(TransitionOutcome.Refused, await Catalog.MarkLostAsync(a.Id, "late", CancellationToken.None));
        Assert.Equal(TransitionOutcome.Applied, await Catalog.MarkLostAsync(b.Id, "the store held no byte", CancellationToken.None));
        Assert.Equal(TransitionOutcome.Refused, await Catalog.MarkSalvagedAsync(b.Id, Copy("recordings/b"), CancellationToken.None));

        Recording r = (await Catalog.GetAsync(a.Id, CancellationToken.None))!;
        Assert.Equal((CloudState.Salvaged, "recorder offline since 03:03:13Z; finished at 1234567 bytes", "recordings/a", 12L, 11L),
            (r.State, r.Reason, r.ArchiveObject, r.ArchiveGeneration, r.StagingGeneration));
        Assert.Equal((1_234_567L, new string('c', 64), "CCCCCC==", (string?)null, T0, T0.AddSeconds(191)),
            (r.Announcement.FileSize, r.Announcement.Sha256, r.Announcement.Crc32C, r.Announcement.Md5, r.Announcement.StartTime, r.Announcement.EndTime));
        Assert.Equal(CloudState.Lost, (await Catalog.GetAsync(b.Id, CancellationToken.None))!.State);
    }

    [Fact]
    public async Task ARecorderThatComesBack_ItsAnnouncementIsKeptBesideTheSalvage_NotAConflict_AndReplacesItOnlyWhenAsked()
    {
        RecordingAnnouncement salvage = Synthesized("site-a", "cam1", 2);
        await Catalog.BeginSalvageAsync(salvage, "offline", CancellationToken.None);
        await Catalog.MarkSalvagedAsync(salvage.Id, Copy("recordings/a"), CancellationToken.None);
        RecordingAnnouncement full = salvage with
        {
            CameraName = "Gate", EndTime = T0.AddSeconds(300), FileSize = 9_000_000, Sha256 = new string('f', 64), Crc32C = "FFFFFF==",
            Clock = new ClockState(T0, true, TimeSpan.FromMilliseconds(3), null, null, "chrony"),
        };

        Assert.Equal(TransitionOutcome.Refused, await Catalog.ReplaceSalvagedAsync(salvage.Id, 20, "recordings/a", 21, CancellationToken.None));
        await Catalog.AnnounceAsync(full, CancellationToken.None);
        await Catalog.AnnounceAsync(full, CancellationToken.None);
        await Assert.ThrowsAsync<InvalidOperationException>(() => Catalog.AnnounceAsync(full with { Sha256 = new string('e', 64) }, CancellationToken.None));
        await Assert.ThrowsAsync<InvalidOperationException>(() => Catalog.AnnounceAsync(
            Synthesized("site-a", "cam1", 3) with { Id = salvage.Id, FileSize = 5, Sha256 = "x" }, CancellationToken.None));

        Recording kept = (await Catalog.GetAsync(salvage.Id, CancellationToken.None))!;
        Assert.Equal((CloudState.Salvaged, 1_234_567L, full), (kept.State, kept.Announcement.FileSize, kept.RecorderAnnouncement));

        Assert.Equal(TransitionOutcome.Applied, await Catalog.ReplaceSalvagedAsync(salvage.Id, 20, "recordings/a", 21, CancellationToken.None));
        Assert.Equal(TransitionOutcome.AlreadyDone, await Catalog.ReplaceSalvagedAsync(salvage.Id, 20, "recordings/a", 21, CancellationToken.None));
        Recording replaced = (await Catalog.GetAsync(salvage.Id, CancellationToken.None))!;
        Assert.Equal((CloudState.Archived, full, 21L, 20L, (string?)null, (RecordingAnnouncement?)null),
            (replaced.State, replaced.Announcement, replaced.ArchiveGeneration, replaced.StagingGeneration, replaced.Reason, replaced.RecorderAnnouncement));
    }

    [Fact]
    public async Task AReplacementRefused_IsRecordedOnce_AndTheRecordingStaysSalvaged()
    {
        RecordingAnnouncement salvage = Synthesized("site-b", "cam1", 4);
        Assert.Equal(TransitionOutcome.NotFound, await Catalog.KeepSalvagedAsync(salvage.Id, "why", CancellationToken.None));
        await Catalog.BeginSalvageAsync(salvage, "offline", CancellationToken.None);
        Assert.Equal(TransitionOutcome.Refused, await Catalog.KeepSalvagedAsync(salvage.Id, "why", CancellationToken.None));
        await Catalog.MarkSalvagedAsync(salvage.Id, Copy("recordings/b"), CancellationToken.None);

        Assert.Equal(TransitionOutcome.Applied, await Catalog.KeepSalvagedAsync(salvage.Id, "not a prefix", CancellationToken.None));
        Assert.Equal(TransitionOutcome.AlreadyDone, await Catalog.KeepSalvagedAsync(salvage.Id, "again", CancellationToken.None));
        Recording r = (await Catalog.GetAsync(salvage.Id, CancellationToken.None))!;
        Assert.Equal((CloudState.Salvaged, "not a prefix"), (r.State, r.ReplacementRefused));
    }
}
