using Microsoft.AspNetCore.Http;

namespace Cctv.Functions.Hosting;

/// <summary>The body of a function's request (a CloudEvent, a Pub/Sub push), read up to a limit.</summary>
public static class RequestBody
{
    /// <summary>The most a function reads: an event or a push is a few KiB.</summary>
    public const int MaxBytes = 1 << 20;

    /// <summary>The request's body; null when it is larger than <paramref name="maxBytes"/>, which is as far as it is read.</summary>
    public static async Task<byte[]?> ReadAtMostAsync(HttpRequest request, CancellationToken cancellationToken, int maxBytes = MaxBytes)
    {
        using var buffer = new MemoryStream();
        byte[] chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > maxBytes)
            {
                return null;
            }
        }
        return buffer.ToArray();
    }
}
