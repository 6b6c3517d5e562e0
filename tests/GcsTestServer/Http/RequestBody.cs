using System.Buffers;
using System.IO.Compression;
using Microsoft.AspNetCore.Http;

namespace Cctv.Testing.Gcs.Http;

/// <summary>The bytes of a request body and whether they are all of it.</summary>
/// <param name="Data">What was read.</param>
/// <param name="Complete">False when reading stopped early on purpose or the client broke off.</param>
internal readonly record struct BodyRead(ReadOnlyMemory<byte> Data, bool Complete);

/// <summary>Reads request bodies straight into the array that will be kept (no intermediate copies when the length is known).</summary>
internal static class RequestBody
{
    private const int DrainBufferSize = 64 * 1024;

    /// <summary>Reads the body, or its first <paramref name="stopAfter"/> bytes. A client that breaks off yields what arrived.</summary>
    public static async Task<BodyRead> ReadAsync(HttpRequest request, long? stopAfter, CancellationToken ct)
    {
        long? declared = request.ContentLength;
        long limit = Math.Min(stopAfter ?? long.MaxValue, declared ?? long.MaxValue);
        if (declared is long known && known > Array.MaxLength)
        {
            throw GcsException.Invalid($"A request body of {known} bytes is larger than this test server holds in one request ({Array.MaxLength}).");
        }

        byte[] buffer = declared is not null
            ? GC.AllocateUninitializedArray<byte>((int)limit)
            : new byte[(int)Math.Min(limit, 256 * 1024)];
        int read = 0;
        try
        {
            while (read < limit)
            {
                if (read == buffer.Length)
                {
                    Array.Resize(ref buffer, (int)Math.Min(limit, Math.Min((long)buffer.Length * 2, Array.MaxLength)));
                }
                int n = await request.Body.ReadAsync(buffer.AsMemory(read), ct);
                if (n == 0)
                {
                    break;
                }
                read += n;
            }
        }
        catch (Exception e) when (IsDisconnect(e))
        {
            return new BodyRead(buffer.AsMemory(0, read), Complete: false);
        }

        bool complete = declared is long length ? read == length : read < limit || stopAfter is null;
        return complete
            ? new BodyRead(Decode(request.Headers.ContentEncoding, buffer.AsMemory(0, read)), Complete: true)
            : new BodyRead(buffer.AsMemory(0, read), Complete: false);
    }

    /// <summary>
    /// Undoes <c>Content-Encoding: gzip</c>, which Google's .NET client puts on the JSON bodies it sends (object
    /// metadata of uploads, copies, patches) and GCS accepts; any other coding is refused with a 400 naming it.
    /// </summary>
    private static ReadOnlyMemory<byte> Decode(string? contentEncoding, ReadOnlyMemory<byte> body)
    {
        if (string.IsNullOrWhiteSpace(contentEncoding))
        {
            return body;
        }
        ReadOnlyMemory<byte> decoded = body;
        // Codings are listed in the order they were applied; undo them last first.
        foreach (string coding in contentEncoding.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Reverse())
        {
            if (coding.Equals("identity", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }
            if (!coding.Equals("gzip", StringComparison.OrdinalIgnoreCase) && !coding.Equals("x-gzip", StringComparison.OrdinalIgnoreCase))
            {
                throw GcsException.Invalid($"Unsupported Content-Encoding '{coding}': this server takes gzip or identity request bodies.");
            }
            try
            {
                using var gzip = new GZipStream(new MemoryStream(decoded.ToArray(), writable: false), CompressionMode.Decompress);
                using var plain = new MemoryStream();
                gzip.CopyTo(plain);
                decoded = plain.GetBuffer().AsMemory(0, (int)plain.Length);
            }
            catch (InvalidDataException e)
            {
                throw GcsException.Invalid($"The request body says Content-Encoding: gzip but is not valid gzip: {e.Message}");
            }
        }
        return decoded;
    }

    /// <summary>Reads and discards what is left of the body, so the client gets the answer instead of a reset.</summary>
    public static async Task DrainAsync(HttpRequest request, CancellationToken ct)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(DrainBufferSize);
        try
        {
            while (await request.Body.ReadAsync(buffer, ct) > 0)
            {
            }
        }
        catch (Exception e) when (IsDisconnect(e) || e is InvalidOperationException)
        {
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public static bool IsDisconnect(Exception e) =>
        e is IOException or OperationCanceledException or BadHttpRequestException or ObjectDisposedException;
}
