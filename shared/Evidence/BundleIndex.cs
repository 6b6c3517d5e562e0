using System.Globalization;
using System.Text.Json;
using Cctv.Shared.Domain;

namespace Cctv.Shared.Evidence;

/// <summary>A segment as the index lists it (a convenience for people and tools; a verifier goes by the signed entries).</summary>
public sealed record IndexedSegment(string File, string RecordingId, long Run, long Sequence, DateTimeOffset Start, DateTimeOffset End, long Size, string Sha256);

/// <summary>
/// <c>bundle.json</c>: what the exporter says the bundle holds. Never trusted: trust comes only from the signed
/// manifests, the key and the hashes. A verifier reads from it only the camera whose chain to check, the range the
/// exporter states complete (<see cref="From"/> to <see cref="To"/>), and the unsigned records it prints as such:
/// the catalog's gaps, the clock states and the custody record.
/// </summary>
/// <param name="RequestedFrom">The range asked for; <see cref="From"/>..<see cref="To"/> is that range cut to what the signed chain holds.</param>
/// <param name="Clock">Per run, its clock state as the catalog keeps it (one JSON object each).</param>
public sealed record BundleIndex(
    CameraKey Camera,
    string? CameraName,
    DateTimeOffset RequestedFrom,
    DateTimeOffset RequestedTo,
    DateTimeOffset From,
    DateTimeOffset To,
    IReadOnlyList<IndexedSegment> Segments,
    IReadOnlyList<string> ManifestFiles,
    IReadOnlyList<string> KeyFiles,
    IReadOnlyList<RecordingGap> Gaps,
    IReadOnlyDictionary<long, JsonElement> Clock,
    CustodyRecord Custody,
    IReadOnlyList<SalvagedSegment>? Salvaged = null)
{
    /// <summary>The salvaged segments the exporter says the bundle holds (unsigned; each checked against its cloud SHA-256).</summary>
    public IReadOnlyList<SalvagedSegment> SalvagedSegments => Salvaged ?? [];

    public byte[] ToBytes()
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("format", BundleLayout.Format);
            w.WriteStartObject("camera");
            w.WriteString("recorder", Camera.RecorderId);
            w.WriteString("camera", Camera.CameraId);
            w.WriteString("name", CameraName);
            w.WriteEndObject();
            Range(w, "requested", RequestedFrom, RequestedTo);
            Range(w, "range", From, To);
            w.WriteStartArray("segments");
            foreach (IndexedSegment s in Segments)
            {
                w.WriteStartObject();
                SegmentFields(w, s.File, s.RecordingId, s.Run, s.Sequence, s.Start, s.End, s.Size, s.Sha256);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("salvaged");
            foreach (SalvagedSegment s in SalvagedSegments)
            {
                w.WriteStartObject();
                SegmentFields(w, s.File, s.RecordingId, s.Run, s.Sequence, s.Start, s.End, s.Size, s.Sha256);
                w.WriteString("sha256By", SalvagedSha256By);
                w.WriteString("reason", s.Reason);
                w.WriteStartObject("custody");
                w.WriteString("finishedBy", s.FinishedBy);
                w.WriteString("finishedAt", s.FinishedAt is { } at ? Time(at) : null);
                w.WriteEndObject();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            Strings(w, "manifests", ManifestFiles);
            Strings(w, "keys", KeyFiles);
            w.WriteStartArray("gaps");
            foreach (RecordingGap g in Gaps)
            {
                w.WriteStartObject();
                w.WriteString("id", g.Id);
                w.WriteString("start", Time(g.StartTime));
                w.WriteString("end", g.EndTime is { } end ? Time(end) : null);
                w.WriteString("reason", g.Reason);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartObject("clock");
            foreach ((long run, JsonElement state) in Clock.OrderBy(c => c.Key))
            {
                w.WritePropertyName(run.ToString(CultureInfo.InvariantCulture));
                state.WriteTo(w);
            }
            w.WriteEndObject();
            w.WriteStartObject("custody");
            w.WriteString("exportedBy", Custody.ExportedBy);
            w.WriteString("exportedAt", Time(Custody.ExportedAt));
            w.WriteString("credential", Custody.Credential);
            w.WriteString("request", Custody.Request);
            w.WriteStartArray("reads");
            foreach (CustodyRead r in Custody.Reads)
            {
                w.WriteStartObject();
                w.WriteString("at", Time(r.At));
                w.WriteString("who", r.Who);
                w.WriteString("action", r.Action);
                w.WriteString("what", r.What);
                w.WriteString("from", r.From);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return buffer.ToArray();

        static void Range(Utf8JsonWriter w, string name, DateTimeOffset from, DateTimeOffset to)
        {
            w.WriteStartObject(name);
            w.WriteString("from", Time(from));
            w.WriteString("to", Time(to));
            w.WriteEndObject();
        }

        static void Strings(Utf8JsonWriter w, string name, IEnumerable<string> values)
        {
            w.WriteStartArray(name);
            foreach (string v in values)
            {
                w.WriteStringValue(v);
            }
            w.WriteEndArray();
        }
    }

    /// <summary>Who computed a salvaged segment's SHA-256, as the index says it (the API's <c>sha256_by</c>).</summary>
    public const string SalvagedSha256By = "cloud";

    /// <summary>Reads an index; a <see cref="BundleFormatException"/> names the member that is missing or malformed.</summary>
    public static BundleIndex Parse(ReadOnlySpan<byte> bytes)
    {
        try
        {
            var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { MaxDepth = 32 });
            using JsonDocument document = JsonDocument.ParseValue(ref reader);
            JsonElement root = Object(document.RootElement, "the index");
            if (Str(root, "format") != BundleLayout.Format)
            {
                throw new BundleFormatException($"{BundleLayout.Index}: format is not {BundleLayout.Format}.");
            }
            JsonElement camera = Member(root, "camera", JsonValueKind.Object);
            string recorderId = Str(camera, "recorder"), cameraId = Str(camera, "camera");
            if (!Identifiers.IsValidSlug(recorderId) || !Identifiers.IsValidSlug(cameraId))
            {
                throw new BundleFormatException($"{BundleLayout.Index}: camera '{recorderId}~{cameraId}' is not a camera key ({Identifiers.SlugRule}).");
            }
            (DateTimeOffset requestedFrom, DateTimeOffset requestedTo) = Range(root, "requested");
            (DateTimeOffset from, DateTimeOffset to) = Range(root, "range");
            var segments = Member(root, "segments", JsonValueKind.Array).EnumerateArray().Select(s => new IndexedSegment(
                Str(s, "file"), Str(s, "recording"), Int(s, "run"), Int(s, "seq"), Time(s, "start"), Time(s, "end"), Int(s, "size"), Str(s, "sha256"))).ToList();
            var salvaged = Salvage(root);
            var gaps = Member(root, "gaps", JsonValueKind.Array).EnumerateArray().Select(g => new RecordingGap(
                Str(g, "id"), recorderId, cameraId, Time(g, "start"), OptionalTime(g, "end"), Str(g, "reason"))).ToList();
            var clock = new SortedDictionary<long, JsonElement>();
            foreach (JsonProperty run in Member(root, "clock", JsonValueKind.Object).EnumerateObject())
            {
                if (!long.TryParse(run.Name, NumberStyles.None, CultureInfo.InvariantCulture, out long number) || !clock.TryAdd(number, Object(run.Value, $"clock of run {run.Name}").Clone()))
                {
                    throw new BundleFormatException($"{BundleLayout.Index}: clock holds '{run.Name}', which is not a run number given once.");
                }
            }
            JsonElement custody = Member(root, "custody", JsonValueKind.Object);
            var reads = Member(custody, "reads", JsonValueKind.Array).EnumerateArray().Select(r => new CustodyRead(
                Time(r, "at"), Str(r, "who"), Str(r, "action"), Str(r, "what"), OptionalStr(r, "from"))).ToList();
            return new BundleIndex(new CameraKey(recorderId, cameraId), OptionalStr(camera, "name"), requestedFrom, requestedTo, from, to, segments,
                Strings(root, "manifests"), Strings(root, "keys"), gaps, clock,
                new CustodyRecord(Str(custody, "exportedBy"), Time(custody, "exportedAt"), Str(custody, "credential"), Str(custody, "request"), reads),
                salvaged);
        }
        catch (JsonException e)
        {
            throw new BundleFormatException($"{BundleLayout.Index} is not JSON: {e.Message}", e);
        }
    }

    /// <summary>
    /// The salvaged segments (absent in bundles written before salvage existed: none). Each names its file by its run and
    /// sequence in <see cref="BundleLayout.SalvagedFolder"/>, once: a verifier finds the file from the entry.
    /// </summary>
    private static List<SalvagedSegment> Salvage(JsonElement root)
    {
        if (!root.TryGetProperty("salvaged", out _))
        {
            return [];
        }
        var salvaged = new List<SalvagedSegment>();
        var files = new HashSet<string>(StringComparer.Ordinal);
        foreach (JsonElement s in Member(root, "salvaged", JsonValueKind.Array).EnumerateArray())
        {
            JsonElement custody = Member(s, "custody", JsonValueKind.Object);
            var segment = new SalvagedSegment(Str(s, "file"), Str(s, "recording"), Int(s, "run"), Int(s, "seq"), Time(s, "start"), Time(s, "end"),
                Int(s, "size"), Str(s, "sha256"), Str(s, "reason"), Str(custody, "finishedBy"), OptionalTime(custody, "finishedAt"));
            if (segment.File != BundleLayout.SalvagedFile(segment.Run, segment.Sequence) || !files.Add(segment.File))
            {
                throw new BundleFormatException($"{BundleLayout.Index}: salvaged segment '{EvidenceBundle.Printable(segment.File)}' is not named {BundleLayout.SalvagedFolder}RUN-SEQ.mp4 by its run and seq, or is listed twice.");
            }
            if (segment.Size < 0 || segment.End < segment.Start)
            {
                throw new BundleFormatException($"{BundleLayout.Index}: salvaged segment '{segment.File}' has a negative size or ends before it starts.");
            }
            salvaged.Add(segment);
        }
        return salvaged;
    }

    private static string Time(DateTimeOffset value) => value.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);

    /// <summary>What a signed and a salvaged segment's entries share, in this order.</summary>
    private static void SegmentFields(Utf8JsonWriter w, string file, string recordingId, long run, long sequence, DateTimeOffset start, DateTimeOffset end,
        long size, string sha256)
    {
        w.WriteString("file", file);
        w.WriteString("recording", recordingId);
        w.WriteNumber("run", run);
        w.WriteNumber("seq", sequence);
        w.WriteString("start", Time(start));
        w.WriteString("end", Time(end));
        w.WriteNumber("size", size);
        w.WriteString("sha256", sha256);
    }

    private static JsonElement Object(JsonElement e, string what) =>
        e.ValueKind == JsonValueKind.Object ? e : throw new BundleFormatException($"{BundleLayout.Index}: {what} is not a JSON object.");

    private static JsonElement Member(JsonElement e, string name, JsonValueKind kind) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out JsonElement value) && value.ValueKind == kind
            ? value
            : throw new BundleFormatException($"{BundleLayout.Index}: '{name}' is missing or not a JSON {kind.ToString().ToLowerInvariant()}.");

    private static string Str(JsonElement e, string name) => Member(e, name, JsonValueKind.String).GetString()!;

    private static string? OptionalStr(JsonElement e, string name) =>
        e.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.Null ? null : Str(e, name);

    private static long Int(JsonElement e, string name) =>
        Member(e, name, JsonValueKind.Number).TryGetInt64(out long value) ? value : throw new BundleFormatException($"{BundleLayout.Index}: '{name}' is not an integer.");

    private static DateTimeOffset Time(JsonElement e, string name) =>
        DateTimeOffset.TryParse(Str(e, name), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset value)
            ? value.ToUniversalTime()
            : throw new BundleFormatException($"{BundleLayout.Index}: '{name}' is not a time (ISO 8601, round-trip form).");

    private static DateTimeOffset? OptionalTime(JsonElement e, string name) =>
        e.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.Null ? null : Time(e, name);

    private static (DateTimeOffset From, DateTimeOffset To) Range(JsonElement root, string name)
    {
        JsonElement range = Member(root, name, JsonValueKind.Object);
        return (Time(range, "from"), Time(range, "to"));
    }

    private static List<string> Strings(JsonElement root, string name) =>
        Member(root, name, JsonValueKind.Array).EnumerateArray()
            .Select(v => v.ValueKind == JsonValueKind.String ? v.GetString()! : throw new BundleFormatException($"{BundleLayout.Index}: '{name}' holds a value that is not a string.")).ToList();
}
