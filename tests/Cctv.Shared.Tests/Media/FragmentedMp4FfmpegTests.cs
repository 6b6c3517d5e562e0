using System.Diagnostics;
using System.Globalization;
using Cctv.Shared.Media;
using Cctv.TestSupport;

namespace Cctv.Shared.Tests.Media;

/// <summary>
/// Real FFmpeg output, muxed as the recorder muxes it (segment muxer, fragmented MP4, 0.5 s fragments flushed as they
/// close: edge-recorder/Cameras/FfmpegArguments.cs), read whole and cut at many offsets.
/// </summary>
[Trait("Category", "Slow")]
public sealed class FragmentedMp4FfmpegTests : IDisposable
{
    private static readonly TimeSpan OneFrame = TimeSpan.FromMilliseconds(40); // 25 fps
    private readonly string _dir = Directory.CreateTempSubdirectory("fmp4-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task AWholeRecording_CoversWhatFfprobeReads_WithinAFrame()
    {
        string path = await RecordAsync(seconds: 7);
        byte[] file = await File.ReadAllBytesAsync(path);
        FragmentCoverage c = FragmentedMp4.Read(new MemoryStream(file));
        // After the last fragment FFmpeg's trailer writes an mfra (a random-access index), which is no fragment.
        Assert.Equal("mfra", System.Text.Encoding.ASCII.GetString(file, (int)c.WholeBytes + 4, 4));
        Assert.Equal(file.Length, c.WholeBytes + System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan((int)c.WholeBytes)));
        Assert.InRange(c.Fragments, 14, 16); // a fragment every 0.5 s (and at each keyframe, every 2 s)
        Assert.Equal(TimeSpan.Zero, c.FirstDecodeTime);
        Assert.InRange((c.Covered - await ProbeDurationAsync(path)).Duration(), TimeSpan.Zero, OneFrame);
    }

    [Fact]
    public async Task ARecordingCutAnywhere_CoversMonotonically_AndItsWholePrefixPlaysForThatLong()
    {
        string path = await RecordAsync(seconds: 7);
        byte[] file = await File.ReadAllBytesAsync(path);
        FragmentCoverage whole = FragmentedMp4.Read(new MemoryStream(file));
        var cuts = Enumerable.Range(0, 2000).Select(i => (int)((long)file.Length * i / 2000)).Concat(Enumerable.Range(0, 1500)).Append(file.Length - 1).Distinct().Order();
        FragmentCoverage previous = FragmentCoverage.None;
        var probed = new List<FragmentCoverage>();
        foreach (int cut in cuts)
        {
            FragmentCoverage c = FragmentedMp4.Read(new MemoryStream(file, 0, cut));
            Assert.True(c.WholeBytes <= cut, $"cut {cut}: {c.WholeBytes} whole bytes");
            Assert.True(c.Covered >= previous.Covered && c.Fragments >= previous.Fragments, $"cut {cut}: coverage went back");
            Assert.True(c.Covered <= whole.Covered);
            if (c.Fragments > previous.Fragments && c.Fragments % 5 == 0)
            {
                probed.Add(c);
            }
            previous = c;
        }
        Assert.Equal(whole, previous); // one byte short of the file cuts only the mfra trailer: every fragment is whole
        Assert.NotEmpty(probed);
        foreach (FragmentCoverage c in probed)
        {
            string prefix = Path.Combine(_dir, $"prefix-{c.WholeBytes}.mp4");
            await File.WriteAllBytesAsync(prefix, file[..(int)c.WholeBytes]);
            Assert.Equal(c, FragmentedMp4.Read(File.OpenRead(prefix)));
            Assert.InRange((c.Covered - await ProbeDurationAsync(prefix)).Duration(), TimeSpan.Zero, OneFrame);
            string errors = await RunAsync(RequiredTool.Find("ffmpeg", "ffmpeg"), "-v", "error", "-i", prefix, "-f", "null", "-");
            Assert.True(errors.Length == 0, $"FFmpeg decoding {c.WholeBytes} whole bytes: {errors}");
        }
    }

    private async Task<string> RecordAsync(int seconds)
    {
        string ffmpeg = RequiredTool.Find("ffmpeg", "ffmpeg");
        string output = await RunAsync(ffmpeg,
            "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-t", seconds.ToString(CultureInfo.InvariantCulture),
            "-c:v", "libx264", "-preset", "ultrafast", "-g", "50", "-pix_fmt", "yuv420p", "-b:v", "1M",
            "-f", "segment", "-segment_time", "300", "-segment_format", "mp4",
            "-segment_format_options", "movflags=+frag_keyframe+empty_moov+default_base_moof:frag_duration=500000:flush_packets=1",
            "-reset_timestamps", "1", Path.Combine(_dir, "seg_%06d.mp4"));
        string path = Path.Combine(_dir, "seg_000000.mp4");
        Assert.True(File.Exists(path), $"ffmpeg wrote no segment: {output}");
        return path;
    }

    private static async Task<TimeSpan> ProbeDurationAsync(string path)
    {
        string ffprobe = RequiredTool.Find("ffprobe", "ffmpeg");
        string text = await RunAsync(ffprobe, "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path);
        return TimeSpan.FromSeconds(double.Parse(text.Trim(), CultureInfo.InvariantCulture));
    }

    private static async Task<string> RunAsync(string executable, params string[] arguments)
    {
        var psi = new ProcessStartInfo(executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in arguments)
        {
            psi.ArgumentList.Add(a);
        }
        using Process p = Process.Start(psi)!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        string stderr = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.True(p.ExitCode == 0, $"{executable} exited {p.ExitCode}: {stderr}");
        return await stdout + stderr;
    }
}
