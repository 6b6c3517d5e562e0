using Cctv.Shared.Media;
using static Cctv.TestSupport.Media.Mp4Boxes;

namespace Cctv.Shared.Tests.Media;

/// <summary>Hand-built inputs: what FFmpeg writes in miniature, and boxes that lie about themselves.</summary>
public sealed class FragmentedMp4HostileTests
{
    private static readonly uint[] OneSecondAt12800 = [.. Enumerable.Repeat(512u, 25)]; // 25 frames of 40 ms

    private static FragmentCoverage Read(byte[] bytes, bool seekable = true) =>
        FragmentedMp4.Read(seekable ? new MemoryStream(bytes) : new NonSeekable(bytes));

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void TwoWholeFragments_CoverTheirSamplesDurations_FromTheFirstDecodeTime(bool seekable)
    {
        byte[] file = Concat(Header(), Fragment(12800, OneSecondAt12800), Fragment(25600, OneSecondAt12800));
        FragmentCoverage c = Read(file, seekable);
        Assert.Equal(2, c.Fragments);
        Assert.Equal(file.Length, c.WholeBytes);
        Assert.Equal(TimeSpan.FromSeconds(2), c.Covered);
        Assert.Equal(TimeSpan.FromSeconds(1), c.FirstDecodeTime);
        Assert.Equal(12800u, c.Timescale);
    }

    [Fact]
    public void DurationsFromTfhdOrTrexDefaults_AreCounted()
    {
        byte[] fromTfhd = Concat(Header(), Fragment(0, OneSecondAt12800, tfhdDefault: 1024));
        Assert.Equal(TimeSpan.FromSeconds(2), Read(fromTfhd).Covered);
        byte[] fromTrex = Concat(Header(trexDuration: 256), Fragment(0, OneSecondAt12800, tfhdDefault: null));
        Assert.Equal(TimeSpan.FromSeconds(1), Read(fromTrex).Covered); // the trun's own durations win over trex
    }

    [Fact]
    public void TheVideoTrackIsFoundAfterAnAudioTrack_AndOnlyItsTrafCounts()
    {
        byte[] moof = Box("moof", Box("mfhd", Full(0, 0, 1)),
            Traf(2, 0, [.. Enumerable.Repeat(1024u, 470)]), // 10 s of audio must not count
            Traf(1, 0, OneSecondAt12800));
        byte[] file = Concat(Header(audioFirst: true), moof, Box("mdat", new byte[10]));
        Assert.Equal(TimeSpan.FromSeconds(1), Read(file).Covered);
    }

    [Fact]
    public void CutAnywhere_CountsOnlyWholeFragments_AndNeverMore()
    {
        byte[] header = Header();
        byte[] one = Fragment(0, OneSecondAt12800, payload: 300);
        byte[] file = Concat(header, one, Fragment(12800, OneSecondAt12800, payload: 300));
        TimeSpan last = TimeSpan.Zero;
        for (int cut = 0; cut <= file.Length; cut++)
        {
            FragmentCoverage c = Read(file[..cut], seekable: cut % 2 == 0);
            int expected = cut >= file.Length ? 2 : cut >= header.Length + one.Length ? 1 : 0;
            Assert.Equal(expected, c.Fragments);
            Assert.Equal(expected switch { 2 => file.Length, 1 => header.Length + one.Length, _ => 0 }, c.WholeBytes);
            Assert.True(c.Covered >= last, $"covered time went back at cut {cut}");
            last = c.Covered;
        }
        Assert.Equal(TimeSpan.FromSeconds(2), last);
    }

    [Fact]
    public void AnMdatThatClaimsMoreThanTheFileHolds_IsNotAWholeFragment()
    {
        byte[] file = Concat(Header(), Fragment(0, OneSecondAt12800),
            Box("moof", Box("mfhd", Full(0, 0, 2)), Traf(1, 12800, OneSecondAt12800)), Lying("mdat", 1_000_000, new byte[50]));
        FragmentCoverage c = Read(file);
        Assert.Equal(1, c.Fragments);
        Assert.Equal(TimeSpan.FromSeconds(1), c.Covered);
    }

    [Fact]
    public async Task AnMdatRunningToTheEndOfTheFile_IsNotCountedAsWhole_AndEndsTheReading()
    {
        byte[] file = Concat(Header(), Fragment(0, OneSecondAt12800),
            Box("moof", Box("mfhd", Full(0, 0, 2)), Traf(1, 12800, OneSecondAt12800)), Lying("mdat", 0, new byte[50]));
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(10)); // a size-0 box must not make the reader go round
        FragmentCoverage c = await Task.Run(() => FragmentedMp4.Read(new MemoryStream(file), cancel.Token), cancel.Token);
        Assert.Equal(1, c.Fragments);
    }

    [Fact]
    public void SixtyFourBitSizes_AreRead()
    {
        byte[] moof = Box("moof", Box("mfhd", Full(0, 0, 1)), Traf(1, 0, OneSecondAt12800));
        byte[] file = Concat(Header(), moof, Large("mdat", new byte[40]));
        FragmentCoverage c = Read(file);
        Assert.Equal(1, c.Fragments);
        Assert.Equal(file.Length, c.WholeBytes);
    }

    [Fact]
    public void ASixtyFourBitSizeBeyondAnyFile_IsAClearError()
    {
        byte[] file = Concat(Header(), Large("free", new byte[8], declared: ulong.MaxValue));
        MediaFormatException e = Assert.Throws<MediaFormatException>(() => Read(file));
        Assert.Contains("free", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(7u)]
    [InlineData(2u)]
    public void ABoxSmallerThanItsHeader_IsAClearErrorNamingItsOffset(uint size)
    {
        byte[] header = Header();
        byte[] file = Concat(header, Lying("free", size, new byte[8]));
        MediaFormatException e = Assert.Throws<MediaFormatException>(() => Read(file));
        Assert.Contains($"offset {header.Length}", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AMoofLargerThanTheBound_IsRefusedBeforeAnythingIsAllocated()
    {
        byte[] file = Concat(Header(), Lying("moof", uint.MaxValue, new byte[8]));
        Assert.Throws<MediaFormatException>(() => Read(file));
    }

    [Fact]
    public void AChildThatRunsPastItsParent_IsAClearError()
    {
        byte[] moof = Box("moof", Box("mfhd", Full(0, 0, 1)), Lying("traf", 5000, Traf(1, 0, OneSecondAt12800)[8..]));
        byte[] file = Concat(Header(), moof, Box("mdat", new byte[10]));
        MediaFormatException e = Assert.Throws<MediaFormatException>(() => Read(file));
        Assert.Contains("traf", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ATrunThatClaimsMoreSamplesThanItHolds_IsAClearError()
    {
        byte[] traf = Box("traf", Box("tfhd", Full(0, 0x020000, 1)), Box("tfdt", Full(1, 0, 0, 0)),
            Box("trun", Full(0, 0x000301, uint.MaxValue, 0, 512, 100)));
        byte[] file = Concat(Header(), Box("moof", Box("mfhd", Full(0, 0, 1)), traf), Box("mdat", new byte[10]));
        MediaFormatException e = Assert.Throws<MediaFormatException>(() => Read(file));
        Assert.Contains("trun", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FourBillionDefaultDurationSamples_AreMultipliedNotWalked()
    {
        byte[] traf = Box("traf", Box("tfhd", Full(0, 0x020008, 1, 1)), Box("tfdt", Full(1, 0, 0, 0)),
            Box("trun", Full(0, 0x000001, uint.MaxValue, 0)));
        byte[] file = Concat(Header(timescale: 1_000_000), Box("moof", Box("mfhd", Full(0, 0, 1)), traf), Box("mdat", new byte[10]));
        Assert.Equal(TimeSpan.FromTicks(uint.MaxValue * 10L), Read(file).Covered); // 2^32-1 samples of 1 us
    }

    [Fact]
    public void ADecodeTimeThatOverflows_IsAClearError()
    {
        // At 4 GHz the start itself is a representable time (146 years); only its end is past 2^64 units.
        byte[] file = Concat(Header(timescale: 4_000_000_000), Fragment(ulong.MaxValue - 10, OneSecondAt12800));
        MediaFormatException e = Assert.Throws<MediaFormatException>(() => Read(file));
        Assert.Contains("largest decode time", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AFragmentThatStartsBeforeThePreviousEnds_IsAClearError()
    {
        byte[] file = Concat(Header(), Fragment(12800, OneSecondAt12800), Fragment(0, OneSecondAt12800));
        Assert.Throws<MediaFormatException>(() => Read(file));
    }

    [Fact]
    public void AMoofBeforeAnyMoov_IsAClearError()
    {
        byte[] file = Concat(Ftyp(), Fragment(0, OneSecondAt12800));
        MediaFormatException e = Assert.Throws<MediaFormatException>(() => Read(file));
        Assert.Contains("moov", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AMoovWithoutAVideoTrack_IsAClearError()
    {
        byte[] file = Concat(Ftyp(), Box("moov", Trak(2, 48000, "soun")), Fragment(0, OneSecondAt12800));
        Assert.Throws<MediaFormatException>(() => Read(file));
    }

    [Fact]
    public void ATimescaleOfZero_IsAClearError()
    {
        byte[] file = Concat(Header(timescale: 0), Fragment(0, OneSecondAt12800));
        Assert.Throws<MediaFormatException>(() => Read(file));
    }

    [Fact]
    public void ATruncatedMdhd_IsAClearError()
    {
        byte[] trak = Box("trak", Box("tkhd", Full(0, 3, 0, 0, 1, 0, 0)),
            Box("mdia", Box("mdhd", Full(0, 0, 0)), Box("hdlr", Full(0, 0, 0), "vide"u8.ToArray(), new byte[12])));
        byte[] file = Concat(Ftyp(), Box("moov", trak), Fragment(0, OneSecondAt12800));
        MediaFormatException e = Assert.Throws<MediaFormatException>(() => Read(file));
        Assert.Contains("mdhd", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NothingOrOnlyAHeader_CoversNothing()
    {
        Assert.Equal(FragmentCoverage.None, Read([]));
        FragmentCoverage header = Read(Header());
        Assert.Equal(0, header.Fragments);
        Assert.Equal(0, header.WholeBytes);
        Assert.Equal(12800u, header.Timescale);
    }

    [Fact]
    public void ManyTinyBoxes_AreWalkedOneHeaderAtATime()
    {
        // 200,000 8-byte 'free' boxes through a stream that cannot seek: each step advances by a header, nothing is buffered.
        byte[] free = Box("free");
        var stream = new NonSeekable(Concat([Header(), .. Enumerable.Repeat(free, 200_000), Fragment(0, OneSecondAt12800)]));
        Assert.Equal(1, FragmentedMp4.Read(stream).Fragments);
    }

    /// <summary>A stream that can only be read forward, as an HTTP download is.</summary>
    private sealed class NonSeekable(byte[] bytes) : Stream
    {
        private readonly MemoryStream _inner = new(bytes);
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, Math.Min(count, 7)); // short reads too
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
