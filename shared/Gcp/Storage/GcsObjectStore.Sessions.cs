using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization;
using Cctv.Shared.Buffers;
using Cctv.Shared.Ports;

namespace Cctv.Shared.Gcp.Storage;

/// <summary>
/// Append sessions: Cloud Storage's resumable upload of unknown size, in plain requests (Google's client cannot leave the
/// size open). Start: <c>POST upload/storage/v1/b/{b}/o?uploadType=resumable&amp;ifGenerationMatch=0</c> with the object's
/// metadata and no checksum (unknown yet). Append: <c>PUT {session}</c> with <c>Content-Range: bytes A-B/*</c>, answered by
/// 308 and the persisted range. Status: <c>bytes */*</c> (308, or 200/201 with the object once it finished). Finish:
/// the rest with <c>bytes A-B/N</c>, the last request carrying <c>X-Goog-Hash: crc32c=...</c> of the whole object, which
/// Cloud Storage checks; or, when every byte is there already, <c>bytes */N</c> (with the hash). Finish at the held bytes
/// (salvage): <c>bytes */N</c>, no body, no hash. Appends and finishes draw on the bandwidth cap before ordinary uploads.
/// Only session URIs under this store's own upload endpoint are used: the requests carry our credentials.
/// </summary>
public sealed partial class GcsObjectStore
{
    private const int SessionQuantum = 256 * 1024;

    public int Quantum => SessionQuantum;

    public async Task<Uri> StartAsync(AppendSessionRequest request, CancellationToken cancellationToken)
    {
        string what = $"start an append session for gs://{request.Bucket}/{request.Name}";
        string path = $"upload/storage/v1/b/{Uri.EscapeDataString(request.Bucket)}/o?uploadType=resumable"
            + (request.IfGenerationMatch is { } g ? $"&ifGenerationMatch={g.ToString(CultureInfo.InvariantCulture)}" : "");
        byte[] metadata = JsonSerializer.SerializeToUtf8Bytes(new GcsSessionMetadata { Name = request.Name, ContentType = request.ContentType, Metadata = request.Metadata });
        return await _quickRetries.ExecuteAsync(async ct =>
        {
            using var message = new HttpRequestMessage(HttpMethod.Post, new Uri(_root, path)) { Content = new ByteArrayContent(metadata) };
            message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "UTF-8" };
            message.Headers.TryAddWithoutValidation("X-Upload-Content-Type", request.ContentType);
            using HttpResponseMessage response = await SendAsync(message, what, HttpCompletionOption.ResponseContentRead, ct);
            await EnsureSuccessAsync(response, what, ct);
            Uri session = response.Headers.Location
                ?? throw new ObjectStoreException(ObjectStoreError.Transient, $"{what}: the answer has no session URI (Location)");
            return SessionUri(session.IsAbsoluteUri ? session : new Uri(_root, session));
        }, cancellationToken);
    }

    public async Task<long> AppendAsync(Uri session, long offset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        SessionUri(session);
        if (data.Length % SessionQuantum != 0 || offset % SessionQuantum != 0 || offset < 0)
        {
            throw new ArgumentException($"An append starts at and sends a multiple of {SessionQuantum} bytes (Cloud Storage's quantum); this one is {data.Length} bytes at {offset}.", nameof(data));
        }
        if (data.IsEmpty)
        {
            return (await QueryAsync(session, cancellationToken)).Persisted;
        }
        await TakeLiveBandwidthAsync(data.Length, cancellationToken);
        string range = $"bytes {offset}-{offset + data.Length - 1}/*";
        return await _quickRetries.ExecuteAsync(async ct =>
        {
            using SessionAnswer answer = await PutAsync(session, range, new ReadOnlyMemoryContent(data), crc32C: null, $"append to {session}", ct);
            return answer.Completed is null
                ? answer.Persisted
                : throw new ObjectStoreException(ObjectStoreError.PreconditionFailed,
                    $"append to {session}: gs://{answer.Completed.Bucket}/{answer.Completed.Name} was finished already (at {answer.Completed.Size} bytes); nothing more can be appended");
        }, cancellationToken);
    }

    public async Task<AppendSessionStatus> QueryAsync(Uri session, CancellationToken cancellationToken)
    {
        SessionUri(session);
        return await _quickRetries.ExecuteAsync(async ct =>
        {
            using SessionAnswer answer = await PutAsync(session, "bytes */*", null, null, $"status of {session}", ct);
            return new AppendSessionStatus(answer.Completed?.Size ?? answer.Persisted, answer.Completed);
        }, cancellationToken);
    }

    public async Task<StoredObject> FinishAsync(Uri session, Stream content, string crc32C, long? held, CancellationToken cancellationToken)
    {
        SessionUri(session);
        long total = content.Length;
        string what = $"finish {session}";
        long? told = held is >= 0 && held <= total ? held : null;
        // The first attempt goes on from what the caller was told the session holds; every other one asks first, so a quick
        // retry sends only what is missing.
        return await _quickRetries.ExecuteAsync(async ct =>
        {
            long at;
            bool unasked = told is not null;
            if (told is { } known)
            {
                at = known;
                told = null;
            }
            else
            {
                AppendSessionStatus status = await QueryAsync(session, ct);
                if (status.Completed is { } done)
                {
                    return done.Size == total && done.Crc32C == crc32C
                        ? done
                        : throw new ObjectStoreException(ObjectStoreError.PreconditionFailed,
                            $"{what}: gs://{done.Bucket}/{done.Name} was finished already with other bytes ({done.Size} bytes, CRC32C {done.Crc32C}; these are {total} bytes, CRC32C {crc32C}): it was salvaged while its writer was taken for gone");
                }
                at = status.Persisted;
                if (at > total)
                {
                    throw new ObjectStoreException(ObjectStoreError.Permanent, $"{what}: the content has {total} bytes, fewer than the {at} the session holds");
                }
            }
            while (true)
            {
                int length = (int)Math.Min(total - at, _settings.ChunkSize);
                bool last = at + length == total;
                // Pooled (TransferBuffers): the rest of a live-tailed segment is up to a quantum (256 KiB), a large object; four segments a
                // second at 16 cameras made these allocations one of the recorder's reasons to sweep its oldest generation.
                byte[] chunk = TransferBuffers.Pool.Rent(length);
                SessionAnswer answer;
                try
                {
                    content.Position = at;
                    await content.ReadExactlyAsync(chunk.AsMemory(0, length), ct);
                    await TakeLiveBandwidthAsync(length, ct);
                    string range = length == 0 ? $"bytes */{total}" : $"bytes {at}-{at + length - 1}/{total}";
                    // Sent from an offset nobody asked about, a refusal (400: the session holds less than we were told) or an
                    // object of other bytes (finished before, by a salvage) is settled by the next attempt, which asks.
                    answer = await PutAsync(session, range, length == 0 ? null : new ByteArrayContent(chunk, 0, length), last ? crc32C : null, what, ct,
                        badRequestIsTransient: unasked);
                }
                finally
                {
                    TransferBuffers.Pool.Return(chunk);
                }
                using SessionAnswer _ = answer;
                if (answer.Completed is { } stored)
                {
                    if (unasked && (stored.Crc32C != crc32C || stored.Size != total))
                    {
                        throw new ObjectStoreException(ObjectStoreError.Transient, $"{what}: the session was finished already; asking where it stands");
                    }
                    return stored.Crc32C == crc32C && stored.Size == total
                        ? stored
                        : throw new ObjectStoreException(ObjectStoreError.ChecksumMismatch,
                            $"{what}: gs://{stored.Bucket}/{stored.Name} was stored with {stored.Size} bytes and CRC32C {stored.Crc32C}, not {total} and {crc32C}");
                }
                unasked = false;
                if (answer.Persisted <= at)
                {
                    // Nothing of the request was kept: a fresh attempt asks where the session stands again.
                    throw new ObjectStoreException(ObjectStoreError.Transient, $"{what}: the session kept {answer.Persisted} bytes after a request from {at}");
                }
                at = answer.Persisted;
            }
        }, cancellationToken);
    }

    public async Task<StoredObject> FinishAsHeldAsync(Uri session, CancellationToken cancellationToken)
    {
        SessionUri(session);
        string what = $"finish {session} at the bytes held";
        return await _quickRetries.ExecuteAsync(async ct =>
        {
            AppendSessionStatus status = await QueryAsync(session, ct);
            if (status.Completed is { } done)
            {
                return done;
            }
            if (status.Persisted == 0)
            {
                throw new ObjectStoreException(ObjectStoreError.NotFound, $"{what}: Cloud Storage holds no byte of it; an empty object is not created");
            }
            // An append that lands between the status and this request makes the size wrong (400): a fresh attempt asks again.
            using SessionAnswer answer = await PutAsync(session, $"bytes */{status.Persisted}", null, null, what, ct, badRequestIsTransient: true);
            return answer.Completed
                ?? throw new ObjectStoreException(ObjectStoreError.Transient, $"{what}: Cloud Storage answered 308 to a request that gave the size");
        }, cancellationToken);
    }

    /// <summary>
    /// The session URI, when it is one of this store's endpoint (same scheme, host and port, the upload path, an
    /// <c>upload_id</c>); anything else is refused before a request carries our credentials to it.
    /// </summary>
    private Uri SessionUri(Uri session)
    {
        string uploads = _root.AbsolutePath + "upload/storage/v1/b/";
        if (session is { IsAbsoluteUri: true } && session.Scheme == _root.Scheme && session.Authority == _root.Authority
            && string.IsNullOrEmpty(session.UserInfo) && string.IsNullOrEmpty(session.Fragment)
            && session.AbsolutePath.StartsWith(uploads, StringComparison.Ordinal) && !session.AbsolutePath.Contains("/../", StringComparison.Ordinal)
            && session.Query.Contains("upload_id=", StringComparison.Ordinal))
        {
            return session;
        }
        throw new ObjectStoreException(ObjectStoreError.Permanent,
            $"'{session}' is not an upload session of {_root} (expected {_root}upload/storage/v1/b/...&upload_id=...)");
    }

    private async Task TakeLiveBandwidthAsync(int bytes, CancellationToken cancellationToken)
    {
        if (_bandwidth is null)
        {
            return;
        }
        for (int remaining = bytes; remaining > 0;)
        {
            int bite = Math.Min(remaining, _bandwidth.Bite);
            await _bandwidth.AcquireAsync(bite, live: true, cancellationToken);
            remaining -= bite;
        }
    }

    /// <summary>One PUT on a session: 308 with the persisted range, or 200/201 with the object; the rest as errors.</summary>
    private async Task<SessionAnswer> PutAsync(Uri session, string contentRange, HttpContent? body, string? crc32C, string what, CancellationToken cancellationToken,
        bool badRequestIsTransient = false)
    {
        using var message = new HttpRequestMessage(HttpMethod.Put, session) { Content = body ?? new ByteArrayContent([]) };
        message.Content.Headers.TryAddWithoutValidation("Content-Range", contentRange);
        if (crc32C is not null)
        {
            message.Headers.TryAddWithoutValidation("X-Goog-Hash", $"crc32c={crc32C}");
        }
        HttpResponseMessage response = await SendAsync(message, what, HttpCompletionOption.ResponseContentRead, cancellationToken);
        try
        {
            switch ((int)response.StatusCode)
            {
                case 308:
                    return new SessionAnswer(response, PersistedOf(response, what), null);
                case 200 or 201:
                    await using (Stream json = await response.Content.ReadAsStreamAsync(cancellationToken))
                    {
                        GcsObjectResource stored = await JsonSerializer.DeserializeAsync<GcsObjectResource>(json, cancellationToken: cancellationToken)
                            ?? throw new ObjectStoreException(ObjectStoreError.Transient, $"{what}: an empty object resource");
                        StoredObject completed = stored.ToStoredObject();
                        return new SessionAnswer(response, completed.Size, completed);
                    }
                case 404 or 410 or 499:
                    throw new ObjectStoreException(ObjectStoreError.NotFound,
                        $"{what}: Cloud Storage no longer knows the session ({(int)response.StatusCode}: expired, cancelled, or never started)");
                case 400 when badRequestIsTransient:
                    throw new ObjectStoreException(ObjectStoreError.Transient, $"{what}: 400 {await response.Content.ReadAsStringAsync(cancellationToken)}");
                default:
                    await EnsureSuccessAsync(response, what, cancellationToken);
                    throw new ObjectStoreException(ObjectStoreError.Transient, $"{what}: unexpected answer {(int)response.StatusCode}");
            }
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    /// <summary>The bytes persisted, from a 308's <c>Range: bytes=0-N</c> (none: nothing persisted).</summary>
    private static long PersistedOf(HttpResponseMessage response, string what)
    {
        if (!response.Headers.TryGetValues("Range", out IEnumerable<string>? values) || values.FirstOrDefault() is not { } range)
        {
            return 0;
        }
        const string Prefix = "bytes=0-";
        return range.StartsWith(Prefix, StringComparison.Ordinal)
            && long.TryParse(range.AsSpan(Prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out long last)
                ? last + 1
                : throw new ObjectStoreException(ObjectStoreError.Transient, $"{what}: an unreadable Range header '{range}'");
    }

    private sealed record SessionAnswer(HttpResponseMessage Response, long Persisted, StoredObject? Completed) : IDisposable
    {
        public void Dispose() => Response.Dispose();
    }

    /// <summary>The object resource of an append session: no checksum, which is only known when it finishes.</summary>
    private sealed class GcsSessionMetadata
    {
        [JsonPropertyName("name")] public required string Name { get; init; }
        [JsonPropertyName("contentType")] public required string ContentType { get; init; }
        [JsonPropertyName("metadata")] public required IReadOnlyDictionary<string, string> Metadata { get; init; }
    }
}
