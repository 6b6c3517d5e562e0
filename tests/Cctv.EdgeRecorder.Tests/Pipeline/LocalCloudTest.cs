using Cctv.Shared.Local;
using Cctv.TestSupport;

namespace Cctv.EdgeRecorder.Tests.Pipeline;

/// <summary>A test with an embedded cloud of its own in a temporary directory, removed when the test ends.</summary>
public abstract class LocalCloudTest : IDisposable
{
    private readonly TempDir _cloud = new("cloud");

    protected LocalCloudTest() => Backend = new LocalBackend(_cloud.Path, TimeProvider.System);

    protected LocalBackend Backend { get; }

    public void Dispose()
    {
        _cloud.Dispose();
        GC.SuppressFinalize(this);
    }
}
