using System.Net;
using Cctv.Testing.Gcs;

namespace Cctv.Gcs.Tests.TestServer;

/// <summary>
/// A minimal client that follows the resumable protocol to the letter under faults: query the session, resume from
/// the persisted Range, start over on 404/410, and treat 412 on <c>ifGenerationMatch=0</c> as success when the
/// stored object's CRC32C is ours. Used to exercise the server, not as the product's uploader.
/// </summary>
internal static class RetryingUploader
{
    public static async Task UploadAsync(GcsHttp gcs, string bucket, string name, byte[] data, int chunkSize, int maxAttempts = 400)
    {
        string crc = GcsHttp.Crc32CBase64(data);
        Uri? session = null;
        for (int attempt = 0; attempt < maxAttempts; attempt++)
        {
            try
            {
                if (session is null)
                {
                    using HttpResponseMessage init = await gcs.InitiateRawAsync(bucket, name, new { crc32c = crc }, "&ifGenerationMatch=0");
                    if (init.StatusCode == HttpStatusCode.PreconditionFailed)
                    {
                        Assert.Equal(crc, gcs.Server.Find(bucket, name)?.Crc32C);
                        return;
                    }
                    if (init.StatusCode != HttpStatusCode.OK)
                    {
                        continue;
                    }
                    session = init.Headers.Location!;
                }

                using HttpResponseMessage status = await gcs.QueryAsync(session, data.Length);
                if (status.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
                if (status.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Gone)
                {
                    session = null;
                    continue;
                }
                if ((int)status.StatusCode != 308)
                {
                    continue;
                }
                long offset = GcsHttp.Persisted(status);
                while (true)
                {
                    int length = (int)Math.Min(chunkSize, data.Length - offset);
                    bool last = offset + length == data.Length;
                    using HttpResponseMessage put = await gcs.PutChunkAsync(session, data, offset, length, last ? data.Length : null);
                    if (put.StatusCode == HttpStatusCode.OK)
                    {
                        return;
                    }
                    if ((int)put.StatusCode != 308)
                    {
                        break;
                    }
                    offset = GcsHttp.Persisted(put);
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }
        }
        throw new InvalidOperationException($"{name} was not uploaded after {maxAttempts} attempts.");
    }
}
