using Cctv.EdgeRecorder.Configuration;
using Cctv.EdgeRecorder.Pipeline;
using Cctv.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cctv.EdgeRecorder.Tests.Configuration;

public sealed class ConfigurationWatcherTests : IDisposable
{
    private readonly TempDir _dir = new("watch");

    public void Dispose() => _dir.Dispose();

    private string Json(string mode, string start = "22:00") => $$"""
        {
          "Recorder": {
            "Id": "site-a",
            "DataDir": "{{_dir.Combine("data")}}",
            "TimeZone": "Europe/Paris",
            "Cameras": [
              {
                "Id": "cam1", "Name": "Gate", "Url": "rtsp://127.0.0.1/cam1",
                "Schedule": { "Mode": "{{mode}}", "Windows": [ { "Days": "Mon-Fri", "Start": "{{start}}", "End": "06:00" } ] }
              }
            ]
          }
        }
        """;

    [Fact]
    public void AChangedValidFile_IsHandedOver_AndABrokenOne_IsRefusedWithItsLine_KeepingTheOldOne()
    {
        string path = _dir.Combine("agent.json");
        File.WriteAllText(path, Json("continuous"));
        var watcher = new ConfigurationWatcher(path, new Metronome(TimeProvider.System, TimeSpan.FromMilliseconds(250)), NullLogger<ConfigurationWatcher>.Instance);
        Assert.Null(watcher.CheckNow());

        File.WriteAllText(path, Json("weekly"));
        RecorderOptions? next = watcher.CheckNow();
        Assert.Equal("weekly", next?.Cameras.Single().Schedule.Mode);
        Assert.Null(watcher.CheckNow());

        File.WriteAllText(path, Json("weekly", start: "25:00"));
        Assert.Null(watcher.CheckNow());
        string problem = Assert.Single(watcher.LastProblems);
        Assert.StartsWith("line 9: Recorder:Cameras:0:Schedule:Windows:0:Start '25:00'", problem, StringComparison.Ordinal);

        File.WriteAllText(path, "{ \"Recorder\": { \"Id\": ");
        Assert.Null(watcher.CheckNow());
        Assert.Contains("not valid JSON", Assert.Single(watcher.LastProblems), StringComparison.Ordinal);
    }
}
