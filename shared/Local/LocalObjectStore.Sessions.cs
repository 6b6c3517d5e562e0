using System.Text.Json;
using Cctv.Shared.Hashing;
using Cctv.Shared.Ports;

namespace Cctv.Shared.Local;

/// <summary>
/// Append sessions on the embedded backend, with Cloud Storage's semantics (unknown-size resumable uploads): a session is a
/// folder <c>&lt;root&gt;/.sessions/&lt;id&gt;/</c> holding the bytes so far (<c>data</c>, every append fsynced before it
/// is confirmed) and <c>session.json</c> (where the object goes, its precondition, and the state: open, finished with its
/// object, or failed with the error that ended it, which every later request gets again, as a Cloud Storage session answers
/// after its final request failed). All of it under the session folder's lock, so another process sharing the data
/// directory (the cloud's sweep) can go on with or finish the session from its URI, <c>cctv-local://append-session/&lt;id&gt;</c>.
/// Finishing commits through the same path as an upload (CRC32C check, precondition, finalize event).
/// Sessions expire as Cloud Storage's do, a week after they started (<see cref="SessionLifetime"/>): the store removes the
/// folders of expired ones, whatever their state, at most once an hour when a session starts, or when
/// <see cref="RemoveExpiredSessionsAsync"/> is called; after that the URI is NotFound.
/// </summary>
public sealed partial class LocalObjectStore
{
    /// <summary>How long a session is known after it started, as a Cloud Storage resumable session URI (one week).</summary>
    public static readonly TimeSpan SessionLifetime = TimeSpan.FromDays(7);

    private const string SessionScheme = "cctv-local";
    private const string SessionHost = "append-session";
    private const string SessionsFolder = ".sessions";
    private static readonly TimeSpan ExpiryCheckInterval = TimeSpan.FromHours(1);

    private long _nextExpiryCheckTicks;

    /// <summary>Any size will do here: the embedded store writes each append as it comes.</summary>
    public int Quantum => 1;

    public async Task<Uri> StartAsync(AppendSessionRequest request, CancellationToken cancellationToken)
    {
        PathsOf(request.Bucket, request.Name); // validates both names: a bad one is refused now, not when the session finishes
        await RemoveExpiredSessionsIfDueAsync(cancellationToken);
        string id = Guid.NewGuid().ToString("N");
        string dir = SessionDir(id);
        IReadOnlyList<string> created = Durability.CreateDirectory(dir);
        // An empty file has no bytes to sync: the folder's fsync below makes its entry durable. The state file is written
        // in place (nobody knows the folder before this returns), synced, then the folder and each one the start created.
        new FileStream(Path.Combine(dir, "data"), FileMode.CreateNew, FileAccess.Write, FileShare.None).Dispose();
        DateTimeOffset now = _time.GetUtcNow();
        using (var stream = new FileStream(Path.Combine(dir, "session.json"), FileMode.CreateNew, FileAccess.Write, FileShare.None))
        {
            JsonSerializer.Serialize(stream, new SessionFile(request.Bucket, request.Name, request.ContentType, request.IfGenerationMatch,
                new Dictionary<string, string>(request.Metadata), SessionStates.Open, now, null, null, null), Json);
            Durability.FsyncFile(stream);
        }
        Durability.FsyncNewEntry(dir, created);
        return new Uri($"{SessionScheme}://{SessionHost}/{id}");
    }

    public async Task<long> AppendAsync(Uri session, long offset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        string id = SessionIdOf(session);
        using BucketLock _ = await LockSessionAsync(id, cancellationToken);
        (string dir, SessionFile state) = await OpenSessionAsync(id, session, cancellationToken);
        if (state.State == SessionStates.Finished)
        {
            throw new ObjectStoreException(ObjectStoreError.PreconditionFailed,
                $"append session {session}: gs://{state.Bucket}/{state.Name} was finished already (at {state.Completed!.Size} bytes); nothing more can be appended");
        }
        string dataPath = Path.Combine(dir, "data");
        // Plain (synchronous) file calls: a local write lands in the page cache, and the fsync blocks either way; the
        // asynchronous kind would only hand each call to the thread pool and back.
        using var file = new FileStream(dataPath, FileMode.Open, FileAccess.ReadWrite, FileShare.Read, 1);
        long held = file.Length;
        if (offset < 0 || offset > held)
        {
            throw new ObjectStoreException(ObjectStoreError.Permanent,
                $"append session {session}: an append at offset {offset} would leave a gap; the store holds {held} bytes (ask where the session stands, send from there)");
        }
        int overlap = (int)Math.Min(data.Length, held - offset);
        if (overlap > 0)
        {
            byte[] heldBytes = new byte[overlap];
            file.Position = offset;
            file.ReadExactly(heldBytes);
            if (!heldBytes.AsSpan().SequenceEqual(data.Span[..overlap]))
            {
                throw new ObjectStoreException(ObjectStoreError.Permanent,
                    $"append session {session}: the bytes sent again from offset {offset} differ from the {overlap} bytes the store holds there");
            }
        }
        if (overlap < data.Length)
        {
            file.Position = held;
            file.Write(data.Span[overlap..]);
            Durability.FsyncFile(file);
        }
        return file.Length;
    }

    public async Task<AppendSessionStatus> QueryAsync(Uri session, CancellationToken cancellationToken)
    {
        string id = SessionIdOf(session);
        using BucketLock _ = await LockSessionAsync(id, cancellationToken);
        (string dir, SessionFile state) = await OpenSessionAsync(id, session, cancellationToken);
        return state.Completed is { } done
            ? new AppendSessionStatus(done.Size, done)
            : new AppendSessionStatus(new FileInfo(Path.Combine(dir, "data")).Length, null);
    }

    /// <summary>The embedded store reads what it holds from its own disk, so <paramref name="held"/> saves it nothing and is not used.</summary>
    public async Task<StoredObject> FinishAsync(Uri session, Stream content, string crc32C, long? held, CancellationToken cancellationToken)
    {
        string id = SessionIdOf(session);
        using BucketLock _ = await LockSessionAsync(id, cancellationToken);
        (string dir, SessionFile state) = await OpenSessionAsync(id, session, cancellationToken);
        if (state.Completed is { } done)
        {
            return done.Size == content.Length && done.Crc32C == crc32C
                ? done
                : throw new ObjectStoreException(ObjectStoreError.PreconditionFailed,
                    $"append session {session}: gs://{state.Bucket}/{state.Name} was finished already with other bytes ({done.Size} bytes, CRC32C {done.Crc32C}; "
                    + $"these are {content.Length} bytes, CRC32C {crc32C}): it was salvaged while its writer was taken for gone");
        }
        string dataPath = Path.Combine(dir, "data");
        long onDisk = new FileInfo(dataPath).Length;
        if (content.Length < onDisk)
        {
            throw new ObjectStoreException(ObjectStoreError.Permanent,
                $"append session {session}: the content has {content.Length} bytes, fewer than the {onDisk} the store holds");
        }
        // Not synced here: the commit syncs the file once, after it has set the generation as the file's time.
        using (var file = new FileStream(dataPath, FileMode.Append, FileAccess.Write, FileShare.Read, 1))
        {
            content.Position = onDisk;
            content.CopyTo(file);
        }
        // The whole object is checked, the bytes held from earlier appends included.
        SegmentDigest digest = SegmentHasher.ChecksumFile(dataPath, cancellationToken);
        if (!string.Equals(digest.Crc32CBase64, crc32C, StringComparison.Ordinal))
        {
            var mismatch = new ObjectStoreException(ObjectStoreError.ChecksumMismatch,
                $"append session {session}: the {digest.Size} bytes of gs://{state.Bucket}/{state.Name} have CRC32C {digest.Crc32CBase64}, the request said {crc32C}; nothing was stored");
            await FailSessionAsync(dir, state, mismatch, cancellationToken);
            throw mismatch;
        }
        return await CommitSessionAsync(dir, state, digest, cancellationToken);
    }

    public async Task<StoredObject> FinishAsHeldAsync(Uri session, CancellationToken cancellationToken)
    {
        string id = SessionIdOf(session);
        using BucketLock _ = await LockSessionAsync(id, cancellationToken);
        (string dir, SessionFile state) = await OpenSessionAsync(id, session, cancellationToken);
        if (state.Completed is { } done)
        {
            return done;
        }
        string dataPath = Path.Combine(dir, "data");
        if (new FileInfo(dataPath).Length == 0)
        {
            throw new ObjectStoreException(ObjectStoreError.NotFound,
                $"append session {session}: the store holds no byte of gs://{state.Bucket}/{state.Name}; an empty object is not created");
        }
        return await CommitSessionAsync(dir, state, SegmentHasher.ChecksumFile(dataPath, cancellationToken), cancellationToken);
    }

    /// <summary>
    /// Removes the folders of sessions that started more than <see cref="SessionLifetime"/> ago, whatever their state
    /// (a finished one's bytes are in its object by then), and returns how many. Each under its lock, so a request in
    /// flight finishes first and the next one finds nothing (NotFound).
    /// </summary>
    public async Task<int> RemoveExpiredSessionsAsync(CancellationToken cancellationToken)
    {
        string root = Path.Combine(_root, SessionsFolder);
        if (!Directory.Exists(root))
        {
            return 0;
        }
        DateTimeOffset cutoff = _time.GetUtcNow() - SessionLifetime;
        int removed = 0;
        foreach (string dir in Directory.EnumerateDirectories(root))
        {
            cancellationToken.ThrowIfCancellationRequested();
            string id = Path.GetFileName(dir);
            if (!IsSessionId(id))
            {
                continue;
            }
            using (await BucketLock.AcquireAsync(dir, cancellationToken))
            {
                SessionFile? state;
                try
                {
                    state = await ReadSessionAsync(dir, cancellationToken);
                }
                catch (ObjectStoreException)
                {
                    state = null; // a state file torn by a crash while its start wrote it (the start never returned its URI)
                }
                // A folder without its file is what a lookup of an unknown id left behind, or a start that died half-way.
                DateTimeOffset started = state?.Created ?? new DateTimeOffset(Directory.GetCreationTimeUtc(dir), TimeSpan.Zero);
                if (started > cutoff)
                {
                    continue;
                }
                File.Delete(Path.Combine(dir, "session.json"));
                File.Delete(Path.Combine(dir, "data"));
            }
            Directory.Delete(dir, recursive: true);
            removed++;
        }
        return removed;
    }

    private async Task RemoveExpiredSessionsIfDueAsync(CancellationToken cancellationToken)
    {
        long now = _time.GetUtcNow().UtcTicks;
        long due = Interlocked.Read(ref _nextExpiryCheckTicks);
        if (now >= due && Interlocked.CompareExchange(ref _nextExpiryCheckTicks, now + ExpiryCheckInterval.Ticks, due) == due)
        {
            await RemoveExpiredSessionsAsync(cancellationToken);
        }
    }

    /// <summary>Commits the session's data file as the object (the upload's path), then records the session as finished.</summary>
    private async Task<StoredObject> CommitSessionAsync(string dir, SessionFile state, SegmentDigest digest, CancellationToken cancellationToken)
    {
        StoredObject stored;
        try
        {
            stored = await CommitAsync(state.Bucket, state.Name, PathsOf(state.Bucket, state.Name), Path.Combine(dir, "data"), digest,
                state.ContentType, state.Metadata, state.IfGenerationMatch, cancellationToken);
        }
        catch (ObjectStoreException e) when (e.Error is ObjectStoreError.PreconditionFailed or ObjectStoreError.Permanent)
        {
            await FailSessionAsync(dir, state, e, cancellationToken);
            throw;
        }
        await WriteSessionAsync(dir, state with { State = SessionStates.Finished, Updated = _time.GetUtcNow(), Completed = stored }, cancellationToken);
        return stored;
    }

    /// <summary>Ends the session with <paramref name="failure"/>, which every later request on it gets again; its bytes are dropped.</summary>
    private async Task FailSessionAsync(string dir, SessionFile state, ObjectStoreException failure, CancellationToken cancellationToken)
    {
        await WriteSessionAsync(dir, state with { State = SessionStates.Failed, Updated = _time.GetUtcNow(), FailedWith = failure.Error, Failure = failure.Message },
            CancellationToken.None);
        File.Delete(Path.Combine(dir, "data"));
        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>
    /// Under the session's lock: its folder and state. Unknown (never started, expired) is NotFound; a failed session
    /// throws the error that ended it. A session whose data file is gone while it is still open crashed between the commit
    /// of its object and the record of it: the object, if it is there, finishes it now.
    /// </summary>
    private async Task<(string Dir, SessionFile State)> OpenSessionAsync(string id, Uri session, CancellationToken cancellationToken)
    {
        string dir = SessionDir(id);
        SessionFile state = await ReadSessionAsync(dir, cancellationToken)
            ?? throw new ObjectStoreException(ObjectStoreError.NotFound, $"append session {session} is not known to this store (never started, or expired)");
        if (state.State == SessionStates.Failed)
        {
            throw new ObjectStoreException(state.FailedWith ?? ObjectStoreError.Permanent, $"append session {session} ended with an error: {state.Failure}");
        }
        if (state.State == SessionStates.Open && !File.Exists(Path.Combine(dir, "data")))
        {
            StoredObject found = await GetAsync(state.Bucket, state.Name, cancellationToken)
                ?? throw new ObjectStoreException(ObjectStoreError.NotFound, $"append session {session} lost its bytes and gs://{state.Bucket}/{state.Name} does not exist");
            state = state with { State = SessionStates.Finished, Updated = _time.GetUtcNow(), Completed = found };
            await WriteSessionAsync(dir, state, cancellationToken);
        }
        return (dir, state);
    }

    private async Task<BucketLock> LockSessionAsync(string id, CancellationToken cancellationToken)
    {
        string dir = SessionDir(id);
        // The lock would create the folder: a session that was never there (or expired) is NotFound without leaving one behind.
        if (!Directory.Exists(dir))
        {
            throw new ObjectStoreException(ObjectStoreError.NotFound, $"append session {SessionScheme}://{SessionHost}/{id} is not known to this store (never started, or expired)");
        }
        return await BucketLock.AcquireAsync(dir, cancellationToken);
    }

    /// <summary>The session's id, from a URI this store made; anything else (another store's, a forged path) is refused before any file is touched.</summary>
    private static string SessionIdOf(Uri session)
    {
        if (session is { IsAbsoluteUri: true } && session.Scheme == SessionScheme && session.Host == SessionHost
            && string.IsNullOrEmpty(session.Query) && string.IsNullOrEmpty(session.Fragment)
            && session.AbsolutePath.Length == 33 && IsSessionId(session.AbsolutePath[1..]))
        {
            return session.AbsolutePath[1..];
        }
        throw new ObjectStoreException(ObjectStoreError.Permanent,
            $"'{session}' is not an append session of the embedded store (expected {SessionScheme}://{SessionHost}/ and 32 hexadecimal digits)");
    }

    private static bool IsSessionId(string id) => id.Length == 32 && id.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f'));

    private string SessionDir(string id) => Path.Combine(_root, SessionsFolder, id);

    private static async Task<SessionFile?> ReadSessionAsync(string dir, CancellationToken cancellationToken)
    {
        try
        {
            await using var stream = new FileStream(Path.Combine(dir, "session.json"), FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);
            return await JsonSerializer.DeserializeAsync<SessionFile>(stream, Json, cancellationToken);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (JsonException e)
        {
            throw new ObjectStoreException(ObjectStoreError.Permanent, $"the append session in {dir} has an unreadable state file ({e.Message})", e);
        }
    }

    private static async Task WriteSessionAsync(string dir, SessionFile state, CancellationToken cancellationToken)
    {
        string path = Path.Combine(dir, "session.json");
        string temp = path + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp";
        await using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
        {
            await JsonSerializer.SerializeAsync(stream, state, Json, cancellationToken);
            Durability.FsyncFile(stream);
        }
        File.Move(temp, path, overwrite: true);
        Durability.FsyncDirectory(dir);
    }

    private static class SessionStates
    {
        public const string Open = "open";
        public const string Finished = "finished";
        public const string Failed = "failed";
    }

    /// <summary>A session's <c>session.json</c>.</summary>
    private sealed record SessionFile(
        string Bucket,
        string Name,
        string ContentType,
        long? IfGenerationMatch,
        Dictionary<string, string> Metadata,
        string State,
        DateTimeOffset Created,
        DateTimeOffset? Updated,
        StoredObject? Completed,
        ObjectStoreError? FailedWith,
        string? Failure = null);
}
