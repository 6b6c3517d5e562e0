using System.CommandLine;
using System.CommandLine.Invocation;
using Cctv.EdgeRecorder.Cameras;
using Cctv.EdgeRecorder.Configuration;
using Cctv.Shared.CommandLine;
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
            StatusCommand.Create(),
            SyncCommand.Create(),
            ValidateCommand.Create(),
            EnsureUploadsCommand.Create(),
            MigrateCommand.Create(),
            RecordCommand.Create(),
        };
        return await CommandLines.InvokeAsync(root, args);
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

    /// <summary>Runs a command body with logging, a stop signal as cancellation, and errors turned into exit codes and clear messages.</summary>
    internal static Task<int> Guarded(Func<ILoggerFactory, CancellationToken, Task<int>> body, InvocationContext context) =>
        GuardedWithSignals((logs, signals) => body(logs, signals.Stopping), context);

    /// <summary>
    /// Runs a command body with logging, SIGTERM, SIGINT and SIGQUIT handled alike (see <see cref="StopSignals"/>), and
    /// errors turned into exit codes and clear messages. System.CommandLine's own Ctrl+C handling is not used: it
    /// leaves SIGTERM to the runtime, which ends the process at once.
    /// </summary>
    public static async Task<int> GuardedWithSignals(Func<ILoggerFactory, StopSignals, Task<int>> body, InvocationContext context)
    {
        bool json = string.Equals(Environment.GetEnvironmentVariable(LogFormatVariable), "json", StringComparison.OrdinalIgnoreCase);
        using ILoggerFactory logs = LoggerFactory.Create(b =>
        {
            if (json)
            {
                // One JSON object per line with severity, as Cloud Logging and journald-to-collector pipelines read them.
                b.Services.AddSingleton(TimeProvider.System);
                b.AddConsole(o => { o.FormatterName = Cctv.Shared.Logging.GcpJsonConsoleFormatter.FormatterName; o.LogToStandardErrorThreshold = LogLevel.Trace; })
                    .AddConsoleFormatter<Cctv.Shared.Logging.GcpJsonConsoleFormatter, Microsoft.Extensions.Logging.Console.ConsoleFormatterOptions>();
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
}
