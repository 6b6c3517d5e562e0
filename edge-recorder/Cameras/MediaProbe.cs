using Cctv.EdgeRecorder.Configuration;
using FFMpegCore;
using FFMpegCore.Exceptions;

namespace Cctv.EdgeRecorder.Cameras;

/// <summary>What a camera's stream carries, as ffprobe reads it.</summary>
public sealed record CameraStream(string Codec, int Width, int Height, double FrameRate, bool HasAudio);

/// <summary>
/// ffprobe through FFMpegCore's <see cref="FFProbe"/>: the length of a recorded file, the codec, resolution and frame
/// rate of a camera. FFMpegCore runs a binary named <c>ffprobe</c> from <see cref="FFOptions.BinaryFolder"/> (else from
/// PATH) and passes it one argument string; this resolves Recorder:Ffmpeg:ProbePath to that folder first, so a missing
/// ffprobe is an <see cref="FfmpegNotFoundException"/> naming the install command, and percent-encodes a camera's
/// credentials, so a quote or a space in a password cannot split that string (FFmpeg decodes them again).
/// </summary>
public static class MediaProbe
{
    private const string Binary = "ffprobe";

    /// <summary>The seconds a media file plays, or null when ffprobe cannot read it (a torn or empty segment).</summary>
    /// <exception cref="FfmpegNotFoundException">ffprobe is not where Recorder:Ffmpeg:ProbePath says, nor on PATH.</exception>
    public static async Task<double?> DurationAsync(string probePath, string file, CancellationToken cancellationToken)
    {
        FFOptions options = OptionsFor(probePath);
        try
        {
            IMediaAnalysis analysis = await FFProbe.AnalyseAsync(file, options, cancellationToken: cancellationToken);
            double seconds = analysis.Format.Duration.TotalSeconds;
            return seconds >= 0 && double.IsFinite(seconds) ? seconds : null;
        }
        catch (Exception e) when (e is FFProbeProcessException or FormatNullException or System.Text.Json.JsonException)
        {
            return null;
        }
        catch (Exception e) when (e is FFProbeException or System.ComponentModel.Win32Exception)
        {
            throw new FfmpegNotFoundException(probePath, e);
        }
        catch (FFMpegException)
        {
            return null;
        }
    }

    /// <summary>The first video stream of a camera (null when it has none), within <paramref name="timeout"/>.</summary>
    /// <exception cref="MediaProbeException">The camera did not answer, or not with media ffprobe reads; the message carries no password.</exception>
    /// <exception cref="FfmpegNotFoundException">ffprobe is not where Recorder:Ffmpeg:ProbePath says, nor on PATH.</exception>
    public static async Task<CameraStream?> CameraAsync(string probePath, string url, string? rtspTransport, TimeSpan timeout, CancellationToken cancellationToken)
    {
        FFOptions options = OptionsFor(probePath);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        string? extra = rtspTransport is { } transport && url.StartsWith("rtsp", StringComparison.OrdinalIgnoreCase)
            ? $"-rtsp_transport {transport}"
            : null;
        try
        {
            IMediaAnalysis analysis = await FFProbe.AnalyseAsync(new Uri(EncodeCredentials(url)), options, extra, limit.Token);
            return analysis.PrimaryVideoStream is { } video
                ? new CameraStream(video.CodecName ?? "unknown codec", video.Width ?? 0, video.Height ?? 0, video.AverageFrameRate, analysis.PrimaryAudioStream is not null)
                : null;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new MediaProbeException($"no answer within {timeout.TotalSeconds:0} s");
        }
        catch (FFProbeProcessException e)
        {
            throw new MediaProbeException(RecorderConfiguration.Redact(e.StandardError.Count > 0 ? string.Join("; ", e.StandardError).Trim() : $"ffprobe exited with {e.ExitCode}"));
        }
        catch (FormatNullException)
        {
            throw new MediaProbeException("ffprobe found no media format");
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new MediaProbeException($"ffprobe's answer was not readable ({e.Message})");
        }
        catch (UriFormatException e)
        {
            throw new MediaProbeException($"not a URL ({e.Message})");
        }
        catch (Exception e) when (e is FFProbeException or System.ComponentModel.Win32Exception)
        {
            throw new FfmpegNotFoundException(probePath, e);
        }
        catch (FFMpegException e)
        {
            throw new MediaProbeException(RecorderConfiguration.Redact(e.Message));
        }
    }

    /// <summary>
    /// The URL with its user name and password percent-encoded (FFmpeg's RTSP and HTTP decode them), so characters
    /// that mean something in a command line travel as %XX. The password is the text between the first ':' after
    /// "//" and the last '@' before the path.
    /// </summary>
    public static string EncodeCredentials(string url)
    {
        int scheme = url.IndexOf("://", StringComparison.Ordinal);
        if (scheme < 0)
        {
            return url;
        }
        int start = scheme + 3;
        int pathStart = url.IndexOf('/', start);
        int at = url.LastIndexOf('@', pathStart < 0 ? url.Length - 1 : pathStart);
        if (at < start)
        {
            return url;
        }
        string userInfo = url[start..at];
        int colon = userInfo.IndexOf(':', StringComparison.Ordinal);
        string encoded = colon < 0
            ? Encode(userInfo)
            : $"{Encode(userInfo[..colon])}:{Encode(userInfo[(colon + 1)..])}";
        return url[..start] + encoded + url[at..];

        static string Encode(string part) => Uri.EscapeDataString(Uri.UnescapeDataString(part));
    }

    /// <summary>FFMpegCore's options pointing at the folder that holds Recorder:Ffmpeg:ProbePath.</summary>
    /// <exception cref="FfmpegNotFoundException">No such ffprobe.</exception>
    public static FFOptions OptionsFor(string probePath)
    {
        string? found = probePath.Contains('/', StringComparison.Ordinal)
            ? File.Exists(probePath) ? Path.GetFullPath(probePath) : null
            : (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
                .Select(dir => Path.Combine(dir, probePath)).FirstOrDefault(File.Exists);
        if (found is null)
        {
            throw new FfmpegNotFoundException(probePath, new FileNotFoundException($"{probePath} is not a file and not on PATH"));
        }
        if (Path.GetFileName(found) != Binary)
        {
            throw new FfmpegNotFoundException(probePath, new FileNotFoundException(
                $"FFMpegCore runs a binary named '{Binary}'; point ProbePath at one, e.g. a link named {Binary} in a folder of its own"));
        }
        return new FFOptions { BinaryFolder = Path.GetDirectoryName(found)! };
    }
}

/// <summary>ffprobe could not read a camera; the message is ffprobe's, with any password masked.</summary>
public sealed class MediaProbeException(string message) : Exception(message);
