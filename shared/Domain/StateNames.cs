namespace Cctv.Shared.Domain;

/// <summary>The states' names on the wire (the outbox's and the catalog's <c>state</c>, the API's JSON).</summary>
public static class StateNames
{
    public static string ToWire(this EdgeState state) => state.ToString().ToLowerInvariant();

    public static string ToWire(this CloudState state) => state.ToString().ToLowerInvariant();

    public static EdgeState ParseEdge(string value) =>
        Enum.TryParse(value, ignoreCase: true, out EdgeState s) ? s : throw new FormatException($"Unknown edge state '{value}'.");

    public static CloudState ParseCloud(string value) =>
        Enum.TryParse(value, ignoreCase: true, out CloudState s) ? s : throw new FormatException($"Unknown cloud state '{value}'.");
}
