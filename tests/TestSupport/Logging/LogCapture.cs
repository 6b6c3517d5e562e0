using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Cctv.TestSupport.Logging;

/// <summary>A logger provider that keeps every entry, so tests can check that a refusal was logged and how.</summary>
public sealed class LogCapture : ILoggerProvider
{
    public sealed record Entry(LogLevel Level, string Category, string Message, Exception? Exception);

    public ConcurrentQueue<Entry> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    /// <summary>Entries at <paramref name="level"/> or above whose message contains every one of <paramref name="parts"/>.</summary>
    public IReadOnlyList<Entry> Find(LogLevel level, params string[] parts) =>
        [.. Entries.Where(e => e.Level >= level && parts.All(p => e.Message.Contains(p, StringComparison.OrdinalIgnoreCase)))];

    /// <summary>Waits (up to 10 s) for such an entry; the assertion message lists what was logged instead.</summary>
    public async Task<Entry> WaitForAsync(LogLevel level, params string[] parts)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            IReadOnlyList<Entry> found = Find(level, parts);
            if (found.Count > 0)
            {
                return found[0];
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"No {level}+ log entry contains [{string.Join(", ", parts)}]. Logged:\n{Dump()}");
            }
            await Task.Delay(20);
        }
    }

    public string Dump() => string.Join('\n', Entries.Select(e => $"{e.Level} {e.Category}: {e.Message}"));

    public void Dispose()
    {
    }

    private sealed class Logger(LogCapture owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Entries.Enqueue(new Entry(logLevel, category, formatter(state, exception), exception));
    }
}
