using Cctv.Shared.Domain;

namespace Cctv.Shared.Tests.Domain;

/// <summary>Which reads an export's custody record lists: those that reached the exported camera and range.</summary>
public sealed class AuditReadTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 15, 3, 0, 0, TimeSpan.Zero);
    private static readonly CameraKey ACam1 = new("rec-a", "cam1");
    private static readonly CameraKey BCam1 = new("rec-b", "cam1");
    private static readonly string InRange = RecordingId.For("rec-a", "cam1", 1, 5);
    private static readonly string Outside = RecordingId.For("rec-a", "cam1", 1, 99);

    private static AuditRead Range(CameraKey camera, int fromMinutes, int toMinutes) =>
        new(AuditAction.Playlist, "user:anna", null, camera, [], T0.AddMinutes(fromMinutes), T0.AddMinutes(toMinutes), null, null, null);

    private static AuditRead Ids(CameraKey camera, params string[] ids) =>
        new(AuditAction.GetUrl, "user:anna", null, camera, ids, null, null, null, null, null);

    [Theory]
    [InlineData(-10, 1, true)]
    [InlineData(9, 20, true)]
    [InlineData(-10, 0, false)]
    [InlineData(10, 20, false)]
    public void ARangeRead_ReachedTheExport_WhenItOverlapsTheExportedRange(int from, int to, bool reached) =>
        Assert.Equal(reached, Range(ACam1, from, to).Reached(ACam1, T0, T0.AddMinutes(10), new HashSet<string> { InRange }));

    [Fact]
    public void AReadByIds_ReachedTheExport_WhenItReadOneOfItsRecordings_AndAnotherSitesCam1NeverDid()
    {
        var exported = new HashSet<string> { InRange };

        Assert.True(Ids(ACam1, Outside, InRange).Reached(ACam1, T0, T0.AddMinutes(10), exported));
        Assert.False(Ids(ACam1, Outside).Reached(ACam1, T0, T0.AddMinutes(10), exported));
        Assert.False(Range(BCam1, -10, 20).Reached(ACam1, T0, T0.AddMinutes(10), exported));
        Assert.False(Ids(BCam1, InRange).Reached(ACam1, T0, T0.AddMinutes(10), exported));
    }
}
