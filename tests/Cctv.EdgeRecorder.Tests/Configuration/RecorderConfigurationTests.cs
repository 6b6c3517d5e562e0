using Cctv.EdgeRecorder.Configuration;
using Cctv.TestSupport;

namespace Cctv.EdgeRecorder.Tests.Configuration;

public sealed class RecorderConfigurationTests : IDisposable
{
    private readonly TempDir _dir = new("config");

    public void Dispose() => _dir.Dispose();

    private string Write(string json)
    {
        string path = _dir.Combine("agent.json");
        File.WriteAllText(path, json);
        return path;
    }

    private string Config(string segmentSeconds = "4", string url = "rtsp://127.0.0.1/cam1", string? dataDir = null) => Write($$"""
        { "Recorder": { "Id": "site-a", "DataDir": "{{dataDir ?? _dir.Combine("data")}}", "SegmentSeconds": {{segmentSeconds}},
          "Cameras": [ { "Id": "cam1", "Name": "Gate", "Url": "{{url}}" } ] } }
        """);

    private static ConfigurationException Refused(string file) =>
        Assert.Throws<ConfigurationException>(() => RecorderConfiguration.Load(file, environment: new Dictionary<string, string?>()));

    [Fact]
    public void AGoodFile_Loads()
    {
        RecorderOptions o = RecorderConfiguration.Load(Config(), environment: new Dictionary<string, string?>());
        Assert.Equal("site-a", o.Id);
        Assert.Equal(4, o.SegmentSeconds);
        Assert.Equal("rtsp://127.0.0.1/cam1", o.Cameras.Single().Url);
    }

    [Fact]
    public void SegmentLengthZero_IsRefusedNamingTheKey() =>
        Assert.Contains("Recorder:SegmentSeconds", Refused(Config(segmentSeconds: "0")).Message);

    [Fact]
    public void AnUnknownUrlScheme_IsRefusedNamingTheCameraKeyAndTheScheme()
    {
        string message = Refused(Config(url: "rtp2://127.0.0.1/cam1")).Message;
        Assert.Contains("Recorder:Cameras:0:Url", message);
        Assert.Contains("'rtp2'", message);
    }

    [Fact]
    public void ACameraPasswordNoUriAccepts_Loads_AndAnUnknownSchemeWithOne_IsRefusedWithoutPrintingIt()
    {
        // JSON escapes for p"a s$\;x: a quote, a space, a dollar, a backslash and a semicolon.
        RecorderOptions o = RecorderConfiguration.Load(Config(url: @"rtsp://admin:p\""a s$\\;x@127.0.0.1/cam1"), environment: new Dictionary<string, string?>());
        string message = Refused(Config(url: @"rtp2://admin:p\""a s$\\;x@127.0.0.1/cam1")).Message;

        Assert.Equal("rtsp://admin:p\"a s$\\;x@127.0.0.1/cam1", o.Cameras.Single().Url);
        Assert.Contains("'rtp2://admin:***@127.0.0.1/cam1' has an unknown scheme 'rtp2'", message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnUnwritableDataDirectory_IsRefusedNamingTheKey()
    {
        // Under a regular file nothing can be created, whoever runs the test (root included).
        string file = _dir.Combine("not-a-directory");
        File.WriteAllText(file, "x");
        string message = Refused(Config(dataDir: Path.Combine(file, "data"))).Message;
        Assert.Contains("Recorder:DataDir", message);
        Assert.Contains("not writable", message);
    }

    [Fact]
    public void ALocalBackendDirectory_ElsewhereIsWhereTheEmbeddedCloudLives_AndAnUnwritableOneIsRefusedNamingTheKey()
    {
        string cloud = _dir.Combine("cloud-side");
        string good = Write($$"""
            { "Recorder": { "Id": "site-a", "DataDir": "{{_dir.Combine("data")}}", "LocalBackendDir": "{{cloud}}",
              "Cameras": [ { "Id": "cam1", "Name": "Gate", "Url": "rtsp://127.0.0.1/cam1" } ] } }
            """);
        RecorderOptions o = RecorderConfiguration.Load(good, environment: new Dictionary<string, string?>());
        Assert.Equal(cloud, o.LocalCloudDataDir);
        Assert.Equal(_dir.Combine("data"), new RecorderOptions { DataDir = _dir.Combine("data") }.LocalCloudDataDir);

        string file = _dir.Combine("not-a-directory");
        File.WriteAllText(file, "x");
        string message = Refused(Write($$"""
            { "Recorder": { "Id": "site-a", "DataDir": "{{_dir.Combine("data")}}", "LocalBackendDir": "{{Path.Combine(file, "cloud")}}",
              "Cameras": [ { "Id": "cam1", "Name": "Gate", "Url": "rtsp://127.0.0.1/cam1" } ] } }
            """)).Message;
        Assert.Contains("Recorder:LocalBackendDir", message);
        Assert.Contains("not writable", message);
    }

    [Fact]
    public void EveryProblemIsReportedAtOnce()
    {
        ConfigurationException e = Refused(Config(segmentSeconds: "0", url: "ftp://x/y"));
        Assert.Equal(2, e.Problems.Count);
    }

    [Fact]
    public void AnUnknownKey_OrAValueOfTheWrongType_IsRefused()
    {
        Assert.Contains("SegmentSecs", Refused(Write("""{ "Recorder": { "SegmentSecs": 4 } }""")).Message);
        Assert.Contains("SegmentSeconds", Refused(Write("""{ "Recorder": { "SegmentSeconds": "four" } }""")).Message);
    }

    [Fact]
    public void BrokenJson_OrAMissingFile_IsRefusedNamingTheFile()
    {
        Assert.Contains("not valid JSON", Refused(Write("{ \"Recorder\": ")).Message);
        Assert.Contains("--config", Refused(_dir.Combine("missing.json")).Message);
    }

    [Fact]
    public void TheSeedDocumentsEnvironmentNames_Override()
    {
        var env = new Dictionary<string, string?>
        {
            ["GCP_STORAGE_CLEANUP_LOCAL"] = "True",
            ["GCP_STORAGE_RETRY_ATTEMPTS"] = "5",
            ["GCP_STORAGE_RETRY_DELAY"] = "7",
            ["GCP_STORAGE_UPLOAD_TIMEOUT"] = "300",
            ["CCTV_Recorder__SegmentSeconds"] = "6",
        };
        RecorderOptions o = RecorderConfiguration.Load(Config(), environment: env);
        Assert.True(o.CleanupLocal);
        Assert.Equal(5, o.Upload.RetryAttempts);
        Assert.Equal(TimeSpan.FromSeconds(7), o.Upload.RetryDelay);
        Assert.Equal(TimeSpan.FromMinutes(5), o.Upload.Timeout);
        Assert.Equal(6, o.SegmentSeconds);
    }

    [Fact]
    public void TheGcpBackend_WithoutABucketOrProject_IsRefusedNamingBothKeysAndTheirSeedNames()
    {
        string file = Write($$"""
            { "Recorder": { "Id": "site-a", "DataDir": "{{_dir.Combine("data")}}", "Backend": "gcp",
              "Cameras": [ { "Id": "cam1", "Name": "Gate", "Url": "rtsp://127.0.0.1/cam1" } ] } }
            """);
        string message = Refused(file).Message;
        Assert.Contains("Recorder:Gcp:StagingBucket", message, StringComparison.Ordinal);
        Assert.Contains("GCP_STORAGE_BUCKET_NAME", message, StringComparison.Ordinal);
        Assert.Contains("Recorder:Gcp:ProjectId", message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheGcpBackend_FromTheSeedEnvironmentNames_Loads_UploadOnlyWhenAsked()
    {
        RecorderOptions o = RecorderConfiguration.Load(Config(), environment: new Dictionary<string, string?>
        {
            ["GCP_STORAGE_USE_GCS"] = "true",
            ["GCP_STORAGE_BUCKET_NAME"] = "site-a-staging",
            ["CCTV_Recorder__Gcp__Catalog"] = "none",
        });
        Assert.Equal(("gcp", "site-a-staging", "none"), (o.Backend, o.Gcp.StagingBucket, o.Gcp.Catalog));
    }

    [Theory]
    [InlineData("\"ChunkBytes\": 100000", "Recorder:Upload:ChunkBytes")]
    [InlineData("\"MaxBytesPerSecond\": 0", "Recorder:Upload:MaxBytesPerSecond")]
    [InlineData("\"RequestTimeout\": \"00:00:00\"", "Recorder:Upload:RequestTimeout")]
    public void UploadSettingsOutOfRange_AreRefusedNamingTheKey(string setting, string key)
    {
        string file = Write($$"""
            { "Recorder": { "Id": "site-a", "DataDir": "{{_dir.Combine("data")}}", "Upload": { {{setting}} },
              "Cameras": [ { "Id": "cam1", "Name": "Gate", "Url": "rtsp://127.0.0.1/cam1" } ] } }
            """);
        Assert.Contains(key, Refused(file).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"FlushInterval\": \"00:00:00\"", "Recorder:LiveTail:FlushInterval")]
    [InlineData("\"FlushInterval\": \"00:02:00\"", "Recorder:LiveTail:FlushInterval")]
    [InlineData("\"FallBackAfter\": \"00:00:03\"", "Recorder:LiveTail:FallBackAfter")]
    [InlineData("\"ReportInterval\": \"00:00:00.5\"", "Recorder:LiveTail:ReportInterval")]
    public void LiveTailSettingsOutOfRange_AreRefusedNamingTheKey(string setting, string key)
    {
        string file = Write($$"""
            { "Recorder": { "Id": "site-a", "DataDir": "{{_dir.Combine("data")}}", "LiveTail": { {{setting}} },
              "Cameras": [ { "Id": "cam1", "Name": "Gate", "Url": "rtsp://127.0.0.1/cam1" } ] } }
            """);
        Assert.Contains(key, Refused(file).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LiveTails_AreOnByDefault_FlushingEveryTwoSeconds()
    {
        RecorderOptions o = RecorderConfiguration.Load(Config(), environment: new Dictionary<string, string?>());
        Assert.Equal((true, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(5)),
            (o.LiveTail.Enabled, o.LiveTail.FlushInterval, o.LiveTail.FallBackAfter, o.LiveTail.ReportInterval));
    }

    [Theory]
    [InlineData("00:00:05")]
    [InlineData("00:11:00")]
    public void AStopGraceShorterThanFfmpegsStopWaitOrOverTenMinutes_IsRefusedNamingTheKeyAndTheUnitsTimeout(string grace)
    {
        string file = Write($$"""
            { "Recorder": { "Id": "site-a", "DataDir": "{{_dir.Combine("data")}}", "StopGrace": "{{grace}}",
              "Cameras": [ { "Id": "cam1", "Name": "Gate", "Url": "rtsp://127.0.0.1/cam1" } ] } }
            """);
        string message = Refused(file).Message;
        Assert.Contains("Recorder:StopGrace", message, StringComparison.Ordinal);
        Assert.Contains("TimeoutStopSec", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("00:00:00", null)]
    [InlineData("00:00:00.05", null)]
    [InlineData("02:00:00", null)]
    [InlineData("00:00:02.5", 2.5)]
    public void AClockStepTolerance_OutsideATenthOfASecondToAnHour_IsRefusedNamingTheKey(string tolerance, double? loaded)
    {
        string file = Write($$"""
            { "Recorder": { "Id": "site-a", "DataDir": "{{_dir.Combine("data")}}", "ClockStepTolerance": "{{tolerance}}",
              "Cameras": [ { "Id": "cam1", "Name": "Gate", "Url": "rtsp://127.0.0.1/cam1" } ] } }
            """);
        if (loaded is { } seconds)
        {
            Assert.Equal(TimeSpan.FromSeconds(seconds), RecorderConfiguration.Load(file, environment: new Dictionary<string, string?>()).ClockStepTolerance);
        }
        else
        {
            Assert.Contains("Recorder:ClockStepTolerance", Refused(file).Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void AStopGrace_FromTheFile_IsUsed()
    {
        RecorderOptions o = RecorderConfiguration.Load(Write($$"""
            { "Recorder": { "Id": "site-a", "DataDir": "{{_dir.Combine("data")}}", "StopGrace": "00:00:45",
              "Cameras": [ { "Id": "cam1", "Name": "Gate", "Url": "rtsp://127.0.0.1/cam1" } ] } }
            """), environment: new Dictionary<string, string?>());
        Assert.Equal(TimeSpan.FromSeconds(45), o.StopGrace);
    }

    [Fact]
    public void TheInstallersExampleConfiguration_IsValid_WithItsSchedules()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "CctvServerless.sln")))
        {
            dir = Path.GetDirectoryName(dir);
        }
        Assert.NotNull(dir);
        RecorderOptions o = RecorderConfiguration.Load(Path.Combine(dir, "edge-recorder", "deploy", "config.example.json"),
            new Dictionary<string, string?> { ["Recorder:DataDir"] = _dir.Combine("data") }, environment: new Dictionary<string, string?>());
        Assert.Equal("weekly", o.Cameras[1].Schedule.Mode);
        Assert.Equal("Europe/Paris", o.TimeZone);
    }
}
