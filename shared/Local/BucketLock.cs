namespace Cctv.Shared.Local;

/// <summary>
/// An exclusive lock on a bucket directory that holds across processes: on Linux, .NET takes an advisory
/// flock for FileShare.None, and the kernel releases it when the holder dies, so a crash never leaves it held.
/// </summary>
internal sealed class BucketLock : IDisposable
{
    private readonly FileStream _stream;

    private BucketLock(FileStream stream) => _stream = stream;

    public static async Task<BucketLock> AcquireAsync(string directory, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        string path = Path.Combine(directory, ".lock");
        TimeSpan wait = TimeSpan.FromMilliseconds(1);
        while (true)
        {
            try
            {
                return new BucketLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException)
            {
                await Task.Delay(wait, cancellationToken);
                wait = TimeSpan.FromMilliseconds(Math.Min(wait.TotalMilliseconds * 2, 50));
            }
        }
    }

    public void Dispose() => _stream.Dispose();
}
