using System.Net;
using System.Text.Json;
using Cctv.Functions.Hosting;
using Microsoft.AspNetCore.Http;

namespace Cctv.Functions.Tests.Hosting;

/// <summary>A function reads at most 1 MiB of a request: a larger event is refused with 413 and the reason, and not read to its end.</summary>
public sealed class RequestBodyTests
{
    private sealed class CountingStream(long length) : Stream
    {
        public long Served { get; private set; }

        public override int Read(byte[] buffer, int offset, int count)
        {
            int n = (int)Math.Min(count, length - Served);
            Array.Fill(buffer, (byte)'x', offset, n);
            Served += n;
            return n;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => length;
        public override long Position { get => Served; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private static HttpRequest Request(Stream body) => new DefaultHttpContext { Request = { Body = body } }.Request;

    [Fact]
    public async Task ABodyOfExactlyTheLimit_IsReadWhole()
    {
        byte[]? body = await RequestBody.ReadAtMostAsync(Request(new CountingStream(RequestBody.MaxBytes)), CancellationToken.None);

        Assert.Equal(RequestBody.MaxBytes, Assert.IsType<byte[]>(body).Length);
    }

    [Fact]
    public async Task ABodyOneByteOverTheLimit_IsRefused_AndAHugeOneIsNotReadToItsEnd()
    {
        var huge = new CountingStream(1L << 34);

        Assert.Null(await RequestBody.ReadAtMostAsync(Request(new CountingStream(RequestBody.MaxBytes + 1)), CancellationToken.None));
        Assert.Null(await RequestBody.ReadAtMostAsync(Request(huge), CancellationToken.None));
        Assert.True(huge.Served <= RequestBody.MaxBytes + 64 * 1024, $"read {huge.Served} bytes of a 16 GiB body");
    }

    [Fact]
    public async Task AFinalizeEventLargerThanTheLimit_Is413_WithTheReason()
    {
        await using LocalFunctionsHost host = await LocalFunctionsHost.StartAsync();
        using var content = new ByteArrayContent(new byte[RequestBody.MaxBytes + 1]);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");

        using HttpResponseMessage response = await host.Client.PostAsync(FunctionsHost.FinalizePath, content);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        using JsonDocument problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Contains("too large", problem.RootElement.GetRawText(), StringComparison.Ordinal);
    }
}
