using Cctv.Testing.Gcs.Http;
using Cctv.Testing.Gcs.Storage;

namespace Cctv.Testing.Gcs.Uploads;

internal enum SessionState
{
    Active,
    Completed,
    Failed,
    Cancelled,
}

/// <summary>
/// One resumable upload: what the initiation declared, and the bytes persisted so far as the chunks that arrived
/// (kept as they are, joined once at completion). All access under <see cref="Gate"/>.
/// </summary>
internal sealed class UploadSession(
    string id,
    string bucket,
    string name,
    ObjectDraft draft,
    string contentType,
    Preconditions preconditions,
    long? declaredSize,
    DateTimeOffset created)
{
    public const int Quantum = 256 * 1024;

    private readonly List<ReadOnlyMemory<byte>> _segments = [];
    private readonly List<long> _segmentStarts = [];

    public string Id { get; } = id;

    public string Bucket { get; } = bucket;

    public string Name { get; } = name;

    public ObjectDraft Draft { get; } = draft;

    public string ContentType { get; } = contentType;

    public Preconditions Preconditions { get; } = preconditions;

    public DateTimeOffset Created { get; } = created;

    public Lock Gate { get; } = new();

    /// <summary>The object's size once known (<c>X-Upload-Content-Length</c>, or a Content-Range total).</summary>
    public long? Total { get; set; } = declaredSize;

    public long Persisted { get; private set; }

    public SessionState State { get; private set; }

    /// <summary>Set by the test (<see cref="GcsTestServer.ExpireSession"/>); read without the lock.</summary>
    public bool ForcedExpiry { get => Volatile.Read(ref _forcedExpiry); set => Volatile.Write(ref _forcedExpiry, value); }

    private bool _forcedExpiry;

    public TestObject? Result { get; private set; }

    public GcsException? Failure { get; private set; }

    public void Append(ReadOnlyMemory<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }
        _segmentStarts.Add(Persisted);
        _segments.Add(data);
        Persisted += data.Length;
    }

    /// <summary>Whether <paramref name="data"/> equals the persisted bytes from <paramref name="offset"/> on.</summary>
    public bool Matches(long offset, ReadOnlySpan<byte> data)
    {
        int index = _segmentStarts.BinarySearch(offset);
        if (index < 0)
        {
            index = ~index - 1;
        }
        while (!data.IsEmpty)
        {
            ReadOnlySpan<byte> segment = _segments[index].Span[(int)(offset - _segmentStarts[index])..];
            int n = Math.Min(segment.Length, data.Length);
            if (!segment[..n].SequenceEqual(data[..n]))
            {
                return false;
            }
            data = data[n..];
            offset += n;
            index++;
        }
        return true;
    }

    /// <summary>The whole content (one copy, unless it arrived in one chunk), releasing the chunks.</summary>
    public ReadOnlyMemory<byte> TakeContent()
    {
        ReadOnlyMemory<byte> content;
        if (_segments.Count == 1)
        {
            content = _segments[0];
        }
        else
        {
            byte[] all = GC.AllocateUninitializedArray<byte>(checked((int)Persisted));
            int at = 0;
            foreach (ReadOnlyMemory<byte> segment in _segments)
            {
                segment.CopyTo(all.AsMemory(at));
                at += segment.Length;
            }
            content = all;
        }
        _segments.Clear();
        _segmentStarts.Clear();
        return content;
    }

    public void Complete(TestObject result)
    {
        Result = result;
        State = SessionState.Completed;
    }

    public void Fail(GcsException failure)
    {
        _segments.Clear();
        _segmentStarts.Clear();
        Failure = failure;
        State = SessionState.Failed;
    }

    public void Cancel()
    {
        _segments.Clear();
        _segmentStarts.Clear();
        State = SessionState.Cancelled;
    }
}
