using System.CommandLine;
using System.Text.Json;
using Cctv.EdgeRecorder.Outbox;
using Cctv.EdgeRecorder.Pipeline;
using Cctv.Shared.Domain;
using Cctv.Shared.Local;
using Spectre.Console;

namespace Cctv.EdgeRecorder.Commands;

/// <summary><c>status</c>: counts per edge and cloud state, and the age of the oldest segment not yet verified.</summary>
public static class StatusCommand
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static Command Create()
    {
        var dataDir = new Option<DirectoryInfo>("--data-dir", "The agent's data directory.") { IsRequired = true };
        var json = new Option<bool>("--json", "One JSON object instead of a table.");
        var command = new Command("status", "Show the outbox and the catalog: what is recorded, uploaded, verified, pending or lost.") { dataDir, json };
        command.SetHandler((DirectoryInfo dir, bool asJson) =>
        {
            if (!File.Exists(new EdgePaths(dir.FullName).Outbox))
            {
                Console.Error.WriteLine($"--data-dir: '{dir.FullName}' holds no agent data (no edge/outbox.db). Fix: pass the directory the agent records into.");
                return Task.FromResult(2);
            }
            var report = Read(dir.FullName, TimeProvider.System);
            if (asJson)
            {
                Console.WriteLine(JsonSerializer.Serialize(report, Json));
            }
            else
            {
                var table = new Table().AddColumns("where", "state", "count");
                foreach ((string state, long count) in report.Outbox)
                {
                    table.AddRow("edge", state, count.ToString());
                }
                foreach ((string state, long count) in report.Catalog)
                {
                    table.AddRow("cloud", state, count.ToString());
                }
                AnsiConsole.Write(table);
                AnsiConsole.WriteLine(report.OldestUnverifiedAgeSeconds is { } age ? $"Oldest segment not yet verified: {age:F0} s" : "Every segment is verified.");
            }
            return Task.FromResult(0);
        }, dataDir, json);
        return command;
    }

    public sealed record StatusReport(IReadOnlyDictionary<string, long> Outbox, IReadOnlyDictionary<string, long> Catalog, double? OldestUnverifiedAgeSeconds);

    public static StatusReport Read(string dataDir, TimeProvider time)
    {
        var outbox = new OutboxStore(new EdgePaths(dataDir).Outbox, time);
        var backend = new LocalBackend(dataDir, time);
        IReadOnlyDictionary<CloudState, long> cloud = backend.Catalog.CountByStateAsync(CancellationToken.None).GetAwaiter().GetResult();
        DateTimeOffset? oldest = outbox.OldestPendingSealedAt();
        return new StatusReport(
            outbox.CountByState().ToDictionary(kv => kv.Key.ToWire(), kv => kv.Value),
            cloud.ToDictionary(kv => kv.Key.ToWire(), kv => kv.Value),
            oldest is { } t ? Math.Round((time.GetUtcNow() - t).TotalSeconds, 1) : null);
    }
}
