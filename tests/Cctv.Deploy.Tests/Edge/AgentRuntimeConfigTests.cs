using System.Text.Json;
using Cctv.Deploy.Tests.Support;

namespace Cctv.Deploy.Tests.Edge;

/// <summary>
/// edge-recorder/runtimeconfig.template.json: the runtime settings the agent ships with (every build and publish of it
/// writes them into Cctv.EdgeRecorder.runtimeconfig.json). Each was measured with the edge-cpu benchmark (README, Edge CPU).
/// </summary>
public sealed class AgentRuntimeConfigTests
{
    private static JsonElement Properties()
    {
        using var document = JsonDocument.Parse(Repo.Read("edge-recorder/runtimeconfig.template.json"));
        return document.RootElement.GetProperty("configProperties").Clone();
    }

    [Theory]
    // Each method compiled once, optimised: no tier-0 copy, no call counting, no second compile. Peak RSS of the agent
    // alone at 16 cameras 98-100 MiB against 104-107 with tiers, and its own time over a 4-minute run 8.6-9.4 s against 10.4-10.5 s.
    [InlineData("System.Runtime.TieredCompilation")]
    // Dynamic PGO's instrumented tier costs CPU the agent never earns back (0.107 cores with it, 0.090 without).
    [InlineData("System.Runtime.TieredPGO")]
    // Workstation GC without its background thread: peak RSS 96-97 MB against 99-108 when it was measured.
    [InlineData("System.GC.Concurrent")]
    public void TheAgentRunsWithout(string setting)
    {
        Assert.True(Properties().TryGetProperty(setting, out JsonElement value), $"{setting} is not set");
        Assert.Equal(JsonValueKind.False, value.ValueKind);
    }

    [Fact]
    public void TheGC_CompactsRatherThanGrow()
    {
        // At 16 cameras with verification held back the live managed heap stayed near 12 MB while the GC's committed
        // regions grew: peak RSS 104 to 108 MB over ten minutes. With ConserveMemory 5: 103 MB, flat over six.
        Assert.Equal(5, Properties().GetProperty("System.GC.ConserveMemory").GetInt32());
    }

    [Fact]
    public void ThreadPoolWorkers_SleepWithoutSpinning()
    {
        // Spinning before sleeping cost more than the wake-ups it saves on a box doing little between segments.
        Assert.Equal(0, Properties().GetProperty("System.Threading.ThreadPool.UnfairSemaphoreSpinLimit").GetInt32());
    }
}
