using System.Runtime.InteropServices;

namespace Cctv.Shared.Local;

/// <summary>
/// fsync of a directory, so that a rename or a new file in it survives a power cut. .NET has no API for it;
/// on Linux it is open(O_RDONLY|O_DIRECTORY) + fsync. Elsewhere it does nothing.
/// </summary>
public static partial class Durability
{
    /// <summary>Test observer: every path fsynced (a file, or a directory on Linux), in order.</summary>
    internal static event Action<string>? Synced;

    /// <summary>
    /// Creates <paramref name="directory"/> and any missing parents. Returns the directories it created, deepest first:
    /// what <see cref="FsyncNewEntry"/> must walk up through so that they survive a power cut.
    /// </summary>
    public static IReadOnlyList<string> CreateDirectory(string directory)
    {
        var created = new List<string>();
        for (string? d = Path.GetFullPath(directory); d is not null && !Directory.Exists(d); d = Path.GetDirectoryName(d))
        {
            created.Add(d);
        }
        Directory.CreateDirectory(directory);
        return created;
    }

    /// <summary>
    /// After a file was renamed into (or created in) <paramref name="directory"/>: fsyncs that directory, then the parent of
    /// each directory in <paramref name="createdDirectories"/> (deepest first), so the new entries at every level are durable.
    /// </summary>
    public static void FsyncNewEntry(string directory, IReadOnlyList<string> createdDirectories)
    {
        FsyncDirectory(directory);
        foreach (string created in createdDirectories)
        {
            if (Path.GetDirectoryName(created) is { } parent)
            {
                FsyncDirectory(parent);
            }
        }
    }

    public static void FsyncDirectory(string directory)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }
        const int O_RDONLY = 0, O_DIRECTORY = 0x10000, O_CLOEXEC = 0x80000;
        int fd = Open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
        {
            throw new IOException($"cannot open directory '{directory}' to fsync it (errno {Marshal.GetLastPInvokeError()})");
        }
        try
        {
            if (Fsync(fd) != 0)
            {
                throw new IOException($"fsync of directory '{directory}' failed (errno {Marshal.GetLastPInvokeError()})");
            }
            Synced?.Invoke(Path.GetFullPath(directory));
        }
        finally
        {
            _ = Close(fd);
        }
    }

    /// <summary>fsync of an open file's data and metadata (after its last write).</summary>
    public static void FsyncFile(FileStream stream)
    {
        stream.Flush(flushToDisk: true);
        Synced?.Invoke(Path.GetFullPath(stream.Name));
    }

    /// <summary>fsync of a file's data and metadata.</summary>
    public static void FsyncFile(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        stream.Flush(flushToDisk: true);
        Synced?.Invoke(Path.GetFullPath(path));
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
