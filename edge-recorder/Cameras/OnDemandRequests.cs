using System.Text.Json;

namespace Cctv.EdgeRecorder.Cameras;

/// <summary>
/// On-demand recordings (the <c>record</c> command) as small JSON files in the data directory: the command writes one
/// (atomically: a temporary file, then a rename), the running agent reads them every second into its schedule book,
/// and the hourly check removes the ones that have ended.
/// </summary>
public sealed class OnDemandRequests(string dataDir)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public string Directory { get; } = Path.Combine(dataDir, "edge", "ondemand");

    public OnDemandRecording Add(string cameraId, DateTimeOffset start, TimeSpan duration)
    {
        System.IO.Directory.CreateDirectory(Directory);
        var request = new OnDemandRecording(Guid.NewGuid().ToString("N"), cameraId, start, duration);
        string path = Path.Combine(Directory, request.Id + ".json");
        File.WriteAllText(path + ".tmp", JsonSerializer.Serialize(request, Json));
        File.Move(path + ".tmp", path);
        return request;
    }

    public IReadOnlyList<OnDemandRecording> ReadAll()
    {
        if (!System.IO.Directory.Exists(Directory))
        {
            return [];
        }
        var result = new List<OnDemandRecording>();
        foreach (string file in System.IO.Directory.EnumerateFiles(Directory, "*.json"))
        {
            try
            {
                if (JsonSerializer.Deserialize<OnDemandRecording>(File.ReadAllText(file), Json) is { } r)
                {
                    result.Add(r);
                }
            }
            catch (Exception e) when (e is IOException or JsonException)
            {
                // Removed meanwhile, or not ours: ignored.
            }
        }
        return result;
    }

    /// <summary>Removes the requests that ended before <paramref name="now"/>; returns them.</summary>
    public IReadOnlyList<OnDemandRecording> RemoveExpired(DateTimeOffset now)
    {
        var expired = ReadAll().Where(r => r.End <= now).ToList();
        foreach (OnDemandRecording r in expired)
        {
            File.Delete(Path.Combine(Directory, r.Id + ".json"));
        }
        return expired;
    }
}
