using System.Security.Cryptography;
using Cctv.Shared.Hashing;
using Cctv.Shared.Ports;

namespace Cctv.TestSupport.Stores;

/// <summary>
/// What every <see cref="IAppendSessions"/> does, whatever it stores into: the embedded store
/// (Cctv.Shared.Tests Local/LocalObjectStoreSessionTests) and Cloud Storage's adapter against the test GCS server
/// (Cctv.Gcs.Tests Storage/GcsAppendSessionTests) run these same tests. Two sites' recorders both have a camera
/// called cam1: their objects differ only by the recorder in the name.
/// </summary>
public abstract class AppendSessionsContractTests
{
    protected const string Bucket = "staging";

    /// <summary>The sessions of the store under test (the same instance for the whole test).</summary>
    protected abstract IAppendSessions Sessions { get; }

    /// <summary>The same store's objects.</summary>
    protected abstract IObjectStore Objects { get; }

    /// <summary>Another instance of the same store (a new process after a crash): same data directory, same server.</summary>
    protected abstract Task<IAppendSessions> ReopenAsync();

    /// <summary>Session URIs nobody started, or that point elsewhere: each must be refused with NotFound or Permanent.</summary>
    protected abstract IEnumerable<Uri> ForgedSessions(Uri genuine);

    /// <summary>A piece of a session: a multiple of the quantum, 256 KiB or more.</summary>
    protected int Piece => Math.Max(1, 256 * 1024 / Sessions.Quantum) * Sessions.Quantum;

    protected static AppendSessionRequest Request(string name) => new(Bucket, name, "video/mp4", IfGenerationMatch: 0,
        new Dictionary<string, string> { ["recording-id"] = "rec-" + name.GetHashCode(StringComparison.Ordinal), ["camera-id"] = "cam1" });

    protected static string Crc(ReadOnlySpan<byte> bytes) => Crc32C.ToBase64(Crc32C.Compute(bytes));

    protected async Task<byte[]> ReadObjectAsync(string name)
    {
        await using Stream stream = await Objects.OpenReadAsync(Bucket, name, CancellationToken.None);
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }

    /// <summary>Starts a session and appends the first <paramref name="pieces"/> pieces of <paramref name="bytes"/>.</summary>
    protected async Task<Uri> StartWithAsync(string name, byte[] bytes, int pieces)
    {
        Uri session = await Sessions.StartAsync(Request(name), CancellationToken.None);
        for (int i = 0; i < pieces; i++)
        {
            long held = await Sessions.AppendAsync(session, (long)i * Piece, bytes.AsMemory(i * Piece, Piece), CancellationToken.None);
            Assert.Equal((long)(i + 1) * Piece, held);
        }
        return session;
    }

    [Fact]
    public async Task Append_ThreePieces_QueryReportsThem_AndNoObjectExistsUntilTheSessionFinishes()
    {
        byte[] bytes = RandomNumberGenerator.GetBytes(3 * Piece);
        Uri session = await StartWithAsync("incoming/site-a/cam1/live.mp4", bytes, 3);

        AppendSessionStatus status = await Sessions.QueryAsync(session, CancellationToken.None);

        Assert.Equal(3L * Piece, status.Persisted);
        Assert.False(status.IsComplete);
        Assert.Null(await Objects.GetAsync(Bucket, "incoming/site-a/cam1/live.mp4", CancellationToken.None));
    }

    [Fact]
    public async Task Finish_FromANewStoreInstanceWithTheSameUri_SendsTheRest_AndTheObjectIsTheWholeFile()
    {
        byte[] bytes = RandomNumberGenerator.GetBytes(4 * Piece + 1234);
        const string Name = "incoming/site-a/cam1/resumed.mp4";
        Uri session = await StartWithAsync(Name, bytes, 3);

        IAppendSessions after = await ReopenAsync();
        Assert.Equal(3L * Piece, (await after.QueryAsync(session, CancellationToken.None)).Persisted);
        StoredObject stored = await after.FinishAsync(session, new MemoryStream(bytes), Crc(bytes), held: null, CancellationToken.None);

        Assert.Equal(bytes.Length, stored.Size);
        Assert.Equal(Crc(bytes), stored.Crc32C);
        Assert.Equal("cam1", stored.Metadata["camera-id"]);
        Assert.Equal(bytes, await ReadObjectAsync(Name));
        AppendSessionStatus status = await Sessions.QueryAsync(session, CancellationToken.None);
        Assert.True(status.IsComplete);
        Assert.Equal(stored.Generation, status.Completed!.Generation);
        Assert.Equal(bytes.Length, status.Persisted);
        // Finishing again (the answer was lost) returns the same object.
        Assert.Equal(stored.Generation, (await Sessions.FinishAsync(session, new MemoryStream(bytes), Crc(bytes), held: null, CancellationToken.None)).Generation);
    }

    [Fact]
    public async Task Finish_OfTwoSitesCam1_EachCreatesItsOwnObject_AndAThirdSessionOnAnExistingNameFailsItsPrecondition()
    {
        byte[] siteA = RandomNumberGenerator.GetBytes(Piece + 7);
        byte[] siteB = RandomNumberGenerator.GetBytes(2 * Piece + 9);
        Uri a = await StartWithAsync("incoming/site-a/cam1/s1.mp4", siteA, 1);
        Uri b = await StartWithAsync("incoming/site-b/cam1/s1.mp4", siteB, 2);
        Uri again = await StartWithAsync("incoming/site-a/cam1/s1.mp4", siteB, 1);

        await Sessions.FinishAsync(b, new MemoryStream(siteB), Crc(siteB), held: null, CancellationToken.None);
        await Sessions.FinishAsync(a, new MemoryStream(siteA), Crc(siteA), held: null, CancellationToken.None);
        var e = await Assert.ThrowsAsync<ObjectStoreException>(() => Sessions.FinishAsync(again, new MemoryStream(siteB), Crc(siteB), held: null, CancellationToken.None));

        Assert.Equal(ObjectStoreError.PreconditionFailed, e.Error);
        Assert.Equal(siteA, await ReadObjectAsync("incoming/site-a/cam1/s1.mp4"));
        Assert.Equal(siteB, await ReadObjectAsync("incoming/site-b/cam1/s1.mp4"));
    }

    [Fact]
    public async Task Finish_WithAWrongCrc32C_IsRefused_AndNothingIsStored()
    {
        byte[] bytes = RandomNumberGenerator.GetBytes(2 * Piece + 100);
        const string Name = "incoming/site-a/cam1/corrupt.mp4";
        Uri session = await StartWithAsync(Name, bytes, 2);
        byte[] other = (byte[])bytes.Clone();
        other[^1] ^= 0xff;

        var e = await Assert.ThrowsAsync<ObjectStoreException>(() => Sessions.FinishAsync(session, new MemoryStream(bytes), Crc(other), held: null, CancellationToken.None));

        Assert.Equal(ObjectStoreError.ChecksumMismatch, e.Error);
        Assert.Null(await Objects.GetAsync(Bucket, Name, CancellationToken.None));
        await Assert.ThrowsAsync<ObjectStoreException>(() => Sessions.FinishAsHeldAsync(session, CancellationToken.None));
        Assert.Null(await Objects.GetAsync(Bucket, Name, CancellationToken.None));
    }

    [Fact]
    public async Task FinishAsHeld_CommitsTheHeldBytesWithTheirCrc32C_AndTheWriterThatComesBackIsRefused()
    {
        byte[] bytes = RandomNumberGenerator.GetBytes(4 * Piece + 77);
        const string Name = "incoming/site-b/cam1/salvaged.mp4";
        Uri session = await StartWithAsync(Name, bytes, 3);
        byte[] held = bytes[..(3 * Piece)];

        IAppendSessions sweep = await ReopenAsync(); // the cloud's sweep, another process
        StoredObject salvaged = await sweep.FinishAsHeldAsync(session, CancellationToken.None);

        Assert.Equal(held.Length, salvaged.Size);
        Assert.Equal(Crc(held), salvaged.Crc32C);
        Assert.Equal(held, await ReadObjectAsync(Name));
        Assert.Equal(salvaged.Generation, (await Sessions.FinishAsHeldAsync(session, CancellationToken.None)).Generation);
        var append = await Assert.ThrowsAsync<ObjectStoreException>(() => Sessions.AppendAsync(session, 3L * Piece, bytes.AsMemory(3 * Piece, Piece), CancellationToken.None));
        Assert.Equal(ObjectStoreError.PreconditionFailed, append.Error);
        var finish = await Assert.ThrowsAsync<ObjectStoreException>(() => Sessions.FinishAsync(session, new MemoryStream(bytes), Crc(bytes), held: null, CancellationToken.None));
        Assert.Equal(ObjectStoreError.PreconditionFailed, finish.Error);
        Assert.Equal(held, await ReadObjectAsync(Name));
    }

    [Fact]
    public async Task FinishAsHeld_OfASessionHoldingNoByte_IsNotFound_AndCreatesNoObject()
    {
        Uri session = await Sessions.StartAsync(Request("incoming/site-a/cam1/empty.mp4"), CancellationToken.None);

        var e = await Assert.ThrowsAsync<ObjectStoreException>(() => Sessions.FinishAsHeldAsync(session, CancellationToken.None));

        Assert.Equal(ObjectStoreError.NotFound, e.Error);
        Assert.Null(await Objects.GetAsync(Bucket, "incoming/site-a/cam1/empty.mp4", CancellationToken.None));
    }

    [Fact]
    public async Task Append_BytesSentAgain_AreAcceptedWhenEqual_AndRefusedWhenTheyDifferFromWhatIsHeld()
    {
        byte[] bytes = RandomNumberGenerator.GetBytes(3 * Piece);
        Uri session = await StartWithAsync("incoming/site-a/cam1/resent.mp4", bytes, 2);

        long held = await Sessions.AppendAsync(session, Piece, bytes.AsMemory(Piece, 2 * Piece), CancellationToken.None);
        Assert.Equal(3L * Piece, held);
        byte[] changed = bytes[Piece..(2 * Piece)];
        changed[10] ^= 1;
        var e = await Assert.ThrowsAsync<ObjectStoreException>(() => Sessions.AppendAsync(session, Piece, changed, CancellationToken.None));

        Assert.Equal(ObjectStoreError.Permanent, e.Error);
        Assert.Equal(3L * Piece, (await Sessions.QueryAsync(session, CancellationToken.None)).Persisted);
    }

    [Fact]
    public async Task Append_PastTheHeldBytes_IsRefused_AndLeavesNoGap()
    {
        byte[] bytes = RandomNumberGenerator.GetBytes(3 * Piece);
        Uri session = await StartWithAsync("incoming/site-a/cam1/gap.mp4", bytes, 1);

        var e = await Assert.ThrowsAsync<ObjectStoreException>(() => Sessions.AppendAsync(session, 2L * Piece, bytes.AsMemory(2 * Piece, Piece), CancellationToken.None));

        Assert.Equal(ObjectStoreError.Permanent, e.Error);
        Assert.Equal(Piece, (await Sessions.QueryAsync(session, CancellationToken.None)).Persisted);
    }

    [Fact]
    public async Task EveryOperation_OnAForgedSessionUri_IsRefusedAsNotFoundOrPermanent()
    {
        byte[] bytes = RandomNumberGenerator.GetBytes(Piece);
        Uri genuine = await StartWithAsync("incoming/site-a/cam1/genuine.mp4", bytes, 1);
        Func<Uri, Task>[] operations =
        [
            uri => Sessions.AppendAsync(uri, 0, bytes, CancellationToken.None),
            uri => Sessions.QueryAsync(uri, CancellationToken.None),
            uri => Sessions.FinishAsync(uri, new MemoryStream(bytes), Crc(bytes), held: null, CancellationToken.None),
            uri => Sessions.FinishAsHeldAsync(uri, CancellationToken.None),
        ];
        foreach (Uri forged in ForgedSessions(genuine))
        {
            foreach (Func<Uri, Task> operation in operations)
            {
                var e = await Assert.ThrowsAsync<ObjectStoreException>(() => operation(forged));
                Assert.True(e.Error is ObjectStoreError.NotFound or ObjectStoreError.Permanent, $"{forged}: {e.Error} {e.Message}");
            }
        }
        Assert.Equal(Piece, (await Sessions.QueryAsync(genuine, CancellationToken.None)).Persisted);
    }
}
