using System.Text.Json;
using Cctv.Shared.CloudEvents;
using Cctv.Shared.Ports;
using CloudNative.CloudEvents;

namespace Cctv.Shared.Local;

/// <summary>
/// The embedded backend's stand-in for Cloud Storage notifications: each finalized object leaves an event
/// file here (written atomically, in the same locked commit as the object), and the functions host delivers
/// the files as binary-mode CloudEvents over HTTP, retrying until one is accepted, as Eventarc would.
/// Delivery is at least once; handlers are idempotent.
/// </summary>
public sealed class LocalEventSpool
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly string _dir;
    private readonly TimeProvider _time;

    public LocalEventSpool(string directory, TimeProvider time)
    {
        _dir = Path.GetFullPath(directory);
        _time = time;
        Directory.CreateDirectory(_dir);
    }

    public Task EnqueueFinalizedAsync(StoredObject stored, CancellationToken cancellationToken) =>
        WriteAsync(StorageEvents.Finalized(stored, _time.GetUtcNow()), stored.Generation, cancellationToken);

    /// <summary>Adds an event; files sort in the order they were written.</summary>
    /// <remarks>
    /// The file keeps the form earlier versions wrote (<see cref="EventFile"/>: the attributes by name, the data in
    /// base64), so events spooled before the move to CloudNative.CloudEvents are still delivered after it.
    /// </remarks>
    public async Task WriteAsync(CloudEvent cloudEvent, long order, CancellationToken cancellationToken)
    {
        string name = $"{order:D20}-{Guid.NewGuid():N}.json";
        string temp = Path.Combine(_dir, name + ".tmp");
        cloudEvent.Validate();
        var file = new EventFile(cloudEvent.Id!, cloudEvent.Source!.OriginalString, cloudEvent.Type!, cloudEvent.Subject, cloudEvent.Time,
            cloudEvent.DataContentType, Convert.ToBase64String(StorageEvents.DataBytes(cloudEvent).Span));
        await using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
        {
            await JsonSerializer.SerializeAsync(stream, file, Json, cancellationToken);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, Path.Combine(_dir, name));
        Durability.FsyncDirectory(_dir);
    }

    /// <summary>
    /// Events not yet delivered, oldest first; <paramref name="skip"/> leaves out files (by path) the caller is not
    /// ready to deliver yet, such as events waiting out a back-off, so they do not fill the <paramref name="limit"/>.
    /// </summary>
    public IReadOnlyList<PendingEvent> Pending(int limit, Func<string, bool>? skip = null)
    {
        var result = new List<PendingEvent>();
        foreach (string path in Directory.EnumerateFiles(_dir, "*.json").Order(StringComparer.Ordinal).Where(p => skip is null || !skip(p)).Take(limit))
        {
            try
            {
                EventFile? file = JsonSerializer.Deserialize<EventFile>(File.ReadAllBytes(path), Json);
                if (file is not null)
                {
                    result.Add(new PendingEvent(path, StorageEvents.Create(file.Id, new Uri(file.Source, UriKind.RelativeOrAbsolute), file.Type,
                        file.Subject, file.Time, file.DataContentType, Convert.FromBase64String(file.Data)).Validate()));
                }
            }
            catch (FileNotFoundException)
            {
                // Delivered by another dispatcher in the meantime.
            }
            catch (Exception e) when (e is JsonException or FormatException or ArgumentException or InvalidOperationException)
            {
                File.Move(path, path + ".corrupt", overwrite: true);
            }
        }
        return result;
    }

    public static void Complete(PendingEvent pending) => File.Delete(pending.Path);

    public int Count => Directory.EnumerateFiles(_dir, "*.json").Count();

    private sealed record EventFile(string Id, string Source, string Type, string? Subject, DateTimeOffset? Time, string? DataContentType, string Data);
}

public sealed record PendingEvent(string Path, CloudEvent Event);
