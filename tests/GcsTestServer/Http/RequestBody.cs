using System.Buffers;
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
        return new BodyRead(buffer.AsMemory(0, read), complete);
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
