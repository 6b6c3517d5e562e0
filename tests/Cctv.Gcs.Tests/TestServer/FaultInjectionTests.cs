using System.Diagnostics;
using System.Net;
using Cctv.Testing.Gcs;

namespace Cctv.Gcs.Tests.TestServer;

public sealed class FaultInjectionTests
{
    private const string Bucket = "staging";
    private const int Q = GcsHttp.Quantum;

    [Theory]
    [InlineData(GcsFaultKind.Http500, 500, "backendError")]
    [InlineData(GcsFaultKind.Http503, 503, "backendError")]
    [InlineData(GcsFaultKind.Http429, 429, "rateLimitExceeded")]
    public async Task Fault_StatusOnChunk_ClientSeesTheStatusAndNothingIsPersisted(GcsFaultKind kind, int status, string reason)
    {
        await using GcsTestServer server = await Start();
        using var gcs = new GcsHttp(server);
        byte[] data = GcsHttp.RandomBytes(2 * Q, seed: 1);
        Uri session = await gcs.InitiateAsync(Bucket, "s");
        server.InjectFault(kind, GcsRequestKinds.ResumableChunk);

        using HttpResponseMessage failed = await gcs.PutChunkAsync(session, data, 0, Q, null);
        using HttpResponseMessage query = await gcs.QueryAsync(session);
        using HttpResponseMessage retried = await gcs.PutChunkAsync(session, data, 0, Q, null);

        await GcsHttp.AssertErrorAsync(failed, status, reason);
        if (kind == GcsFaultKind.Http429)
        {
            Assert.Equal("1", Assert.Single(failed.Headers.GetValues("Retry-After")));
        }
        Assert.Equal(0, GcsHttp.Persisted(query));
        Assert.Equal(Q, GcsHttp.Persisted(retried));
        Assert.Equal(1, server.Counters.FaultsInjected[kind]);
        Assert.Equal(1, server.Counters.TotalFaults);
    }

    [Fact]
    public async Task Fault_ResetMidChunk_ClientSeesAConnectionErrorAndNothingIsPersisted()
    {
        await using GcsTestServer server = await Start();
        using var gcs = new GcsHttp(server);
        byte[] data = GcsHttp.RandomBytes(4 * Q, seed: 2);
        Uri session = await gcs.InitiateAsync(Bucket, "r");
        server.InjectFault(GcsFaultKind.ResetMidChunk, GcsRequestKinds.ResumableChunk);

        Exception error = await Record.ExceptionAsync(() => gcs.PutChunkAsync(session, data, 0, 4 * Q, null));
        using HttpResponseMessage query = await gcs.QueryAsync(session);

        Assert.True(error is HttpRequestException or IOException, $"Expected a connection error, got {error?.GetType().Name ?? "no exception"}.");
        Assert.Equal(0, GcsHttp.Persisted(query));
        Assert.Equal(1, server.Counters.FaultsInjected[GcsFaultKind.ResetMidChunk]);
    }

    [Fact]
    public async Task Fault_ResetMidChunk_WithPersistReceivedBytes_KeepsThe256KiBAlignedPrefixRead()
    {
        await using GcsTestServer server = await Start(new GcsFaultOptions { PersistReceivedBytesOnReset = true });
        using var gcs = new GcsHttp(server);
        byte[] data = GcsHttp.RandomBytes((4 * Q) + 100, seed: 3);
        Uri session = await gcs.InitiateAsync(Bucket, "r2");
        server.InjectFault(GcsFaultKind.ResetMidChunk, GcsRequestKinds.ResumableChunk);

        await Assert.ThrowsAnyAsync<HttpRequestException>(() => gcs.PutChunkAsync(session, data, 0, 4 * Q, null));
        using HttpResponseMessage query = await gcs.QueryAsync(session);
        long persisted = GcsHttp.Persisted(query);
        using HttpResponseMessage rest = await gcs.PutChunkAsync(session, data, persisted, (int)(data.Length - persisted), data.Length);

        Assert.Equal(2 * Q, persisted);
        Assert.Equal(HttpStatusCode.OK, rest.StatusCode);
        Assert.Equal(data, server.Find(Bucket, "r2")!.Bytes.ToArray());
    }

    [Fact]
    public async Task Fault_StallLongerThanTheClientTimeout_ClientTimesOut()
    {
        await using GcsTestServer server = await Start(new GcsFaultOptions { StallDuration = TimeSpan.FromSeconds(30) });
        using var gcs = new GcsHttp(server, timeout: TimeSpan.FromMilliseconds(500));
        Uri session = await gcs.InitiateAsync(Bucket, "st");
        server.InjectFault(GcsFaultKind.Stall, GcsRequestKinds.ResumableStatusQuery);
        var clock = Stopwatch.StartNew();

        await Assert.ThrowsAsync<TaskCanceledException>(() => gcs.QueryAsync(session));
        using HttpResponseMessage afterwards = await gcs.QueryAsync(session);

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10));
        Assert.Equal(308, (int)afterwards.StatusCode);
        Assert.Equal(1, server.Counters.FaultsInjected[GcsFaultKind.Stall]);
    }

    [Fact]
    public async Task Fault_StallShorterThanTheClientTimeout_EndsWith503()
    {
        await using GcsTestServer server = await Start(new GcsFaultOptions { StallDuration = TimeSpan.FromMilliseconds(300) });
        using var gcs = new GcsHttp(server);
        server.InjectFault(GcsFaultKind.Stall, GcsRequestKinds.ResumableInitiation);
        var clock = Stopwatch.StartNew();

        using HttpResponseMessage response = await gcs.InitiateRawAsync(Bucket, "st2");

        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(250), $"answered after {clock.Elapsed}");
        await GcsHttp.AssertErrorAsync(response, 503);
        Assert.Equal(0, server.Counters.SessionsStarted);
    }

    [Fact]
    public async Task Fault_StallEndingWithReset_ClientSeesAConnectionError()
    {
        await using GcsTestServer server = await Start(new GcsFaultOptions { StallDuration = TimeSpan.FromMilliseconds(100), StallEndsWithReset = true });
        using var gcs = new GcsHttp(server);
        server.InjectFault(GcsFaultKind.Stall, GcsRequestKinds.ResumableInitiation);

        await Assert.ThrowsAnyAsync<HttpRequestException>(() => gcs.InitiateRawAsync(Bucket, "st3"));
    }

    [Fact]
    public async Task Fault_PartialAccept_Answers308WithAShorterRange_EvenOnTheFinalChunk()
    {
        await using GcsTestServer server = await Start();
        using var gcs = new GcsHttp(server);
        byte[] data = GcsHttp.RandomBytes((4 * Q) + 10, seed: 4);
        Uri session = await gcs.InitiateAsync(Bucket, "pa");
        server.InjectFault(GcsFaultKind.PartialAccept, GcsRequestKinds.ResumableChunk, times: 2);

        using HttpResponseMessage first = await gcs.PutChunkAsync(session, data, 0, 4 * Q, null);
        long afterFirst = GcsHttp.Persisted(first);
        using HttpResponseMessage final = await gcs.PutChunkAsync(session, data, afterFirst, (int)(data.Length - afterFirst), data.Length);
        long afterFinal = GcsHttp.Persisted(final);
        using HttpResponseMessage rest = await gcs.PutChunkAsync(session, data, afterFinal, (int)(data.Length - afterFinal), data.Length);

        Assert.Equal(2 * Q, afterFirst);
        Assert.Equal(3 * Q, afterFinal);
        Assert.Equal(HttpStatusCode.OK, rest.StatusCode);
        Assert.Equal(data, server.Find(Bucket, "pa")!.Bytes.ToArray());
        Assert.Equal(2, server.Counters.FaultsInjected[GcsFaultKind.PartialAccept]);
    }

    [Fact]
    public async Task Fault_DropResponseOnFinalChunk_ObjectIsCommittedAndAStatusQueryReturnsIt()
    {
        await using GcsTestServer server = await Start();
        using var gcs = new GcsHttp(server);
        byte[] data = GcsHttp.RandomBytes(1000, seed: 5);
        Uri session = await gcs.InitiateAsync(Bucket, "dr", extraQuery: "&ifGenerationMatch=0");
        server.InjectFault(GcsFaultKind.DropResponse, GcsRequestKinds.ResumableChunk);

        await Assert.ThrowsAnyAsync<HttpRequestException>(() => gcs.PutChunkAsync(session, data, 0, data.Length, data.Length));
        using HttpResponseMessage query = await gcs.QueryAsync(session, data.Length);

        Assert.Equal(HttpStatusCode.OK, query.StatusCode);
        Assert.Equal(data, server.Find(Bucket, "dr")!.Bytes.ToArray());
        Assert.Equal(1, server.CommitCount(Bucket, "dr"));
    }

    [Fact]
    public async Task Fault_ResetOnDownload_ClientGetsAConnectionErrorMidBody()
    {
        await using GcsTestServer server = await Start();
        using var gcs = new GcsHttp(server);
        server.PutObject(Bucket, "big", GcsHttp.RandomBytes(4 * 1024 * 1024, seed: 6));
        server.InjectFault(GcsFaultKind.ResetMidChunk, GcsRequestKinds.Download);

        await Assert.ThrowsAnyAsync<HttpRequestException>(() => gcs.Http.GetByteArrayAsync($"storage/v1/b/{Bucket}/o/big?alt=media"));
        byte[] second = await gcs.Http.GetByteArrayAsync($"storage/v1/b/{Bucket}/o/big?alt=media");

        Assert.Equal(4 * 1024 * 1024, second.Length);
    }

    [Fact]
    public async Task Fault_RandomRateOne_HitsEveryEligibleRequestWithTheWeightedKind()
    {
        await using GcsTestServer server = await Start(new GcsFaultOptions
        {
            Rate = 1,
            AppliesTo = GcsRequestKinds.Metadata,
            Weights = new Dictionary<GcsFaultKind, double> { [GcsFaultKind.Http503] = 1 },
        });
        using var gcs = new GcsHttp(server);

        using HttpResponseMessage metadata = await gcs.Http.GetAsync($"storage/v1/b/{Bucket}");
        using HttpResponseMessage upload = await gcs.InitiateRawAsync(Bucket, "not-eligible");
        server.Faults = GcsFaultOptions.None;
        using HttpResponseMessage healed = await gcs.Http.GetAsync($"storage/v1/b/{Bucket}");

        await GcsHttp.AssertErrorAsync(metadata, 503);
        Assert.Equal(HttpStatusCode.OK, upload.StatusCode);
        Assert.Equal(HttpStatusCode.OK, healed.StatusCode);
        Assert.Equal(1, server.Counters.FaultsInjected[GcsFaultKind.Http503]);
    }

    [Fact]
    public async Task Fault_SameSeed_GivesTheSameFaultSequence()
    {
        var options = new GcsFaultOptions
        {
            Rate = 0.5,
            Seed = 42,
            AppliesTo = GcsRequestKinds.All,
            Weights = new Dictionary<GcsFaultKind, double> { [GcsFaultKind.Http500] = 1, [GcsFaultKind.Http503] = 1, [GcsFaultKind.Http429] = 1 },
        };

        int[] first = await Statuses(options);
        int[] second = await Statuses(options);

        Assert.Equal(first, second);
        Assert.Contains(200, first);
        Assert.Contains(first, s => s != 200);

        static async Task<int[]> Statuses(GcsFaultOptions options)
        {
            await using GcsTestServer server = await Start(options);
            using var gcs = new GcsHttp(server);
            var statuses = new int[40];
            for (int i = 0; i < statuses.Length; i++)
            {
                using HttpResponseMessage response = await gcs.Http.GetAsync($"storage/v1/b/{Bucket}");
                statuses[i] = (int)response.StatusCode;
            }
            return statuses;
        }
    }

    [Fact]
    public async Task Fault_ParallelUploadsUnderRandomFaultsOfEveryKind_AllEndIntactAndWrittenOnce()
    {
        await using GcsTestServer server = await Start(new GcsFaultOptions
        {
            Rate = 0.35,
            Seed = 7,
            // PartialAccept can only hit chunks, a minority of the requests: weighted up so every kind shows up.
            Weights = Enum.GetValues<GcsFaultKind>().ToDictionary(k => k, k => k == GcsFaultKind.PartialAccept ? 5.0 : 1.0),
            StallDuration = TimeSpan.FromMilliseconds(50),
            PersistReceivedBytesOnReset = true,
            RetryAfter = null,
        });
        using var gcs = new GcsHttp(server);
        int[] sizes = [0, 1, Q - 1, Q, Q + 1, (3 * Q) + 17, 6 * Q, (5 * Q) + 3, 1000, 2 * Q, (7 * Q) + 5, 12345, .. Enumerable.Range(1, 12).Select(i => i * 131_072)];

        await Parallel.ForEachAsync(Enumerable.Range(0, sizes.Length), new ParallelOptions { MaxDegreeOfParallelism = 6 }, async (i, _) =>
            await RetryingUploader.UploadAsync(gcs, Bucket, $"seg-{i:D2}", GcsHttp.RandomBytes(sizes[i], seed: 50 + i), chunkSize: Q));

        for (int i = 0; i < sizes.Length; i++)
        {
            TestObject stored = server.Find(Bucket, $"seg-{i:D2}") ?? throw new Xunit.Sdk.XunitException($"seg-{i:D2} missing");
            Assert.Equal(GcsHttp.RandomBytes(sizes[i], seed: 50 + i), stored.Bytes.ToArray());
            Assert.Equal(1, server.CommitCount(Bucket, stored.Name));
        }
        GcsServerCounters counters = server.Counters;
        Assert.All(counters.FaultsInjected, kv => Assert.True(kv.Value > 0, $"no {kv.Key} fault was injected: {string.Join(", ", counters.FaultsInjected)}"));
        Assert.Equal(sizes.Length, counters.ObjectsCommitted);
    }

    [Fact]
    public async Task AFaultForOneObject_SparesRequestsForAnother_AndHitsItsOwn()
    {
        await using GcsTestServer server = await Start();
        using var gcs = new GcsHttp(server);
        server.PutObject(Bucket, "a/one.mp4", new byte[] { 1 });
        server.PutObject(Bucket, "b/two.mp4", new byte[] { 2 });
        server.InjectFault(GcsFaultKind.Http503, GcsRequestKinds.Metadata, objectName: "a/one.mp4");

        using HttpResponseMessage other = await gcs.Http.GetAsync($"storage/v1/b/{Bucket}/o/{GcsHttp.Escape("b/two.mp4")}");
        Assert.Equal(1, server.PendingInjectedFaults);
        using HttpResponseMessage own = await gcs.Http.GetAsync($"storage/v1/b/{Bucket}/o/{GcsHttp.Escape("a/one.mp4")}");

        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, own.StatusCode);
        Assert.Equal(0, server.PendingInjectedFaults);
    }

    private static Task<GcsTestServer> Start(GcsFaultOptions? faults = null) =>
        GcsTestServer.StartAsync(new GcsTestServerOptions { Buckets = [Bucket], Faults = faults ?? GcsFaultOptions.None });
}
