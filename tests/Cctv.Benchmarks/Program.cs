using Cctv.Benchmarks;
using Cctv.Benchmarks.EdgeCpu;
using Cctv.Benchmarks.FootageAtRisk;
using Cctv.Benchmarks.Hashing;
using Cctv.Benchmarks.Loadgen;
using Cctv.Benchmarks.Outbox;
using Cctv.Benchmarks.Playback;
using Cctv.Benchmarks.Uploads;

try
{
    return args switch
    {
        ["hashing", .. var rest] => await HashingCommand.RunAsync(rest),
        ["uploads", .. var rest] => await UploadCommand.RunAsync(rest),
        ["signing", .. var rest] => PlaybackCommands.Signing(rest),
        ["playlist", .. var rest] => await PlaybackCommands.PlaylistAsync(rest),
        ["get-url", .. var rest] => await PlaybackCommands.GetUrlAsync(rest),
        ["loadgen", .. var rest] => await LoadgenCommand.RunAsync(rest),
        ["edge-cpu", .. var rest] => await EdgeCpuCommand.RunAsync(rest),
        ["footage-at-risk", .. var rest] => await FootageAtRiskCommand.RunAsync(rest),
        ["outbox-passes", .. var rest] => OutboxPassesCommand.Run(rest),
        _ => Usage(),
    };
}
catch (OperationCanceledException) when (StopSignal.Received)
{
    // Ctrl+C or SIGTERM: the command's cleanup has stopped what it started.
    Console.Error.WriteLine("stopped before the end: no result");
    return 130;
}

static int Usage()
{
    Console.Error.WriteLine("""
        usage: dotnet run -c Release --project tests/Cctv.Benchmarks -- hashing [--interleaved-only | BenchmarkDotNet options, e.g. --filter *Crc32C*]
               dotnet run -c Release --project tests/Cctv.Benchmarks -- uploads [--files 200] [--parallelism 4] [--fault-rate 0.10] [--rounds 3]
               dotnet run -c Release --project tests/Cctv.Benchmarks -- signing | playlist [BenchmarkDotNet options]
               dotnet run -c Release --project tests/Cctv.Benchmarks -- get-url [--duration 20] [--connections 16]   (needs wrk)
               dotnet run -c Release --project tests/Cctv.Benchmarks -- loadgen --recorders N --cameras M --seconds S [--rate R] [--duplicates 0.05] [--concurrency 20] [--backend embedded|gcp]
               dotnet run -c Release --project tests/Cctv.Benchmarks -- edge-cpu [--cameras 16] [--seconds 90] [--rounds 2] [--lagging-verification] [--minutes 10 [--idle]] [--no-uploads] [--no-live-tail] [--backend local|gcp] [--warm-up 180] [--bitrate 4000000 | --plain-clip] [--pin] [--agent-env NAME=VALUE ...]   (needs ffmpeg, rtsp-server-perl)
               dotnet run -c Release --project tests/Cctv.Benchmarks -- footage-at-risk [--cameras 4,16] [--seconds 120] [--segment-seconds 60] [--bitrate 2000000]   (--help: the method; needs ffmpeg, rtsp-server-perl)
               dotnet run -c Release --project tests/Cctv.Benchmarks -- outbox-passes [--rows 10000,100000,345600] [--passes 20]
        """);
    return 2;
}
