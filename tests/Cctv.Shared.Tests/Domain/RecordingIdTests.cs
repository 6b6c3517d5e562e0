using Cctv.Shared.Domain;

namespace Cctv.Shared.Tests.Domain;

public sealed class RecordingIdTests
{
    [Fact]
    public void NameBased_MatchesThePublishedVersion5Example()
    {
        // uuid5(NAMESPACE_DNS, "python.org"), the example in Python's uuid documentation.
        Guid dns = new("6ba7b810-9dad-11d1-80b4-00c04fd430c8");
        Assert.Equal(new Guid("886313e1-3b8a-5372-9b90-0c9aee199e5d"), RecordingId.NameBased(dns, "python.org"));
    }

    [Fact]
    public void For_IsDeterministicAndDistinguishesEveryPart()
    {
        string id = RecordingId.For("site-a", "cam7", 3, 42);
        Assert.Equal(id, RecordingId.For("site-a", "cam7", 3, 42));
        Assert.True(RecordingId.IsValid(id));
        var others = new[]
        {
            RecordingId.For("site-b", "cam7", 3, 42), RecordingId.For("site-a", "cam8", 3, 42),
            RecordingId.For("site-a", "cam7", 4, 42), RecordingId.For("site-a", "cam7", 3, 43),
        };
        Assert.DoesNotContain(id, others);
        Assert.Equal(4, others.Distinct().Count());
    }

    [Theory]
    [InlineData("")]
    [InlineData("../../etc/passwd")]
    [InlineData("886313E1-3B8A-5372-9B90-0C9AEE199E5D")]
    [InlineData("886313e13b8a53729b900c9aee199e5d")]
    public void IsValid_RefusesAnythingButTheCanonicalForm(string id) => Assert.False(RecordingId.IsValid(id));

    [Fact]
    public void ObjectNames_CarryTheRecordingId()
    {
        string id = RecordingId.For("r", "cam1", 1, 1);
        Assert.Equal(id, ObjectNames.RecordingIdOf(ObjectNames.Staging("r", "cam1", id)));
        string archive = ObjectNames.Archive(new CameraKey("r", "cam1"), new DateTimeOffset(2026, 1, 15, 3, 10, 5, TimeSpan.Zero), id);
        Assert.Equal($"recordings/r~cam1/2026/01/15/031005_{id}.mp4", archive);
        Assert.Equal(id, ObjectNames.RecordingIdOf(archive));
        Assert.Null(ObjectNames.RecordingIdOf("incoming/r/cam1/not-an-id.mp4"));
    }
}
