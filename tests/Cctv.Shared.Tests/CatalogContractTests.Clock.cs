using Cctv.Shared.Domain;

namespace Cctv.Shared.Tests;

public abstract partial class CatalogContractTests
{
    [Fact]
    public async Task Announce_WithTheRunsClockState_ReadsItBack_AndAnAnnouncementWithoutOne_AsOlderRecordersSendThem_HasNone()
    {
        var synced = new ClockState(T0.AddMilliseconds(-1234), true, TimeSpan.FromMicroseconds(-250), TimeSpan.FromMilliseconds(12.5),
            TimeSpan.FromMicroseconds(310), ClockState.Adjtimex);
        ClockState unknown = ClockState.Unknown(T0, "adjtimex is read on 64-bit Linux only");
        RecordingAnnouncement a = Announcement("cam1", 0) with { Clock = synced };
        RecordingAnnouncement b = Announcement("cam2", 0) with { Clock = unknown };
        RecordingAnnouncement old = Announcement("cam1", 1);
        foreach (RecordingAnnouncement each in (RecordingAnnouncement[])[a, b, old])
        {
            await Catalog.AnnounceAsync(each, CancellationToken.None);
        }

        Assert.Equal(synced, (await Catalog.GetAsync(a.Id, CancellationToken.None))!.Announcement.Clock);
        Assert.Equal(unknown, (await Catalog.GetAsync(b.Id, CancellationToken.None))!.Announcement.Clock);
        Assert.Null((await Catalog.GetAsync(old.Id, CancellationToken.None))!.Announcement.Clock);
        Assert.Equal([a, old], (await Catalog.GetManyAsync([a.Id, old.Id], CancellationToken.None)).Select(r => r.Announcement).OrderBy(x => x.Sequence));
    }
}
