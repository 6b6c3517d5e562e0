using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Cctv.Shared.CloudEvents;
using Cctv.Shared.Local;
using Microsoft.Extensions.Logging;

namespace Cctv.Functions.Finalize;

/// <summary>An event refused for good (a poison event): what it was and why, for an operator.</summary>
public sealed record DeadLetter(string EventId, string Source, string Type, string? Subject, string Reason, DateTimeOffset RefusedAt, string Data)
{
    public static DeadLetter Of(CloudEvent cloudEvent, string reason, DateTimeOffset at) =>
        new(cloudEvent.Id, cloudEvent.Source, cloudEvent.Type, cloudEvent.Subject, reason, at, Convert.ToBase64String(cloudEvent.Data.Span));
}

/// <summary>Where events refused for good are recorded, so that one answered 4xx is not lost without a trace.</summary>
public interface IDeadLetters
{
    /// <summary>Records the event (once per event ID: a redelivered one replaces its earlier record).</summary>
    Task RecordAsync(DeadLetter letter, CancellationToken cancellationToken);
}

/// <summary>
/// The embedded backend's dead letters: one JSON file per event ID in <c>{data}/cloud/dead-letters/</c>, written
/// atomically and fsynced, named by a hash of the ID so a redelivered event replaces its record instead of adding one.
/// </summary>
public sealed class LocalDeadLetters(string directory) : IDeadLetters
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static LocalDeadLetters For(LocalBackend backend) => new(Path.Combine(backend.DataDir, "cloud", "dead-letters"));

    public string Directory { get; } = Path.GetFullPath(directory);

    public async Task RecordAsync(DeadLetter letter, CancellationToken cancellationToken)
    {
        System.IO.Directory.CreateDirectory(Directory);
        string name = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(letter.EventId)))[..32] + ".json";
        string path = Path.Combine(Directory, name);
        string temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        await using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
        {
            await JsonSerializer.SerializeAsync(stream, letter, Json, cancellationToken);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
        Durability.FsyncDirectory(Directory);
    }

    /// <summary>Every recorded dead letter, oldest first.</summary>
    public IReadOnlyList<DeadLetter> List() =>
        !System.IO.Directory.Exists(Directory) ? []
        : System.IO.Directory.EnumerateFiles(Directory, "*.json")
            .Select(p => JsonSerializer.Deserialize<DeadLetter>(File.ReadAllBytes(p), Json)!)
            .OrderBy(d => d.RefusedAt)
            .ToList();
}

/// <summary>
/// The gcp backend's dead letters: a WARNING entry in Cloud Logging with the event and the reason (a log-based alert can
/// watch for <c>jsonPayload.message =~ "Dead letter"</c>); Eventarc keeps the event itself until its retention ends.
/// </summary>
public sealed class LoggedDeadLetters(ILogger<LoggedDeadLetters> log) : IDeadLetters
{
    public Task RecordAsync(DeadLetter letter, CancellationToken cancellationToken)
    {
        log.LogWarning("Dead letter: CloudEvent {EventId} ({Type} from {Source}, {Subject}) refused for good: {Reason}; data {Data}",
            letter.EventId, letter.Type, letter.Source, letter.Subject, letter.Reason, letter.Data);
        return Task.CompletedTask;
    }
}
