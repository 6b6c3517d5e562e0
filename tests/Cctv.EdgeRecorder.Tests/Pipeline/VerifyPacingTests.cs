using System.Globalization;
using Cctv.EdgeRecorder.Pipeline;

namespace Cctv.EdgeRecorder.Tests.Pipeline;

/// <summary>When the agent asks the catalog about uploaded segments: soon after an upload, backing off while nothing is verified.</summary>
public sealed class VerifyPacingTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.Parse("2026-11-21T03:10:00Z", CultureInfo.InvariantCulture);
    private static readonly TimeSpan First = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Max = TimeSpan.FromSeconds(60);

    [Fact]
    public void NothingUploaded_NoQueryIsPlanned()
    {
        var pacing = new VerifyPacing(First, Max);

        Assert.Null(pacing.Next);
        Assert.False(pacing.IsDue(T0.AddDays(1)));
    }

    [Fact]
    public void AnUpload_PlansAQueryShortlyAfter_AndFurtherUploadsDoNotMoveIt()
    {
        var pacing = new VerifyPacing(First, Max);

        pacing.Uploaded(T0);
        pacing.Uploaded(T0.AddSeconds(1));

        Assert.Equal(T0 + First, pacing.Next);
        Assert.False(pacing.IsDue(T0.AddSeconds(1.9)));
        Assert.True(pacing.IsDue(T0.AddSeconds(2)));
    }

    [Fact]
    public void LaggingVerification_BacksOffToTheCap_AndUploadsMeanwhileDoNotCutTheBackOffShort()
    {
        var pacing = new VerifyPacing(First, Max);
        pacing.Uploaded(T0);
        DateTimeOffset now = T0;
        var waits = new List<double>();
        for (int pass = 0; pass < 8; pass++)
        {
            now = pacing.Next!.Value;
            pacing.Passed(now, asked: 100, verified: 0);
            pacing.Uploaded(now); // segments keep being uploaded all along
            waits.Add((pacing.Next!.Value - now).TotalSeconds);
        }

        Assert.Equal([2, 4, 8, 16, 32, 60, 60, 60], waits);
    }

    [Fact]
    public void Progress_ResetsThePace_AndNothingLeftToAsk_StopsAsking()
    {
        var pacing = new VerifyPacing(First, Max);
        pacing.Uploaded(T0);
        pacing.Passed(T0.AddSeconds(2), asked: 10, verified: 0);
        pacing.Passed(T0.AddSeconds(4), asked: 10, verified: 0);
        Assert.Equal(T0.AddSeconds(8), pacing.Next);

        pacing.Passed(T0.AddSeconds(8), asked: 10, verified: 3);
        Assert.Equal(T0.AddSeconds(10), pacing.Next);

        pacing.Passed(T0.AddSeconds(10), asked: 0, verified: 0);
        Assert.Null(pacing.Next);
    }
}
