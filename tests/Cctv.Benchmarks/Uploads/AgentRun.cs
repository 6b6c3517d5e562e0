using System.Diagnostics;
using Cctv.EdgeRecorder.Configuration;
using Cctv.EdgeRecorder.Outbox;
using Cctv.EdgeRecorder.Pipeline;
using Cctv.Shared.Domain;
using Cctv.Shared.Gcp.Storage;
using Cctv.Shared.Ports;
using Microsoft.Extensions.Logging;

namespace Cctv.Benchmarks.Uploads;

/// <summary>
/// The agent's real upload path: an outbox with one sealed row per file (digests from the one-pass hasher, as the
/// sealer writes them), drained by the running agent's upload loop (<see cref="Uploader.RunAsync"/>) over <see cref="GcsObjectStore"/> with the
/// product's settings mapping. A segment is claimed the moment an upload slot frees, as in the agent.
/// When only failed rows waiting for their back-off remain, the run waits for the earliest, and that wait is reported.
/// </summary>
internal static class AgentRun
{
    /// <summary>The recorder's options for a run: the product's defaults but for the benchmark's parallelism, chunk and (short) delays.</summary>
    public static RecorderOptions Options(UploadBenchmarkOptions options, Uri endpoint, string bucket, string workDir) => new()
    {
        Id = "bench",
        DataDir = workDir,
        Backend = "gcp",
        Upload = new UploadOptions
        {
            Parallelism = options.Parallelism,
            ChunkBytes = options.ChunkBytes,
            RetryDelay = options.RetryDelay,
            MaxBackoff = options.MaxBackoff,
        },
        Gcp = new GcpOptions { StagingBucket = bucket, Endpoint = endpoint.AbsoluteUri, Catalog = "none" },
    };

    /// <summary>The Cloud Storage adapter as the agent builds it from its options (anonymous: a test server).</summary>
    public static Task<GcsObjectStore> CreateStoreAsync(RecorderOptions recorder, CancellationToken cancellationToken) =>
        GcsObjectStore.CreateAsync(EdgeBackend.GcsSettingsOf(recorder) with { Anonymous = true }, cancellationToken);

    public static async Task<(TimeSpan Elapsed, string? Failure, string Note)> UploadAsync(
        UploadBenchmarkOptions options, SegmentSet set, Uri endpoint, string bucket, string prefix, string workDir, CancellationToken cancellationToken)
    {
        RecorderOptions recorder = Options(options, endpoint, bucket, workDir);
        using GcsObjectStore store = await CreateStoreAsync(recorder, cancellationToken);
        return await UploadAsync(options, recorder, store, set, bucket, prefix, cancellationToken);
    }

    public static async Task<(TimeSpan Elapsed, string? Failure, string Note)> UploadAsync(
        UploadBenchmarkOptions options, RecorderOptions recorder, IObjectStore store, SegmentSet set, string bucket, string prefix, CancellationToken cancellationToken)
    {
        using var logs = new CountingLoggerProvider();
        using ILoggerFactory factory = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Warning));
        var context = new EdgeContext(recorder, store, bucket, catalog: null, TimeProvider.System, factory);

        DateTimeOffset start = DateTimeOffset.UnixEpoch.AddYears(56);
        for (int i = 0; i < set.Files.Count; i++)
        {
            SegmentFile file = set.Files[i];
            // Each round uploads under a prefix of its own, so the row's ID and object name are the round's.
            context.Outbox.InsertSealed(OutboxRows.Sealed(recorder.Id, "cam1", 1, i, file.Path, start.AddSeconds(i * 10), start.AddSeconds((i + 1) * 10),
                file.Digest, DateTimeOffset.UtcNow) with { Id = $"bench-{prefix}-{i:D4}", ObjectName = $"{prefix}/{file.Name}" });
        }

        var uploader = context.CreateUploader();
        TimeSpan waited = TimeSpan.Zero;
        int passes = 0;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.RunTimeout);
        var clock = Stopwatch.StartNew();
        // The running agent's upload loop (Uploader.RunAsync: a segment is claimed as soon as a slot frees), stopped as
        // soon as every row is uploaded; a lost row ends the run as a failure.
        using var done = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token);
        Task loop = uploader.RunAsync(done.Token);
        passes = 1;
        try
        {
            while (true)
            {
                IReadOnlyDictionary<EdgeState, long> counts = context.Outbox.CountByState();
                if (counts[EdgeState.Lost] > 0)
                {
                    await done.CancelAsync();
                    await IgnoreCancellation(loop);
                    return (clock.Elapsed, $"{counts[EdgeState.Lost]} segment(s) marked lost", Note());
                }
                if (counts[EdgeState.Sealed] + counts[EdgeState.Failed] + counts[EdgeState.Uploading] == 0)
                {
                    break;
                }
                await Task.Delay(TimeSpan.FromMilliseconds(20), timeout.Token);
            }
            await done.CancelAsync();
            await IgnoreCancellation(loop);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return (clock.Elapsed, $"not done after {options.RunTimeout.TotalSeconds:0} s: {string.Join(", ", context.Outbox.CountByState().Where(c => c.Value > 0))}", Note());
        }
        TimeSpan elapsed = clock.Elapsed;

        string? failure = null;
        foreach (OutboxSegment row in context.Outbox.All())
        {
            if (row.State != EdgeState.Uploaded)
            {
                failure ??= $"{row.Id} ended {row.State}: {row.LastError}";
            }
        }
        return (elapsed, failure, Note());

        string Note() =>
            $"{passes} passes, {logs.Retries} in-call retries, {logs.BackgroundFailures} handed to the background sync, {waited.TotalSeconds:0.0} s waiting for back-off";
    }

    private static async Task IgnoreCancellation(Task task)
    {
        try
        {
            await task;
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Counts the uploader's warnings: a retry inside the call, or a segment handed back to the outbox with a back-off.</summary>
    private sealed class CountingLoggerProvider : ILoggerProvider, ILogger
    {
        private long _retries;
        private long _background;

        public long Retries => Interlocked.Read(ref _retries);
        public long BackgroundFailures => Interlocked.Read(ref _background);

        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            string message = formatter(state, exception);
            if (message.StartsWith("Upload attempt", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref _retries);
            }
            else if (message.StartsWith("Upload of", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref _background);
            }
        }

        public void Dispose()
        {
        }
    }
}
