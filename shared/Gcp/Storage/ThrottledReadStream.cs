namespace Cctv.Shared.Gcp.Storage;

/// <summary>
/// A seekable read stream that takes one token per byte from a shared token bucket before it hands bytes out:
/// every upload of a store draws on the same bucket, so the cap holds for all of them together. An ordinary upload's
/// bytes: a live append waiting for the bucket goes first (<see cref="UplinkBudget"/>).
/// </summary>
internal sealed class ThrottledReadStream(Stream inner, UplinkBudget budget) : Stream
{
    public override bool CanRead => true;
    public override bool CanSeek => inner.CanSeek;
    public override bool CanWrite => false;
    public override long Length => inner.Length;

    public override long Position
    {
        get => inner.Position;
        set => inner.Position = value;
    }

    public override int Read(byte[] buffer, int offset, int count) =>
        ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int read = await inner.ReadAsync(buffer, cancellationToken);
        int remaining = read;
        while (remaining > 0)
        {
            // One acquisition may not ask for more than the bucket holds; take the bytes in bucket-sized bites.
            int permits = Math.Min(remaining, budget.Bite);
            await budget.AcquireAsync(permits, live: false, cancellationToken);
            remaining -= permits;
        }
        return read;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
