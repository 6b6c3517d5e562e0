using System.Text.Json;
using System.Text.Json.Nodes;

namespace Cctv.Shared.Domain;

/// <summary>A whole announcement as one JSON text (the recorder's own announcement of a salvaged recording, kept beside the salvaged facts).</summary>
public static class AnnouncementJson
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    public static string Write(RecordingAnnouncement announcement)
    {
        JsonNode node = JsonSerializer.SerializeToNode(announcement with { Clock = null }, Options)
            ?? throw new InvalidOperationException("An announcement serialized to null.");
        node["clock"] = ClockStateJson.Write(announcement.Clock);
        return node.ToJsonString();
    }

    public static RecordingAnnouncement? Parse(string? json)
    {
        if (json is null)
        {
            return null;
        }
        JsonNode node = JsonNode.Parse(json) ?? throw new FormatException("A stored announcement is null.");
        string? clock = node["clock"]?.GetValue<string>();
        node.AsObject().Remove("clock");
        RecordingAnnouncement a = node.Deserialize<RecordingAnnouncement>(Options) ?? throw new FormatException("A stored announcement is null.");
        return a with { Clock = ClockStateJson.Parse(clock) };
    }
}
