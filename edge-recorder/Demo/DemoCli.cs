using System.CommandLine;
using System.CommandLine.Invocation;
using Cctv.EdgeRecorder.Commands;
using Cctv.EdgeRecorder.Configuration;
using Cctv.Shared.CommandLine;

namespace Cctv.Demo;

/// <summary>
/// The demo's command line: its options are the root command's (<c>dotnet run --project edge-recorder/Demo -- --duration 30s</c>).
/// Logging, stop signals and exit codes are the agent's (<see cref="EdgeCli.GuardedWithSignals"/>): 0 everything verified,
/// 1 the demo failed, 2 bad arguments or a missing tool, 130 stopped by a signal before it was done.
/// </summary>
public static class DemoCli
{
    public static async Task<int> RunAsync(string[] args)
    {
        var cameras = new Option<int>("--cameras", () => 2, "How many synthetic cameras (1-16).");
        var segment = new Option<int>("--segment-seconds", () => 4, "Segment length in seconds.");
        var duration = new Option<string>("--duration", () => "30s", "How long to record: 30s, 5m, 1h.");
        var dataDir = new Option<string>("--data-dir", () => Path.Combine(Environment.CurrentDirectory, ".demo"), "Where the demo keeps everything.");
        var serve = new Option<bool>("--serve", "Keep serving the API and the recordings after the summary, until Ctrl+C.");
        var port = new Option<int>("--port", () => 0, "The functions host's port on 127.0.0.1 (0: any free port).");
        var drain = new Option<string>("--drain-timeout", () => "120s", "How long to wait for uploads and verification after recording stops.");
        var root = new RootCommand("CctvServerless demo: records synthetic RTSP cameras with the edge agent, end to end through the local functions host, then shows the result.")
        {
            cameras, segment, duration, dataDir, serve, port, drain,
        };
        root.SetHandler(async context =>
        {
            context.ExitCode = await EdgeCli.GuardedWithSignals(async (logs, signals) =>
            {
                ParseResultView r = new(context);
                int count = r.Get(cameras);
                var problems = new List<string>();
                if (count is < 1 or > 16)
                {
                    problems.Add($"--cameras is {count}: use 1 to 16.");
                }
                if (!DurationText.TryParse(r.Get(duration), out TimeSpan length))
                {
                    problems.Add($"--duration '{r.Get(duration)}' is not a duration: use e.g. 30s, 5m or 1h.");
                }
                if (!DurationText.TryParse(r.Get(drain), out TimeSpan drainTimeout))
                {
                    problems.Add($"--drain-timeout '{r.Get(drain)}' is not a duration: use e.g. 120s.");
                }
                if (r.Get(segment) is < 1 or > 3600)
                {
                    problems.Add($"--segment-seconds (Recorder:SegmentSeconds) is {r.Get(segment)}: a segment lasts from 1 to 3600 seconds.");
                }
                if (r.Get(port) is < 0 or > 65535)
                {
                    problems.Add($"--port is {r.Get(port)}: use 0 (any free port) to 65535.");
                }
                if (problems.Count > 0)
                {
                    throw new ConfigurationException(problems);
                }
                return await DemoCommand.RunAsync(new DemoSettings(count, r.Get(segment), length, Path.GetFullPath(r.Get(dataDir)), r.Get(serve), r.Get(port), drainTimeout), logs, signals);
            }, context);
        });
        return await CommandLines.InvokeAsync(root, args);
    }

    /// <summary>Shorter option reads.</summary>
    private readonly struct ParseResultView(InvocationContext context)
    {
        public T Get<T>(Option<T> option) => context.ParseResult.GetValueForOption(option)!;
    }
}
