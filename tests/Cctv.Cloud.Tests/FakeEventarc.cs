using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using System.Threading.Channels;
using Cctv.Shared.CloudEvents;
using CloudNative.CloudEvents;
using Cctv.Testing.Gcs;

namespace Cctv.Cloud.Tests;

/// <summary>What the stand-in for Eventarc does with the finalize event of an object.</summary>
public enum EventPlan
{
    /// <summary>Delivered once, as soon as the object is committed.</summary>
    Deliver,
    /// <summary>Delivered three times (at-least-once delivery).</summary>
    Duplicate,
    /// <summary>Never delivered: the sweep must find the object.</summary>
    Drop,
    /// <summary>Kept until the test releases it (to deliver it late, out of order, or after a fault is armed).</summary>
    Hold,
}

/// <summary>
/// Eventarc's part: every object committed in the staging bucket of the test GCS server becomes a
/// <c>google.cloud.storage.object.v1.finalized</c> CloudEvent, POSTed in binary mode to the finalize function over
/// HTTP, and delivered again after a 5xx or a broken connection (as Eventarc does). Per object the test decides
/// whether the event is delivered, duplicated, dropped or held for later.
/// </summary>
public sealed class FakeEventarc : IAsyncDisposable
{
    private readonly GcsTestServer _server;
    private readonly string _bucket;
    private readonly Uri _target;
    private readonly Func<string>? _token;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly Channel<CloudEvent> _queue = Channel.CreateUnbounded<CloudEvent>();
    private readonly ConcurrentDictionary<string, List<CloudEvent>> _held = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _pump;
    private int _inFlight;

    /// <param name="token">The OIDC token Eventarc's service account presents with each delivery (the functions verify it when they serve every function in one process).</param>
    public FakeEventarc(GcsTestServer server, string bucket, Uri target, Func<string>? token = null)
    {
        _server = server;
        _bucket = bucket;
        _target = target;
        _token = token;
        _server.ObjectFinalized += OnFinalized;
        _pump = Task.Run(PumpAsync);
    }

    /// <summary>The plan for an object's events; deliver everything unless told otherwise.</summary>
    public Func<TestObject, EventPlan> Plan { get; set; } = _ => EventPlan.Deliver;

    /// <summary>Every delivery attempt: the event and the status it got (0: no answer).</summary>
    public ConcurrentQueue<(CloudEvent Event, int Status)> Deliveries { get; } = new();

    public ConcurrentQueue<CloudEvent> Dropped { get; } = new();

    /// <summary>The event Cloud Storage sends for the object, changed by <paramref name="change"/> (for malformed ones).</summary>
    public static CloudEvent EventOf(TestObject o, Action<CloudEvent>? change = null)
    {
        CloudEvent e = Finalized(o);
        change?.Invoke(e);
        return e;
    }

    private static CloudEvent Finalized(TestObject o) => StorageEvents.Create(
        $"{o.Bucket}/{o.Name}/{o.Generation}", StorageEvents.Source(o.Bucket), StorageEvents.ObjectFinalized, $"objects/{o.Name}", o.Created,
        "application/json", JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object?>
        {
            ["kind"] = "storage#object",
            ["bucket"] = o.Bucket,
            ["name"] = o.Name,
            ["generation"] = o.Generation.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["metageneration"] = o.Metageneration.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["size"] = o.Size.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["crc32c"] = o.Crc32C,
            ["md5Hash"] = o.Md5,
            ["contentType"] = o.ContentType,
            ["metadata"] = o.Metadata,
            ["timeCreated"] = o.Created,
            ["updated"] = o.Updated,
        }));

    /// <summary>Delivers the held events of an object, newest first when <paramref name="newestFirst"/> (out of order).</summary>
    public int Release(string objectName, bool newestFirst = false)
    {
        if (!_held.TryRemove(objectName, out List<CloudEvent>? events))
        {
            return 0;
        }
        foreach (CloudEvent e in newestFirst ? Enumerable.Reverse(events) : events)
        {
            _queue.Writer.TryWrite(e);
        }
        return events.Count;
    }

    public int HeldCount(string objectName) => _held.TryGetValue(objectName, out List<CloudEvent>? events) ? events.Count : 0;

    /// <summary>Sends one request to the finalize endpoint now, whatever it holds (for malformed and misrouted events).</summary>
    public async Task<(HttpStatusCode Status, string Body)> SendAsync(HttpRequestMessage request)
    {
        Authorize(request);
        using HttpResponseMessage response = await _http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    public HttpRequestMessage RequestFor(CloudEvent e)
    {
        HttpRequestMessage request = CloudEventHttp.ToBinaryModeRequest(e, _target);
        Authorize(request);
        return request;
    }

    private void Authorize(HttpRequestMessage request)
    {
        if (_token is not null && request.Headers.Authorization is null)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", _token());
        }
    }

    /// <summary>Waits until every queued event has been delivered (with a 2xx or a 4xx).</summary>
    public async Task WaitIdleAsync(TimeSpan timeout)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        while (_queue.Reader.Count > 0 || Volatile.Read(ref _inFlight) > 0)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Eventarc still has {_queue.Reader.Count} queued and {_inFlight} in flight after {timeout.TotalSeconds} s");
            }
            await Task.Delay(20);
        }
    }

    private void OnFinalized(TestObject o)
    {
        if (o.Bucket != _bucket)
        {
            return; // the trigger matches the staging bucket only
        }
        CloudEvent e = EventOf(o);
        switch (Plan(o))
        {
            case EventPlan.Deliver:
                _queue.Writer.TryWrite(e);
                break;
            case EventPlan.Duplicate:
                for (int i = 0; i < 3; i++)
                {
                    _queue.Writer.TryWrite(e);
                }
                break;
            case EventPlan.Drop:
                Dropped.Enqueue(e);
                break;
            case EventPlan.Hold:
                _held.AddOrUpdate(o.Name, _ => [e], (_, list) => { lock (list) { list.Add(e); } return list; });
                break;
        }
    }

    private async Task PumpAsync()
    {
        try
        {
            await foreach (CloudEvent e in _queue.Reader.ReadAllAsync(_stop.Token))
            {
                Interlocked.Increment(ref _inFlight);
                try
                {
                    for (int attempt = 1; ; attempt++)
                    {
                        int status = 0;
                        try
                        {
                            using HttpRequestMessage request = RequestFor(e);
                            using HttpResponseMessage response = await _http.SendAsync(request, _stop.Token);
                            status = (int)response.StatusCode;
                        }
                        catch (HttpRequestException)
                        {
                        }
                        Deliveries.Enqueue((e, status));
                        if (status is >= 200 and < 500 || attempt == 10)
                        {
                            break;
                        }
                        await Task.Delay(TimeSpan.FromMilliseconds(100 * attempt), _stop.Token);
                    }
                }
                finally
                {
                    Interlocked.Decrement(ref _inFlight);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        _server.ObjectFinalized -= OnFinalized;
        await _stop.CancelAsync();
        await _pump;
        _stop.Dispose();
        _http.Dispose();
    }
}
