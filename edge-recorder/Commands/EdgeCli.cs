using System.CommandLine;
using System.CommandLine.Invocation;
using Cctv.EdgeRecorder.Cameras;
using Cctv.EdgeRecorder.Configuration;
using Cctv.EdgeRecorder.Demo;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Cctv.EdgeRecorder.Commands;

/// <summary>
/// The agent's command line. Exit codes: 0 done (for <c>run</c>, also a stop by SIGTERM, SIGINT or SIGQUIT: that is how it
/// ends), 1 the work failed, 2 the configuration or arguments are wrong, 130 a stop signal came before the work was done.
/// </summary>
public static class EdgeCli
{
    /// <summary><c>json</c>: one JSON object per log line, with <c>severity</c>; anything else: one readable line per entry.</summary>
    public const string LogFormatVariable = "CCTV_LOG_FORMAT";

    public static async Task<int> RunAsync(string[] args)
    {
        var root = new RootCommand("CctvServerless edge recorder: records cameras with FFmpeg and guarantees every segment reaches the cloud, verified.")
        {
            RunCommand(),
            DemoCommandLine(),
            StatusCommand.Create(),
            SyncCommand.Create(),
            ValidateCommand.Create(),
            EnsureUploadsCommand.Create(),
            MigrateCommand.Create(),
            RecordCommand.Create(),
        };
        return await root.InvokeAsync(args);
    }

    private static Command RunCommand()
    {
        var config = new Option<FileInfo>("--config", "The agent's JSON configuration file.") { IsRequired = true };
        var dataDir = new Option<string?>("--data-dir", "Overrides Recorder:DataDir.");
        var command = new Command("run", "Record the configured cameras and upload until stopped (SIGTERM or Ctrl+C); changes to the configuration file apply while running.") { config, dataDir };
        command.SetHandler(async context =>
        {
            context.ExitCode = await GuardedWithSignals(async (logs, signals) =>
            {
                string? dir = context.ParseResult.GetValueForOption(dataDir);
                string file = context.ParseResult.GetValueForOption(config)!.FullName;
                RecorderOptions options = RecorderConfiguration.Load(file, dir is null ? null : new Dictionary<string, string?> { ["Recorder:DataDir"] = dir });
                // Without --data-dir the file says everything, so a change to it can be applied while recording.
                return await AgentRunner.RunAsync(options, logs, signals, dir is null ? file : null);
            }, context);
        });
        return command;
    }

    private static Command DemoCommandLine()
    {
        var cameras = new Option<int>("--cameras", () => 2, "How many synthetic cameras (1-16).");
        var segment = new Option<int>("--segment-seconds", () => 4, "Segment length in seconds.");
        var duration = new Option<string>("--duration", () => "30s", "How long to record: 30s, 5m, 1h.");
        var dataDir = new Option<string>("--data-dir", () => Path.Combine(Environment.CurrentDirectory, ".demo"), "Where the demo keeps everything.");
        var serve = new Option<bool>("--serve", "Keep serving the API and the recordings after the summary, until Ctrl+C.");
        var port = new Option<int>("--port", () => 0, "The functions host's port on 127.0.0.1 (0: any free port).");
        var drain = new Option<string>("--drain-timeout", () => "120s", "How long to wait for uploads and verification after recording stops.");
        var command = new Command("demo", "Record synthetic RTSP cameras end to end on the embedded backend, then show the result.")
        {
            cameras, segment, duration, dataDir, serve, port, drain,
        };
        command.SetHandler(async context =>
        {
            context.ExitCode = await GuardedWithSignals(async (logs, signals) =>
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
        return command;
    }

    /// <summary>Runs a command body with logging, a stop signal as cancellation, and errors turned into exit codes and clear messages.</summary>
    internal static Task<int> Guarded(Func<ILoggerFactory, CancellationToken, Task<int>> body, InvocationContext context) =>
        GuardedWithSignals((logs, signals) => body(logs, signals.Stopping), context);

    /// <summary>
    /// Runs a command body with logging, SIGTERM, SIGINT and SIGQUIT handled alike (see <see cref="StopSignals"/>), and
    /// errors turned into exit codes and clear messages. System.CommandLine's own Ctrl+C handling is not used: it
    /// leaves SIGTERM to the runtime, which ends the process at once.
    /// </summary>
    internal static async Task<int> GuardedWithSignals(Func<ILoggerFactory, StopSignals, Task<int>> body, InvocationContext context)
    {
        bool json = string.Equals(Environment.GetEnvironmentVariable(LogFormatVariable), "json", StringComparison.OrdinalIgnoreCase);
        using ILoggerFactory logs = LoggerFactory.Create(b =>
        {
            if (json)
            {
                // One JSON object per line with severity, as Cloud Logging and journald-to-collector pipelines read them.
                b.Services.AddSingleton(TimeProvider.System);
                b.AddConsole(o => { o.FormatterName = Cctv.Functions.Hosting.GcpJsonConsoleFormatter.FormatterName; o.LogToStandardErrorThreshold = LogLevel.Trace; })
                    .AddConsoleFormatter<Cctv.Functions.Hosting.GcpJsonConsoleFormatter, Microsoft.Extensions.Logging.Console.ConsoleFormatterOptions>();
            }
            else
            {
                b.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss.fff "; })
                    .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
            }
            b.SetMinimumLevel(Environment.GetEnvironmentVariable("CCTV_LOG_LEVEL") is { } level && Enum.TryParse(level, true, out LogLevel l) ? l : LogLevel.Information)
                .AddFilter("Microsoft", LogLevel.Warning)
                .AddFilter("System.Net.Http", LogLevel.Warning);
        });
        using var signals = new StopSignals(logs.CreateLogger("Stop"));
        try
        {
            return await body(logs, signals);
        }
        catch (ConfigurationException e)
        {
            await Console.Error.WriteLineAsync(e.Message);
            return 2;
        }
        catch (Exception e) when (e is Identity.RecorderClaimRefusedException or Identity.RecorderIdentityException)
        {
            await Console.Error.WriteLineAsync(e.Message);
            return 2;
        }
        catch (FfmpegNotFoundException e)
        {
            await Console.Error.WriteLineAsync(e.Message);
            return 2;
        }
        catch (MissingToolException e)
        {
            await Console.Error.WriteLineAsync(e.Message);
            return 2;
        }
        catch (Cctv.Shared.Gcp.Storage.GcsCredentialException e)
        {
            await Console.Error.WriteLineAsync(e.Message);
            return 2;
        }
        catch (OperationCanceledException) when (signals.Stopping.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync($"stopped by {signals.Received} before the work was done");
            return 130;
        }
    }

    /// <summary>Shorter option reads.</summary>
    private readonly struct ParseResultView(InvocationContext context)
    {
        public T Get<T>(Option<T> option) => context.ParseResult.GetValueForOption(option)!;
    }
}
