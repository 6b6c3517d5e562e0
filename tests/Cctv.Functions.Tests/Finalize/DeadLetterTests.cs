using System.Text;
using Cctv.Functions.Finalize;
using Cctv.Shared.CloudEvents;
using CloudNative.CloudEvents;

namespace Cctv.Functions.Tests.Finalize;

/// <summary>What a dead letter holds, and the Pub/Sub attributes it is published with, whatever the refused event carries.</summary>
public sealed class DeadLetterTests
{
    private static readonly DateTimeOffset At = new(2026, 1, 15, 3, 0, 0, TimeSpan.Zero);

    private static CloudEvent Event(string id, string data) => StorageEvents.Create(id, StorageEvents.Source("cctv-staging"), StorageEvents.ObjectFinalized,
        "objects/x", At, "application/json", Encoding.UTF8.GetBytes(data));

    /// <summary>The letter for an event as the endpoint records it: with the data the request carried.</summary>
    private static DeadLetter Letter(CloudEvent e, string reason, DateTimeOffset at) => DeadLetter.Of(e, (byte[])e.Data!, reason, at);

    [Fact]
    public void ALetter_NamesTheObjectItsDataNames_AndKeepsTheDataWhenItIsNotJson()
    {
        DeadLetter named = Letter(Event("e1", """{"bucket":"cctv-staging","name":"../x.mp4","generation":"42"}"""), "bad name", At);
        DeadLetter numeric = Letter(Event("e2", """{"bucket":"cctv-staging","name":"x.mp4","generation":42}"""), "bad name", At);
        DeadLetter garbage = Letter(Event("e3", "{\"bucket\":"), "event data is not valid JSON", At);
        DeadLetter array = Letter(Event("e4", "[1,2]"), "no data", At);

        Assert.Equal(("cctv-staging", "../x.mp4", "42"), (named.Bucket, named.Name, named.Generation));
        Assert.Equal("42", numeric.Generation);
        Assert.Equal(((string?)null, (string?)null, (string?)null), (garbage.Bucket, garbage.Name, garbage.Generation));
        Assert.Equal("{\"bucket\":", Encoding.UTF8.GetString(Convert.FromBase64String(garbage.Data)));
        Assert.Null(array.Name);
    }

    [Fact]
    public void EveryAttribute_FitsPubSubsLimit_AndAnIdTooLongForIt_IsAStableHash()
    {
        string longId = new('i', 3000);
        string longName = "incoming/" + new string('é', 1000) + ".mp4";
        DeadLetter letter = Letter(Event(longId, $$"""{"bucket":"cctv-staging","name":"{{longName}}","generation":"1"}"""), "bad name", At);
        DeadLetter again = Letter(Event(longId, """{"bucket":"cctv-staging","name":"y.mp4"}"""), "bad name", At.AddMinutes(10));
        DeadLetter other = Letter(Event(longId + "j", """{"bucket":"cctv-staging","name":"y.mp4"}"""), "bad name", At);

        IReadOnlyDictionary<string, string> attributes = PubSubDeadLetters.Attributes(letter);

        Assert.All(attributes.Values, v => Assert.InRange(Encoding.UTF8.GetByteCount(v), 1, PubSubDeadLetters.MaxAttributeBytes));
        Assert.StartsWith("sha256:", attributes[PubSubDeadLetters.EventIdAttribute]);
        Assert.StartsWith("sha256:", attributes[PubSubDeadLetters.ObjectAttribute]);
        Assert.Equal(attributes[PubSubDeadLetters.EventIdAttribute], PubSubDeadLetters.Attributes(again)[PubSubDeadLetters.EventIdAttribute]);
        Assert.NotEqual(attributes[PubSubDeadLetters.EventIdAttribute], PubSubDeadLetters.Attributes(other)[PubSubDeadLetters.EventIdAttribute]);
        Assert.Equal(longId, letter.EventId); // the data keeps the whole ID
        Assert.Equal("eid", PubSubDeadLetters.Attributes(letter with { EventId = "eid" })[PubSubDeadLetters.EventIdAttribute]);
    }
}
