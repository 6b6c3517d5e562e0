using Cctv.Shared.Domain;
using Cctv.Shared.Ports;

namespace Cctv.Shared.Tests;

/// <summary>The transition rules of issue 10: a loss never wins over an object that reached the cloud, and expired is final.</summary>
public abstract partial class CatalogContractTests
{
    [Fact]
    public async Task MarkLost_RefusedForAStagedRecording_WhichStaysStagedAndIsArchivedAfterwards()
    {
        RecordingAnnouncement a = Announcement("cam1", 0);
        await Catalog.AnnounceAsync(a, CancellationToken.None);
        Assert.Equal(TransitionOutcome.Applied, await Catalog.MarkStagedAsync(a.Id, 5, CancellationToken.None));

        Assert.Equal(TransitionOutcome.Refused, await Catalog.MarkLostAsync(a.Id, "local file gone", CancellationToken.None));

        Recording staged = (await Catalog.GetAsync(a.Id, CancellationToken.None))!;
        Assert.Equal((CloudState.Staged, (string?)null), (staged.State, staged.Reason));
        Assert.Equal(TransitionOutcome.Applied, await Catalog.MarkArchivedAsync(a.Id, "recordings/a", 6, CancellationToken.None));
        Assert.Equal(CloudState.Archived, (await Catalog.GetAsync(a.Id, CancellationToken.None))!.State);
    }

    [Fact]
    public async Task MarkLost_RefusedForArchivedAndExpired_AppliedForAnnouncedAndQuarantined()
    {
        RecordingAnnouncement archived = Announcement("cam1", 0), expired = Announcement("cam1", 1),
            announced = Announcement("cam1", 2), quarantined = Announcement("cam1", 3);
        foreach (RecordingAnnouncement a in new[] { archived, expired, announced, quarantined })
        {
            await Catalog.AnnounceAsync(a, CancellationToken.None);
        }
        foreach (RecordingAnnouncement a in new[] { archived, expired })
        {
            await Catalog.MarkStagedAsync(a.Id, 1, CancellationToken.None);
            await Catalog.MarkArchivedAsync(a.Id, $"recordings/{a.Id}", 2, CancellationToken.None);
        }
        Assert.Equal(TransitionOutcome.Applied, await Catalog.MarkExpiredAsync(expired.Id, "retention", CancellationToken.None));
        await Catalog.MarkQuarantinedAsync(quarantined.Id, "crc mismatch", CancellationToken.None);

        Assert.Equal(TransitionOutcome.Refused, await Catalog.MarkLostAsync(archived.Id, "gone", CancellationToken.None));
        Assert.Equal(TransitionOutcome.Refused, await Catalog.MarkLostAsync(expired.Id, "gone", CancellationToken.None));
        Assert.Equal(TransitionOutcome.Applied, await Catalog.MarkLostAsync(announced.Id, "gone", CancellationToken.None));
        Assert.Equal(TransitionOutcome.Applied, await Catalog.MarkLostAsync(quarantined.Id, "gone", CancellationToken.None));
        Assert.Equal(CloudState.Archived, (await Catalog.GetAsync(archived.Id, CancellationToken.None))!.State);
        Assert.Equal(CloudState.Expired, (await Catalog.GetAsync(expired.Id, CancellationToken.None))!.State);
    }

    [Fact]
    public async Task Expired_IsFinal_NeverStagedOrArchivedAgain()
    {
        RecordingAnnouncement a = Announcement("cam1", 0);
        await Catalog.AnnounceAsync(a, CancellationToken.None);
        await Catalog.MarkStagedAsync(a.Id, 1, CancellationToken.None);
        await Catalog.MarkArchivedAsync(a.Id, "recordings/a", 2, CancellationToken.None);
        await Catalog.MarkExpiredAsync(a.Id, "retention", CancellationToken.None);

        Assert.Equal(TransitionOutcome.Refused, await Catalog.MarkStagedAsync(a.Id, 3, CancellationToken.None));
        Assert.Equal(TransitionOutcome.Refused, await Catalog.MarkArchivedAsync(a.Id, "recordings/a", 4, CancellationToken.None));
        Assert.Equal(TransitionOutcome.Refused, await Catalog.MarkQuarantinedAsync(a.Id, "again", CancellationToken.None));
        Assert.Equal(CloudState.Expired, (await Catalog.GetAsync(a.Id, CancellationToken.None))!.State);
    }
}
