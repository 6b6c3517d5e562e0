using System.Net;
using Cctv.Functions.Finalize;
using Cctv.Functions.Hosting;
using Cctv.Functions.Local;
using Cctv.Shared.Domain;

namespace Cctv.Functions.Tests.Hosting;

/// <summary>With FUNCTION_TARGET set, the embedded host serves that one function on "/", and its own dispatcher delivers there.</summary>
public sealed class LocalTargetTests
{
    [Fact]
    public async Task UnderTheFinalizeTarget_TheDispatcherDeliversToRoot_AndTheSegmentIsArchived()
    {
        await using LocalFunctionsHost host = await LocalFunctionsHost.StartAsync(s => s with { Target = FunctionTargets.StagingObjectFinalized });

        RecordingAnnouncement a = await host.RecordAsync("cam1", 0, "served on root"u8.ToArray());

        await host.WaitForStateAsync(a.Id, CloudState.Archived);
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(host.DataDir, "cloud", "events"), "*" + LocalEventDispatcher.RefusedSuffix));
        Assert.Empty(LocalDeadLetters.For(host.Backend).List());
        // The all-in-one path is not served under this target: the dispatcher must not post there.
        using HttpResponseMessage allInOnePath = await host.Client.PostAsync(FunctionsHost.FinalizePath, null);
        Assert.Equal(HttpStatusCode.NotFound, allInOnePath.StatusCode);
    }
}
