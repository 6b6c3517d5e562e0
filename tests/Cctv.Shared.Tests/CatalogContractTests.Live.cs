using Cctv.Shared.Domain;
using Cctv.Shared.Ports;

namespace Cctv.Shared.Tests;

/// <summary>The live-session part of the catalog contract (issue 12): each recorder's last report of its live tails. Runs on SQLite and on the Firestore emulator.</summary>
public abstract partial class CatalogContractTests
{
    protected static LiveSession Live(string recorder, string camera, long seq, long confirmed = 262144) => new(
        RecordingId.For(recorder, camera, 1, seq), camera, 1, seq, ObjectNames.Staging(recorder, camera, RecordingId.For(recorder, camera, 1, seq)),
        new Uri($"https://storage.example/upload/{recorder}/{camera}/{seq}?upload_id=x{seq}"), confirmed, T0.AddSeconds(seq * 300), T0.AddSeconds(seq * 300 + 2));

    [Fact]
    public async Task LiveSessions_AReportReplacesTheRecordersSet_StampedWithTheCatalogClock_AndTwoSitesCam1StayApart()
    {
        Assert.Empty(await Catalog.ListLiveSessionsAsync("site-a", CancellationToken.None));
        Clock.Advance(TimeSpan.FromSeconds(10));
        await Catalog.RecordLiveSessionsAsync("site-a", T0.AddSeconds(9), [Live("site-a", "cam1", 0), Live("site-a", "cam2", 0)], CancellationToken.None);
        await Catalog.RecordLiveSessionsAsync("site-b", T0.AddSeconds(9), [Live("site-b", "cam1", 0, confirmed: 0) with { ConfirmedUpTo = null }], CancellationToken.None);
        Clock.Advance(TimeSpan.FromSeconds(2));
        await Catalog.RecordLiveSessionsAsync("site-a", T0.AddSeconds(11), [Live("site-a", "cam1", 1, confirmed: 524288)], CancellationToken.None);

        Assert.Equal([Live("site-a", "cam1", 1, confirmed: 524288)], await Catalog.ListLiveSessionsAsync("site-a", CancellationToken.None));
        Assert.Equal([Live("site-b", "cam1", 0, confirmed: 0) with { ConfirmedUpTo = null }], await Catalog.ListLiveSessionsAsync("site-b", CancellationToken.None));
        IReadOnlyList<LiveSessionReport> reports = await Catalog.ListLiveSessionReportsAsync(CancellationToken.None);
        Assert.Equal([("site-a", T0.AddSeconds(11), T0.AddSeconds(12)), ("site-b", T0.AddSeconds(9), T0.AddSeconds(10))],
            reports.Select(r => (r.RecorderId, r.SentAt, r.ReceivedAt)));
    }

    [Fact]
    public async Task LiveSessions_AnOlderReportChangesNothing_AndAnEmptyOneLeavesNoReportToSalvage()
    {
        await Catalog.RecordLiveSessionsAsync("site-a", T0.AddSeconds(20), [Live("site-a", "cam1", 2)], CancellationToken.None);
        await Catalog.RecordLiveSessionsAsync("site-a", T0.AddSeconds(19), [Live("site-a", "cam1", 1)], CancellationToken.None);
        Assert.Equal([Live("site-a", "cam1", 2)], await Catalog.ListLiveSessionsAsync("site-a", CancellationToken.None));

        await Catalog.RecordLiveSessionsAsync("site-a", T0.AddSeconds(21), [], CancellationToken.None);
        Assert.Empty(await Catalog.ListLiveSessionsAsync("site-a", CancellationToken.None));
        Assert.Empty(await Catalog.ListLiveSessionReportsAsync(CancellationToken.None));
    }

    [Fact]
    public async Task LiveSessions_AReportNamingAnotherRecordersObjects_IsRefused_AndNothingIsStored()
    {
        await Catalog.RecordLiveSessionsAsync("site-a", T0, [Live("site-a", "cam1", 0)], CancellationToken.None);
        LiveSession theirs = Live("site-b", "cam1", 0);
        LiveSession mine = Live("site-a", "cam1", 1);

        ArgumentException foreign = await Assert.ThrowsAsync<ArgumentException>(() =>
            Catalog.RecordLiveSessionsAsync("site-a", T0.AddSeconds(5), [mine, theirs], CancellationToken.None));
        Assert.Contains("not recorder site-a's recording", foreign.Message, StringComparison.Ordinal);
        ArgumentException staging = await Assert.ThrowsAsync<ArgumentException>(() =>
            Catalog.RecordLiveSessionsAsync("site-a", T0.AddSeconds(5), [mine with { StagingObject = theirs.StagingObject }], CancellationToken.None));
        Assert.Contains("which is not recorder site-a's", staging.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentException>(() =>
            Catalog.RecordLiveSessionsAsync("site-a", T0.AddSeconds(5), [mine, mine], CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => Catalog.RecordLiveSessionsAsync("site-a", T0.AddSeconds(5),
            [.. Enumerable.Range(0, LiveSessionRules.MaxSessions + 1).Select(i => Live("site-a", "cam1", i))], CancellationToken.None));

        Assert.Equal([Live("site-a", "cam1", 0)], await Catalog.ListLiveSessionsAsync("site-a", CancellationToken.None));
        Assert.Empty(await Catalog.ListLiveSessionsAsync("site-b", CancellationToken.None));
    }
}
