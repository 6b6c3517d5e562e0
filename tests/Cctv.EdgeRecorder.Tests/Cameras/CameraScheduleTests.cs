using System.Globalization;
using Cctv.EdgeRecorder.Cameras;
using Cctv.EdgeRecorder.Configuration;

namespace Cctv.EdgeRecorder.Tests.Cameras;

public sealed class CameraScheduleTests
{
    private static CameraSchedule Weekly(string zone, params (string Days, string Start, string End)[] windows)
    {
        var options = new ScheduleOptions { Mode = "weekly" };
        options.Windows.AddRange(windows.Select(w => new WeeklyWindowOptions { Days = w.Days, Start = w.Start, End = w.End }));
        var problems = new List<string>();
        CameraSchedule schedule = CameraSchedule.Parse(options, CameraSchedule.ResolveZone(zone, problems), "k", problems);
        Assert.Empty(problems);
        return schedule;
    }

    /// <summary>A camera that is off but for one recording: 2026-11-21 from 10:00 Paris time (09:00Z) for five minutes.</summary>
    private static CameraSchedule FiveMinutesFrom10AmParis()
    {
        var options = new ScheduleOptions { Mode = "off" };
        options.OneTime.Add(new OneTimeOptions { Start = "2026-11-21T10:00:00+01:00", Duration = TimeSpan.FromMinutes(5) });
        var problems = new List<string>();
        CameraSchedule schedule = CameraSchedule.Parse(options, TimeZoneInfo.Utc, "k", problems);
        Assert.Empty(problems);
        return schedule;
    }

    private static DateTimeOffset At(string iso) => DateTimeOffset.Parse(iso, CultureInfo.InvariantCulture);

    /// <summary>Every minute from..to at which the schedule records, as [start, end) spans.</summary>
    private static List<(DateTimeOffset Start, DateTimeOffset End)> Spans(CameraSchedule s, DateTimeOffset from, DateTimeOffset to)
    {
        var spans = new List<(DateTimeOffset, DateTimeOffset)>();
        DateTimeOffset? open = null;
        for (DateTimeOffset t = from; t < to; t += TimeSpan.FromMinutes(1))
        {
            bool active = s.IsActive(t);
            if (active && open is null)
            {
                open = t;
            }
            else if (!active && open is { } start)
            {
                spans.Add((start, t));
                open = null;
            }
        }
        if (open is { } last)
        {
            spans.Add((last, to));
        }
        return spans;
    }

    [Fact]
    public void AWindowThatCrossesMidnight_RecordsFromItsStartOnTheListedDayToItsEndTheNextMorning()
    {
        CameraSchedule s = Weekly("Europe/Paris", ("Fri", "22:00", "06:00"));

        // Friday 2026-11-20 22:00 to Saturday 06:00 Paris time (UTC+1), and nothing else that week.
        var spans = Spans(s, At("2026-11-16T00:00:00+01:00"), At("2026-11-23T00:00:00+01:00"));

        Assert.Equal([(At("2026-11-20T22:00:00+01:00"), At("2026-11-21T06:00:00+01:00"))], spans);
    }

    [Fact]
    public void OnTheNightClocksGoBack_TheWindowKeepsItsWallClockTimes_AndLastsAnHourLonger()
    {
        // Paris, 2026-10-25: 03:00 CEST becomes 02:00 CET.
        CameraSchedule s = Weekly("Europe/Paris", ("Sat", "22:00", "06:00"));

        var spans = Spans(s, At("2026-10-24T12:00:00Z"), At("2026-10-25T12:00:00Z"));

        (DateTimeOffset start, DateTimeOffset end) = Assert.Single(spans);
        Assert.Equal(At("2026-10-24T22:00:00+02:00"), start);
        Assert.Equal(At("2026-10-25T06:00:00+01:00"), end);
        Assert.Equal(TimeSpan.FromHours(9), end - start);
    }

    [Fact]
    public void OnTheNightClocksGoForward_TheWindowLastsAnHourLess_AndAWindowInsideTheMissingHourRecordsNothing()
    {
        // New York, 2026-03-08: 02:00 EST becomes 03:00 EDT.
        CameraSchedule night = Weekly("America/New_York", ("Sat", "22:00", "06:00"));
        CameraSchedule missing = Weekly("America/New_York", ("Sun", "02:15", "02:45"));

        var spans = Spans(night, At("2026-03-07T12:00:00-05:00"), At("2026-03-08T12:00:00-04:00"));

        (DateTimeOffset start, DateTimeOffset end) = Assert.Single(spans);
        Assert.Equal(At("2026-03-07T22:00:00-05:00"), start);
        Assert.Equal(At("2026-03-08T06:00:00-04:00"), end);
        Assert.Equal(TimeSpan.FromHours(7), end - start);
        Assert.Empty(Spans(missing, At("2026-03-08T00:00:00-05:00"), At("2026-03-08T12:00:00-04:00")));
    }

    [Fact]
    public void WeekdayRanges_Lists_AndDaily_AreUnderstood()
    {
        CameraSchedule s = Weekly("UTC", ("Mon-Fri", "08:00", "18:00"), ("Sat,Sun", "10:00", "12:00"));

        Assert.True(s.IsActive(At("2026-11-16T08:00:00Z"))); // Monday 08:00, the first minute
        Assert.False(s.IsActive(At("2026-11-16T18:00:00Z"))); // the end is exclusive
        Assert.True(s.IsActive(At("2026-11-22T11:59:00Z"))); // Sunday
        Assert.False(s.IsActive(At("2026-11-22T12:00:00Z")));
        Assert.True(Weekly("UTC", ("daily", "00:00", "24:00")).IsActive(At("2026-11-18T23:59:59Z")));
    }

    [Fact]
    public void AOneTimeRecording_RecordsForItsDuration_EvenWhenTheCameraIsOff_AndThenExpires()
    {
        CameraSchedule s = FiveMinutesFrom10AmParis();

        Assert.False(s.IsActive(At("2026-11-21T08:59:59Z")));
        Assert.True(s.IsActive(At("2026-11-21T09:00:00Z")));
        Assert.True(s.IsActive(At("2026-11-21T09:04:59Z")));
        Assert.False(s.IsActive(At("2026-11-21T09:05:00Z")));
        Assert.Empty(s.ExpiredAt(At("2026-11-21T09:04:00Z")));
        Assert.Single(s.ExpiredAt(At("2026-11-21T09:05:00Z")));
    }

    [Fact]
    public void TheNextChange_IsExactlyWhereTheScheduleStartsOrStopsRecording_SoAWindowEndsOnTime()
    {
        CameraSchedule s = Weekly("Europe/Paris", ("Fri", "22:00", "06:00"), ("Mon-Wed", "08:30", "17:00"), ("Sun", "00:00", "24:00"));
        DateTimeOffset from = At("2026-11-16T00:00:00+01:00");

        int boundaries = 0;
        for (DateTimeOffset t = from; t < from.AddDays(7); t += TimeSpan.FromMinutes(1))
        {
            if (s.IsActive(t) != s.IsActive(t + TimeSpan.FromMinutes(1)))
            {
                boundaries++;
                Assert.Equal(t + TimeSpan.FromMinutes(1), s.NextChangeAfter(t));
                Assert.Equal(t + TimeSpan.FromMinutes(1), s.NextChangeAfter(t + TimeSpan.FromSeconds(59.9)));
            }
        }
        Assert.Equal(10, boundaries); // three weekday windows, Friday night, and Sunday's whole day
        Assert.Equal(At("2026-11-20T22:00:00+01:00"), s.NextChangeAfter(At("2026-11-20T17:00:00+01:00")));
        Assert.Equal(At("2026-11-21T06:00:00+01:00"), s.NextChangeAfter(At("2026-11-20T22:00:00+01:00"))); // not the start it is at
    }

    [Fact]
    public void TheNextChange_OfAnEndInTheRepeatedHour_IsItsFirstInstant_AndAStartInTheMissingHour_IsLeftToTheRegularLook()
    {
        // Paris, 2026-10-25: 03:00 CEST becomes 02:00 CET, so 02:30 happens at 00:30Z and again at 01:30Z.
        CameraSchedule back = Weekly("Europe/Paris", ("Sat", "22:00", "02:30"));
        Assert.Equal(At("2026-10-25T00:30:00Z"), back.NextChangeAfter(At("2026-10-25T00:00:00Z")));
        Assert.Equal(At("2026-10-25T01:30:00Z"), back.NextChangeAfter(At("2026-10-25T00:30:00Z")));

        // New York, 2026-03-08: 02:00 EST becomes 03:00 EDT; 02:15 does not exist that night.
        CameraSchedule forward = Weekly("America/New_York", ("Sun", "02:15", "04:00"));
        Assert.Equal(At("2026-03-08T04:00:00-04:00"), forward.NextChangeAfter(At("2026-03-08T01:00:00-05:00")));
    }

    [Fact]
    public void TheNextChange_OfAOneTimeRecording_IsItsStartThenItsEnd_AndAContinuousCameraHasNone()
    {
        CameraSchedule s = FiveMinutesFrom10AmParis();

        Assert.Equal(At("2026-11-21T09:00:00Z"), s.NextChangeAfter(At("2026-11-21T08:59:59.5Z")));
        Assert.Equal(At("2026-11-21T09:05:00Z"), s.NextChangeAfter(At("2026-11-21T09:00:00Z")));
        Assert.Null(s.NextChangeAfter(At("2026-11-21T09:05:00Z")));
        Assert.Null(CameraSchedule.Always.NextChangeAfter(At("2026-11-21T09:00:00Z")));
    }

    [Fact]
    public void TheBook_CountsACameraOwnOnDemandRecordings_AndNotThoseOfAnotherCamera()
    {
        var options = new RecorderOptions { Id = "site", DataDir = "/tmp/unused" };
        options.Cameras.Add(new CameraOptions { Id = "cam1", Url = "rtsp://127.0.0.1/cam1", Schedule = new ScheduleOptions { Mode = "off" } });
        options.Cameras.Add(new CameraOptions { Id = "cam2", Url = "rtsp://127.0.0.1/cam2", Schedule = new ScheduleOptions { Mode = "off" } });
        var book = new ScheduleBook(options);
        book.SetOnDemand([new OnDemandRecording("r1", "cam2", At("2026-11-21T03:10:00Z"), TimeSpan.FromMinutes(5))]);

        Assert.Null(book.NextChangeAfter("cam1", At("2026-11-21T03:00:00Z")));
        Assert.Equal(At("2026-11-21T03:10:00Z"), book.NextChangeAfter("cam2", At("2026-11-21T03:00:00Z")));
        Assert.Equal(At("2026-11-21T03:15:00Z"), book.NextChangeAfter("cam2", At("2026-11-21T03:12:00Z")));
    }

    [Fact]
    public void ALookDueAtAnEdge_ThatComesAHairLate_LooksAgainAtOnce_NotAtTheEdgeAfter()
    {
        (ScheduleBook book, DateTimeOffset start) = ThirtySecondsOnDemand();
        TimeSpan second = TimeSpan.FromSeconds(1);

        Assert.Equal(TimeSpan.FromMilliseconds(400), CameraSupervisor.UntilNextLook(book, "cam1", second, start.AddSeconds(-0.5), start.AddSeconds(-0.4)));
        // Read as not yet recording a millisecond before the start, and the wait worked out a millisecond after it.
        Assert.Equal(TimeSpan.Zero, CameraSupervisor.UntilNextLook(book, "cam1", second, start.AddMilliseconds(-1), start.AddMilliseconds(1)));
        Assert.Equal(second, CameraSupervisor.UntilNextLook(book, "cam1", second, start, start.AddMilliseconds(1))); // the end is 30 s away
    }

    [Fact]
    public void AnEdgeThatTheSharedBeatCouldOvershoot_GetsATimerOfItsOwn_AndAFarOneWaitsForTheBeat()
    {
        (ScheduleBook book, DateTimeOffset start) = ThirtySecondsOnDemand();
        TimeSpan second = TimeSpan.FromSeconds(1), beat = TimeSpan.FromMilliseconds(250);

        // 1.1 s away: past the regular look, but the beat that ends a one-second wait may come up to 0.125 s after it.
        Assert.Equal(TimeSpan.FromMilliseconds(1100), CameraSupervisor.UntilEdge(book, "cam1", second, beat, start.AddSeconds(-1.1), start.AddSeconds(-1.1)));
        Assert.Equal(TimeSpan.FromMilliseconds(300), CameraSupervisor.UntilEdge(book, "cam1", second, beat, start.AddSeconds(-0.3), start.AddSeconds(-0.3)));
        Assert.Null(CameraSupervisor.UntilEdge(book, "cam1", second, beat, start.AddSeconds(-1.3), start.AddSeconds(-1.3)));
        Assert.Null(CameraSupervisor.UntilEdge(book, "cam1", second, beat, start.AddSeconds(10), start.AddSeconds(10))); // the end is 20 s away
    }

    /// <summary>Camera cam1, off but for one on-demand recording of 30 s from 03:10:00.</summary>
    private static (ScheduleBook Book, DateTimeOffset Start) ThirtySecondsOnDemand()
    {
        var options = new RecorderOptions { Id = "site", DataDir = "/tmp/unused" };
        options.Cameras.Add(new CameraOptions { Id = "cam1", Url = "rtsp://127.0.0.1/cam1", Schedule = new ScheduleOptions { Mode = "off" } });
        var book = new ScheduleBook(options);
        DateTimeOffset start = At("2026-11-21T03:10:00Z");
        book.SetOnDemand([new OnDemandRecording("r1", "cam1", start, TimeSpan.FromSeconds(30))]);
        return (book, start);
    }

    [Theory]
    [InlineData("weekly", "Mon-Fri", "25:00", "06:00", "k:Windows:0:Start '25:00'")]
    [InlineData("weekly", "Moonday", "22:00", "06:00", "k:Windows:0:Days 'Moonday'")]
    [InlineData("sometimes", "daily", "22:00", "06:00", "k:Mode 'sometimes'")]
    public void ABrokenSchedule_IsRefusedNamingTheKeyAndTheValue(string mode, string days, string start, string end, string expected)
    {
        var options = new ScheduleOptions { Mode = mode, Windows = [new WeeklyWindowOptions { Days = days, Start = start, End = end }] };
        var problems = new List<string>();

        CameraSchedule.Parse(options, TimeZoneInfo.Utc, "k", problems);

        Assert.Contains(problems, p => p.StartsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void AnUnknownTimeZone_IsRefusedWithTheFix()
    {
        var problems = new List<string>();
        CameraSchedule.ResolveZone("Europe/Atlantis", problems);
        Assert.Contains("IANA", Assert.Single(problems), StringComparison.Ordinal);
    }
}
