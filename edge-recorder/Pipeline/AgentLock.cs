using System.Globalization;
using System.Text;

namespace Cctv.EdgeRecorder.Pipeline;

/// <summary>
/// One recording agent per data directory: a second one would start FFmpeg into the same spool and kill the first
/// one's children as leftovers. An advisory lock (flock, released by the kernel when the holder dies, so a SIGKILL
/// never leaves it stuck) held for the agent's life, with the holder's pid inside for the message.
/// </summary>
public sealed class AgentLock : IDisposable
{
    private readonly FileStream _stream;

    private AgentLock(FileStream stream) => _stream = stream;

    /// <summary>The lock, or null when another live process holds it (<paramref name="holder"/> then says which, when known).</summary>
    public static AgentLock? TryAcquire(EdgePaths paths, out string? holder)
    {
        string path = Path.Combine(paths.DataDir, "edge", "agent.lock");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        try
        {
            var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            stream.SetLength(0);
            stream.Write(Encoding.ASCII.GetBytes(Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n"));
            stream.Flush();
            holder = null;
            return new AgentLock(stream);
        }
        catch (IOException)
        {
            try
            {
                holder = File.ReadAllText(path).Trim();
            }
            catch (IOException)
            {
                holder = null;
            }
            return null;
        }
    }

    /// <summary>The lock, or a configuration error naming the process that holds it.</summary>
    public static AgentLock Acquire(EdgePaths paths) =>
        TryAcquire(paths, out string? holder)
        ?? throw new Configuration.ConfigurationException([$"Another agent or demo (pid {holder ?? "unknown"}) is already recording into {paths.DataDir}: stop it first, or give this one its own data directory (Recorder:DataDir, --data-dir)."]);

    public void Dispose() => _stream.Dispose();
}
