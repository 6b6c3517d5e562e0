using Cctv.EdgeRecorder.Commands;

namespace Cctv.EdgeRecorder.Tests.Commands;

/// <summary>
/// Arguments the agent's command line cannot parse exit 2 (bad arguments or configuration), as README's exit codes
/// say; 1 is kept for work that failed, which a supervisor or a script must be able to tell apart.
/// </summary>
public sealed class EdgeCliTests
{
    [Theory]
    [InlineData("run")] // --config is required
    [InlineData("run", "--config")] // an option without its value
    [InlineData("no-such-command")]
    [InlineData("status", "--no-such-option")]
    [InlineData("record", "--camera", "cam1")]
    public async Task ArgumentsThatDoNotParse_ExitTwo_WithoutStartingAnything(params string[] args)
    {
        Assert.Equal(2, await EdgeCli.RunAsync(args));
    }

    [Fact]
    public async Task Help_ExitsZero()
    {
        Assert.Equal(0, await EdgeCli.RunAsync(["--help"]));
    }
}
