using System.Globalization;
using Cctv.EdgeRecorder.Configuration;

namespace Cctv.EdgeRecorder.Cameras;

/// <summary>A weekly window in local wall-clock time; <see cref="End"/> at or before <see cref="Start"/> means it ends the next day.</summary>
public sealed record WeeklyWindow(IReadOnlySet<DayOfWeek> Days, TimeSpan Start, TimeSpan End);

/// <summary>A one-time recording: from <see cref="Start"/> for <see cref="Duration"/>.</summary>
public sealed record OneTimeRecording(DateTimeOffset Start, TimeSpan Duration)
{
    public DateTimeOffset End => Start + Duration;
}

/// <summary>
/// When a camera records. Weekly windows are wall-clock times in the site's time zone, so "22:00 to 06:00"
/// starts at 22:00 local on each listed day and ends at 06:00 local the next morning, whatever the offset does in
/// between: on the night clocks go back the window lasts an hour longer in real time, on the night they go forward an
/// hour shorter, and a window whose wall-clock times do not exist that night (02:30 when 02:00 jumps to 03:00) records
/// from the first moment that does. One-time recordings are absolute instants and expire by themselves.
/// </summary>
public sealed class CameraSchedule
{
    public const string Continuous = "continuous";
    public const string Weekly = "weekly";
    public const string Off = "off";

    private static readonly Dictionary<string, DayOfWeek> DayNames = new(StringComparer.OrdinalIgnoreCase)
    {
        ["mon"] = DayOfWeek.Monday, ["tue"] = DayOfWeek.Tuesday, ["wed"] = DayOfWeek.Wednesday, ["thu"] = DayOfWeek.Thursday,
        ["fri"] = DayOfWeek.Friday, ["sat"] = DayOfWeek.Saturday, ["sun"] = DayOfWeek.Sunday,
    };

    private CameraSchedule(string mode, TimeZoneInfo zone, IReadOnlyList<WeeklyWindow> windows, IReadOnlyList<OneTimeRecording> oneTime)
    {
        Mode = mode;
        Zone = zone;
        Windows = windows;
        OneTime = oneTime;
    }

    public string Mode { get; }
    public TimeZoneInfo Zone { get; }
    public IReadOnlyList<WeeklyWindow> Windows { get; }
    public IReadOnlyList<OneTimeRecording> OneTime { get; }

    public static CameraSchedule Always { get; } = new(Continuous, TimeZoneInfo.Utc, [], []);

    /// <summary>Whether the camera should be recording at <paramref name="at"/>.</summary>
    public bool IsActive(DateTimeOffset at) =>
        Mode == Continuous || OneTime.Any(o => o.Start <= at && at < o.End) || (Mode == Weekly && InWeeklyWindow(at));

    /// <summary>One-time recordings that have ended by <paramref name="at"/>.</summary>
    public IEnumerable<OneTimeRecording> ExpiredAt(DateTimeOffset at) => OneTime.Where(o => o.End <= at);

    /// <summary>
    /// The first instant after <paramref name="at"/> at which a window of this schedule begins or ends, or null when
    /// none does before the day after tomorrow (local). The supervisors wake then, so a window ends when it says rather than at the next one-second look.
    /// A weekly boundary whose wall-clock time does not exist that night is left out: the regular look finds it.
    /// </summary>
    public DateTimeOffset? NextChangeAfter(DateTimeOffset at)
    {
        DateTimeOffset? next = null;
        foreach (OneTimeRecording o in OneTime)
        {
            next = Earliest(next, at, o.Start);
            next = Earliest(next, at, o.End);
        }
        if (Mode != Weekly)
        {
            return next;
        }
        DateTime today = TimeZoneInfo.ConvertTime(at, Zone).Date;
        foreach (WeeklyWindow w in Windows)
        {
            foreach (DateTime day in (DateTime[])[today.AddDays(-1), today, today.AddDays(1)])
            {
                if (!w.Days.Contains(day.DayOfWeek))
                {
                    continue;
                }
                DateTime end = w.End > w.Start ? day + w.End : day.AddDays(1) + w.End;
                foreach (DateTime local in (DateTime[])[day + w.Start, end])
                {
                    foreach (DateTimeOffset instant in InstantsOf(local))
                    {
                        next = Earliest(next, at, instant);
                    }
                }
            }
        }
        return next;
    }

    /// <summary>The earlier of <paramref name="next"/> and <paramref name="candidate"/>, counting only instants after <paramref name="at"/>.</summary>
    public static DateTimeOffset? Earliest(DateTimeOffset? next, DateTimeOffset at, DateTimeOffset candidate) =>
        candidate > at && (next is null || candidate < next) ? candidate : next;

    /// <summary>The instants a local wall-clock time names in this zone: none in a gap, two in a repeated hour.</summary>
    private IEnumerable<DateTimeOffset> InstantsOf(DateTime local)
    {
        if (Zone.IsInvalidTime(local))
        {
            return [];
        }
        if (Zone.IsAmbiguousTime(local))
        {
            return Zone.GetAmbiguousTimeOffsets(local).Select(offset => new DateTimeOffset(local, offset));
        }
        return [new DateTimeOffset(local, Zone.GetUtcOffset(local))];
    }

    private bool InWeeklyWindow(DateTimeOffset at)
    {
        DateTime local = TimeZoneInfo.ConvertTime(at, Zone).DateTime;
        foreach (WeeklyWindow w in Windows)
        {
            // The window that started today, and the one that started yesterday and may still run past midnight.
            foreach (DateTime day in (DateTime[])[local.Date, local.Date.AddDays(-1)])
            {
                if (!w.Days.Contains(day.DayOfWeek))
                {
                    continue;
                }
                DateTime start = day + w.Start;
                DateTime end = w.End > w.Start ? day + w.End : day.AddDays(1) + w.End;
                if (start <= local && local < end)
                {
                    return true;
                }
            }
        }
        return false;
    }

    /// <summary>Parses a camera's schedule; every problem is named with its configuration key.</summary>
    public static TimeZoneInfo ResolveZone(string timeZone, List<string> problems)
    {
        if (TimeZoneInfo.TryFindSystemTimeZoneById(timeZone, out TimeZoneInfo? found))
        {
            return found;
        }
        problems.Add($"Recorder:TimeZone '{timeZone}' is not a time zone this machine knows: use an IANA name such as Europe/Paris or America/New_York (install tzdata if none is known).");
        return TimeZoneInfo.Utc;
    }

    public static CameraSchedule Parse(ScheduleOptions options, TimeZoneInfo zone, string key, List<string> problems)
    {
        string mode = options.Mode.Trim().ToLowerInvariant();
        if (mode is not (Continuous or Weekly or Off))
        {
            problems.Add($"{key}:Mode '{options.Mode}' is unknown: use 'continuous', 'weekly' or 'off'.");
        }
        var windows = new List<WeeklyWindow>();
        for (int i = 0; i < options.Windows.Count; i++)
        {
            WeeklyWindowOptions w = options.Windows[i];
            string wkey = $"{key}:Windows:{i}";
            HashSet<DayOfWeek>? days = ParseDays(w.Days);
            if (days is null)
            {
                problems.Add($"{wkey}:Days '{w.Days}' is not a list of days: use e.g. 'Mon-Fri', 'Sat,Sun' or 'daily'.");
            }
            bool startOk = TryParseTime(w.Start, out TimeSpan start);
            bool endOk = TryParseTime(w.End, out TimeSpan end);
            if (!startOk)
            {
                problems.Add($"{wkey}:Start '{w.Start}' is not a time of day: use HH:mm from 00:00 to 23:59.");
            }
            if (!endOk)
            {
                problems.Add($"{wkey}:End '{w.End}' is not a time of day: use HH:mm from 00:00 to 24:00 (an end before the start means the next day).");
            }
            if (days is not null && startOk && endOk)
            {
                windows.Add(new WeeklyWindow(days, start, end));
            }
        }
        if (mode == Weekly && options.Windows.Count == 0)
        {
            problems.Add($"{key}:Windows is empty: a weekly schedule needs at least one window (or use Mode 'off' with one-time recordings).");
        }
        var oneTime = new List<OneTimeRecording>();
        for (int i = 0; i < options.OneTime.Count; i++)
        {
            OneTimeOptions o = options.OneTime[i];
            string okey = $"{key}:OneTime:{i}";
            if (!DateTimeOffset.TryParse(o.Start, CultureInfo.InvariantCulture, DateTimeStyles.None, out DateTimeOffset startAt) || !HasOffset(o.Start))
            {
                problems.Add($"{okey}:Start '{o.Start}' is not an ISO 8601 time with an offset: use e.g. 2026-11-21T22:00:00+01:00 or ...Z.");
            }
            else if (o.Duration <= TimeSpan.Zero || o.Duration > TimeSpan.FromDays(7))
            {
                problems.Add($"{okey}:Duration '{o.Duration}' must be positive and at most 7 days (e.g. 00:05:00).");
            }
            else
            {
                oneTime.Add(new OneTimeRecording(startAt, o.Duration));
            }
        }
        return new CameraSchedule(mode, zone, windows, oneTime);
    }

    private static bool HasOffset(string text) =>
        text.EndsWith('Z') || text.EndsWith('z') || (text.Length > 6 && (text[^6] is '+' or '-') && text[^3] == ':');

    private static bool TryParseTime(string text, out TimeSpan time)
    {
        time = default;
        if (text == "24:00")
        {
            time = TimeSpan.FromHours(24);
            return true;
        }
        return TimeSpan.TryParseExact(text, @"hh\:mm", CultureInfo.InvariantCulture, out time) && time < TimeSpan.FromHours(24);
    }

    private static HashSet<DayOfWeek>? ParseDays(string text)
    {
        string t = text.Trim().ToLowerInvariant();
        if (t is "daily" or "every day" or "mon-sun")
        {
            return [.. Enum.GetValues<DayOfWeek>()];
        }
        var days = new HashSet<DayOfWeek>();
        foreach (string part in t.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string[] range = part.Split('-', StringSplitOptions.TrimEntries);
            if (range.Length == 1 && Day(range[0]) is { } single)
            {
                days.Add(single);
            }
            else if (range.Length == 2 && Day(range[0]) is { } from && Day(range[1]) is { } to)
            {
                for (int d = (int)from, n = 0; n < 7; d = (d + 1) % 7, n++)
                {
                    days.Add((DayOfWeek)d);
                    if (d == (int)to)
                    {
                        break;
                    }
                }
            }
            else
            {
                return null;
            }
        }
        return days.Count == 0 ? null : days;
    }

    private static DayOfWeek? Day(string name) => name.Length >= 3 && DayNames.TryGetValue(name[..3], out DayOfWeek d) ? d : null;
}
