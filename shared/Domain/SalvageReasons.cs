using System.Globalization;
using System.Text.RegularExpressions;

namespace Cctv.Shared.Domain;

/// <summary>
/// The reason a salvaged recording keeps (issue 12), written by the sweep when it starts the salvage and completed by
/// finalize with the bytes it archived, e.g. <c>recorder offline since 2026-03-01T03:14:07Z; finished by the sweep at
/// the 1,234,567 bytes the store held</c>. Stated here once, so the timeline reads back when the recorder went silent.
/// </summary>
public static partial class SalvageReasons
{
    private const string OfflinePrefix = "recorder offline since ";

    /// <summary>The sweep's part: when the catalog last heard from the recorder (its clock).</summary>
    public static string Offline(DateTimeOffset lastHeard) =>
        OfflinePrefix + lastHeard.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>Finalize's part, after the sweep's: how many bytes the store held and were archived.</summary>
    public static string Finished(string? offline, long bytes) =>
        (offline is null ? "" : offline + "; ") + string.Create(CultureInfo.InvariantCulture, $"finished by the sweep at the {bytes:N0} bytes the store held");

    /// <summary>The session held no byte the store could finish: the recording is lost.</summary>
    public static string NothingHeld(string offline) => offline + "; the store held no byte of its live upload (or no longer knew the session)";

    /// <summary>When the recorder went silent, read back from a salvage reason; null when the reason is not one.</summary>
    public static DateTimeOffset? OfflineSince(string? reason) =>
        reason is not null && OfflineTime().Match(reason) is { Success: true } m
            ? DateTimeOffset.ParseExact(m.Groups[1].Value, "yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal)
            : null;

    [GeneratedRegex(@"^recorder offline since (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")]
    private static partial Regex OfflineTime();
}
