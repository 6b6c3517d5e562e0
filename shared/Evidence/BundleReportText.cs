using System.Globalization;
using System.Text.Json;

namespace Cctv.Shared.Evidence;

/// <summary>
/// <c>verify</c>'s report for a person: the camera, the covered time, every gap with its reason, the clock states, the
/// custody record and the verdict, each break with what and where. What only the index says is marked unsigned, and
/// every string from the bundle is printed with its control characters escaped.
/// </summary>
public static class BundleReportText
{
    public static void Write(BundleReport report, TextWriter output, string bundleName)
    {
        BundleIndex index = report.Index;
        string P(string text) => EvidenceBundle.Printable(text);
        output.WriteLine($"Evidence bundle {P(bundleName)}");
        output.WriteLine($"Camera:    {index.Camera}{(index.CameraName is { Length: > 0 } name ? $" \"{P(name)}\" (name unsigned)" : "")}");
        output.WriteLine($"Range:     {Time(index.From)} to {Time(index.To)} (the exporter's, unsigned; requested {Time(index.RequestedFrom)} to {Time(index.RequestedTo)})");
        output.WriteLine(report.CoveredFrom is { } from && report.CoveredTo is { } to
            ? $"Covered:   {Time(from)} to {Time(to)} (first to last exported frame, signed), {report.Exported.Count} segment file(s)"
            : "Covered:   nothing (no segment file of a signed entry)");
        foreach (EvidencePublicKey key in report.Keys)
        {
            output.WriteLine($"Key:       {key.Fingerprint} ({(report.Pinned ? "pinned with --key" : "from the bundle: compare it with the recorder's registered key, or pin it with --key")})");
        }
        if (report.Chain.Manifests.Count > 0)
        {
            var manifests = report.Chain.Manifests.OrderBy(m => m.Sequence).ToList();
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Manifests: {manifests.Count} verified ({Ranges(manifests.Select(m => (m.Sequence, m.Sequence)))}), signing entries {Ranges(manifests.Select(m => (m.First, m.Last)))}, signed {Time(manifests[0].SignedAt)} to {Time(manifests[^1].SignedAt)}"));
        }

        if (index.SalvagedSegments.Count > 0)
        {
            output.WriteLine("Salvaged (footage the cloud finished after the recorder went silent; NOT signed by the recorder, not covered by the chain):");
        }
        foreach (SalvagedSegment s in report.SalvagedSegments)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  SALVAGED: {s.File} {Time(s.Start)} to {Time(s.End)}, {s.Size} bytes, SHA-256 {s.Sha256}: not signed by the recorder; bytes as the cloud archived them"));
            output.WriteLine($"    reason: {P(s.Reason)}; finished by {P(s.FinishedBy)}{(s.FinishedAt is { } at ? $", archived {Time(at)}" : "")} (unsigned)");
        }

        output.WriteLine("Gaps:");
        if (report.Gaps.Count == 0)
        {
            output.WriteLine("  none in the range");
        }
        foreach (BundleGap gap in report.Gaps)
        {
            string end = gap.End is { } e ? Time(e) : "(open)";
            string length = gap.End is { } e2 ? string.Create(CultureInfo.InvariantCulture, $" ({(e2 - gap.Start).TotalSeconds:0.###} s)") : "";
            string source = gap.Entry is { } i ? string.Create(CultureInfo.InvariantCulture, $"signed, chain entry {i}") : "UNSIGNED: in the catalog only, not in the signed chain";
            output.WriteLine($"  {Time(gap.Start)} to {end}{length}: {P(gap.Reason)} [{source}]");
        }

        output.WriteLine("Clock (per run, the recorder's clock state as the catalog holds it, unsigned):");
        var runs = report.Exported.Select(e => e.Run!.Value).Concat(index.Clock.Keys).Distinct().Order().ToList();
        if (runs.Count == 0)
        {
            output.WriteLine("  no runs");
        }
        foreach (long run in runs)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  run {run}: {(index.Clock.TryGetValue(run, out JsonElement state) ? P(Compact(state)) : "not recorded")}"));
        }

        CustodyRecord custody = index.Custody;
        output.WriteLine("Custody (as the exporter recorded it, unsigned):");
        output.WriteLine($"  exported by {P(custody.ExportedBy)} at {Time(custody.ExportedAt)} with credential {P(custody.Credential)}, request {P(custody.Request)}");
        output.WriteLine(custody.Reads.Count == 0 ? "  no reads recorded" : $"  {custody.Reads.Count} read(s) of this footage:");
        foreach (CustodyRead read in custody.Reads)
        {
            output.WriteLine($"    {Time(read.At)} {P(read.Who)} {P(read.Action)} {P(read.What)}{(read.From is { } f ? $" from {P(f)}" : "")}");
        }

        if (report.IsIntact)
        {
            output.WriteLine(report.SalvagedSegments.Count == 0
                ? "Verdict: INTACT"
                : string.Create(CultureInfo.InvariantCulture, $"Verdict: INTACT, with {report.SalvagedSegments.Count} salvaged segment(s) listed above: bytes as the cloud archived them, not signed by the recorder"));
            return;
        }
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Verdict: BROKEN ({report.Breaks.Count} break{(report.Breaks.Count == 1 ? "" : "s")})"));
        foreach (ChainBreak b in report.Breaks)
        {
            output.WriteLine($"  {b.Kind} at {P(b.Where)}: {P(b.Detail)}");
        }
    }

    private static string Time(DateTimeOffset t) => BundleVerifier.Time(t);

    /// <summary>Intervals of numbers, joined where they touch: 0, 2-3.</summary>
    private static string Ranges(IEnumerable<(long First, long Last)> intervals)
    {
        var merged = new List<(long First, long Last)>();
        foreach ((long first, long last) in intervals.OrderBy(i => i.First))
        {
            if (merged.Count > 0 && first <= merged[^1].Last + 1)
            {
                merged[^1] = (merged[^1].First, Math.Max(merged[^1].Last, last));
            }
            else
            {
                merged.Add((first, last));
            }
        }
        return string.Join(", ", merged.Select(m => m.First == m.Last
            ? m.First.ToString(CultureInfo.InvariantCulture)
            : string.Create(CultureInfo.InvariantCulture, $"{m.First}-{m.Last}")));
    }

    /// <summary>A JSON value on one line (the index holds it indented).</summary>
    private static string Compact(JsonElement value)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            value.WriteTo(w);
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}
