namespace Cctv.EdgeRecorder.Commands;

/// <summary>A program a command needs is not installed; the message is one line that says what to run (exit 2).</summary>
public sealed class MissingToolException(string message) : Exception(message);
