using System.Net;
using Cctv.Testing.Gcs.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Cctv.Testing.Gcs;

/// <summary>
/// An in-process Google Cloud Storage server speaking the JSON API over HTTP on loopback: buckets, object metadata,
/// media downloads (with Range), list, delete, patch, rewrite (multi-call) and copy, and uploads of every type —
/// media, multipart and resumable (308 + Range, <c>bytes */N</c> status queries, 256 KiB chunk rule, CRC32C/MD5
/// verification, <c>ifGenerationMatch</c> checked at initiation and at finalize). Objects live in memory.
/// Faults can be injected at random (<see cref="Faults"/>) or one at a time (<see cref="InjectFault"/>).
/// Clients put <c>storage/v1/...</c>, <c>upload/storage/v1/...</c> or <c>download/storage/v1/...</c> after
/// <see cref="Endpoint"/>.
/// </summary>
public sealed class GcsTestServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly GcsServerCore _core;
    private readonly CancellationTokenSource _stopping;
    private readonly ILogger _logger;
    private int _disposed;

    private GcsTestServer(WebApplication app, GcsServerCore core, CancellationTokenSource stopping, ILogger logger)
    {
        _app = app;
        _core = core;
        _stopping = stopping;
        _logger = logger;
        _core.Store.Committed += RaiseFinalized;
    }

    /// <summary>The base URI, e.g. <c>http://127.0.0.1:41234/</c> (always ends with '/').</summary>
    public Uri Endpoint => _core.Endpoint;

    public GcsTestServerOptions Options => _core.Options;

    /// <summary>Random fault injection; settable at any time (a new value restarts the seeded draws).</summary>
    public GcsFaultOptions Faults
    {
        get => _core.Faults.Options;
        set => _core.Faults.Options = value;
    }

    /// <summary>Raised after each object generation is committed (uploads, rewrites, copies, <see cref="PutObject"/>), on the committing thread.</summary>
    public event Action<TestObject>? ObjectFinalized;

    /// <summary>A snapshot of the counters.</summary>
    public GcsServerCounters Counters => _core.Counters.Snapshot(_core.Faults);

    /// <summary>Resumable sessions neither finished nor expired.</summary>
    public int ActiveSessions => _core.Sessions.ActiveCount;

    /// <summary>Faults queued by <see cref="InjectFault"/> and not yet delivered.</summary>
    public int PendingInjectedFaults => _core.Faults.QueuedCount;

    public static async Task<GcsTestServer> StartAsync(GcsTestServerOptions? options = null, CancellationToken ct = default)
    {
        options ??= new GcsTestServerOptions();
        options.Validate();
        var core = new GcsServerCore(options);
        foreach (string bucket in options.Buckets)
        {
            CreateBucket(core, bucket);
        }

        WebApplicationBuilder builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.Logging.SetMinimumLevel(options.MinimumLogLevel).AddSimpleConsole(o => o.SingleLine = true)
            // Aborting a connection mid-body (the reset faults) makes Kestrel warn about the read it was doing; that is the fault working.
            .AddFilter("Microsoft.AspNetCore.Server.Kestrel", LogLevel.Error);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, 0);
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.Limits.MaxRequestBufferSize = 4 * 1024 * 1024;
        });
        WebApplication app = builder.Build();
        ILogger logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger<GcsTestServer>();
        var stopping = new CancellationTokenSource();
        var pipeline = new GcsPipeline(core, logger, stopping.Token);
        app.Run(pipeline.HandleAsync);

        try
        {
            await app.StartAsync(ct);
            string address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
            core.Endpoint = new Uri(address.TrimEnd('/') + "/");
        }
        catch
        {
            stopping.Dispose();
            await app.DisposeAsync();
            throw;
        }
        return new GcsTestServer(app, core, stopping, logger);
    }

    /// <summary>Creates the bucket if it does not exist.</summary>
    public void CreateBucket(string name) => CreateBucket(_core, name);

    public bool BucketExists(string name) => _core.Store.BucketExists(name);

    /// <summary>The live objects of the bucket in name order (empty when the bucket does not exist).</summary>
    public IReadOnlyList<TestObject> Objects(string bucket) => _core.Store.All(bucket);

    /// <summary>The live object, or null.</summary>
    public TestObject? Find(string bucket, string name) => _core.Store.Find(bucket, name);

    /// <summary>
    /// How many bytes of an object the bucket holds durably right now, as a benchmark measures footage at risk: the live
    /// object's size once it exists, else the most bytes persisted by an active resumable session for that name
    /// (what a <c>bytes */*</c> status query would report), else 0. Read-only.
    /// </summary>
    public long HeldBytes(string bucket, string name)
    {
        ArgumentNullException.ThrowIfNull(bucket);
        ArgumentNullException.ThrowIfNull(name);
        // Sessions first: a finishing session commits its object before it counts as completed, so whichever state the
        // session is seen in, the object is there when looked for afterwards (the other order sees neither for a moment).
        long persisted = _core.Sessions.PersistedFor(bucket, name);
        return _core.Store.Find(bucket, name) is { } live ? live.Size : persisted;
    }

    /// <summary>How many times an object of this bucket and name has been committed, deleted ones included (0: never).</summary>
    public int CommitCount(string bucket, string name) => _core.Store.CommitCount(bucket, name);

    /// <summary>Stores an object directly (test setup), as an upload without preconditions would; raises <see cref="ObjectFinalized"/>.</summary>
    public TestObject PutObject(string bucket, string name, ReadOnlyMemory<byte> bytes, string contentType = "application/octet-stream",
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        try
        {
            return _core.Store.Commit(bucket, name, bytes, Storage.Checksums.Of(bytes.Span), contentType,
                metadata ?? new Dictionary<string, string>(), default);
        }
        catch (GcsException e)
        {
            throw new InvalidOperationException(e.Message, e);
        }
    }

    /// <summary>Makes a session answer 410 Gone from now on. False when the URI names no session of this server.</summary>
    public bool ExpireSession(Uri sessionUri)
    {
        ArgumentNullException.ThrowIfNull(sessionUri);
        string? id = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(sessionUri.Query).TryGetValue("upload_id", out var values)
            ? values.ToString()
            : null;
        return id is not null && _core.Sessions.Expire(id);
    }

    /// <summary>Makes every session issued so far answer 410 Gone.</summary>
    public void ExpireAllSessions() => _core.Sessions.ExpireAll();

    /// <summary>
    /// Queues a fault for the next request(s) of the given kinds (and for which the fault makes sense), ahead of the
    /// random plan: deterministic fault tests. <paramref name="times"/> consecutive matching requests get it.
    /// </summary>
    /// <param name="objectName">Only requests that name this object (its metadata, its bytes, a simple upload of it) get the
    /// fault; null: any request of the kinds. Session requests name no object.</param>
    public void InjectFault(GcsFaultKind kind, GcsRequestKinds on = GcsRequestKinds.ResumableUpload, int times = 1, string? objectName = null) =>
        _core.Faults.Enqueue(kind, on, times, objectName);

    /// <summary>Drops faults queued by <see cref="InjectFault"/> that have not hit yet.</summary>
    public void ClearInjectedFaults() => _core.Faults.ClearQueued();

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _core.Store.Committed -= RaiseFinalized;
        await _stopping.CancelAsync();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _stopping.Dispose();
    }

    private static void CreateBucket(GcsServerCore core, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        try
        {
            core.Store.TryCreateBucket(name);
        }
        catch (GcsException e)
        {
            throw new ArgumentException(e.Message, nameof(name), e);
        }
    }

    private void RaiseFinalized(TestObject committed)
    {
        try
        {
            ObjectFinalized?.Invoke(committed);
        }
        catch (Exception e)
        {
            _logger.LogError(e, "An ObjectFinalized handler failed for {Bucket}/{Name}#{Generation}", committed.Bucket, committed.Name, committed.Generation);
        }
    }
}
