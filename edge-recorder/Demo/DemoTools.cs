using System.Diagnostics;
using System.Runtime.InteropServices;
using Cctv.EdgeRecorder.Commands;

namespace Cctv.Demo;

/// <summary>
/// The programs the demo runs (FFmpeg for the cameras and the recorder, rtsp-server-perl for the cameras' server) and how
/// it gets them on a fresh machine: when one is missing and it may install (running as root, with apt-get on the PATH)
/// it installs Debian's packages with apt-get, non-interactively, saying so; otherwise it stops with one line that says
/// exactly what to run.
/// </summary>
public sealed class DemoTools
{
    /// <summary>The executables the demo runs, each with the Debian package that provides it.</summary>
    public static readonly IReadOnlyList<(string Executable, string Package)> Needed =
    [
        ("ffmpeg", "ffmpeg"),
        ("ffprobe", "ffmpeg"),
        (SyntheticCameras.RtspServerExecutable, "rtsp-server-perl"),
    ];

    private readonly string _path;
    private readonly bool _isRoot;
    private readonly TextWriter _out;

    /// <param name="path">The PATH the programs are looked up in (the process's own, for the demo).</param>
    /// <param name="isRoot">Whether this process may install packages.</param>
    /// <param name="output">Where it says what it does.</param>
    public DemoTools(string path, bool isRoot, TextWriter output)
    {
        _path = path;
        _isRoot = isRoot;
        _out = output;
    }

    /// <summary>For this process: its PATH, its effective user, the console.</summary>
    public static DemoTools ForThisProcess() =>
        new(Environment.GetEnvironmentVariable("PATH") ?? "", geteuid() == 0, Console.Out);

    /// <summary>The Debian packages that provide what is missing from the PATH, in order, each once.</summary>
    public IReadOnlyList<string> MissingPackages() =>
        Needed.Where(t => Find(t.Executable) is null).Select(t => t.Package).Distinct().ToList();

    /// <summary>Returns once every program is on the PATH, installing them first when it may.</summary>
    /// <exception cref="MissingToolException">One is missing and cannot be installed from here, or the install did not provide it.</exception>
    public async Task EnsureAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<string> missing = MissingPackages();
        if (missing.Count == 0)
        {
            return;
        }
        string packages = string.Join(' ', missing);
        string names = missing.Count == 1 ? missing[0] : string.Join(", ", missing.SkipLast(1)) + " and " + missing[^1];
        string? aptGet = Find("apt-get");
        if (aptGet is null)
        {
            throw new MissingToolException($"The demo needs {names}, not found on the PATH: install them (Debian or Ubuntu: sudo apt-get install -y {packages}) and run it again.");
        }
        if (!_isRoot)
        {
            throw new MissingToolException($"The demo needs {names}, not found on the PATH: run `sudo apt-get install -y {packages}`, then the demo again.");
        }

        await _out.WriteLineAsync($"The demo needs {names}, not found on the PATH: installing Debian's packages (apt-get update, then apt-get install -y {packages})…");
        int update = await RunAsync(aptGet, ["update", "-q"], cancellationToken);
        int install = update == 0 ? await RunAsync(aptGet, ["install", "-y", "-q", "--no-install-recommends", .. missing], cancellationToken) : update;
        IReadOnlyList<string> stillMissing = MissingPackages();
        if (install != 0 || stillMissing.Count > 0)
        {
            throw new MissingToolException(
                $"Installing {packages} with apt-get did not work (apt-get {(update != 0 ? "update" : "install")} exited {install}{(stillMissing.Count > 0 ? $"; still missing: {string.Join(' ', stillMissing)}" : "")}): run `apt-get install -y {packages}` and look at what it says.");
        }
        await _out.WriteLineAsync($"Installed {packages}.");
    }

    private async Task<int> RunAsync(string aptGet, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var psi = new ProcessStartInfo(aptGet) { UseShellExecute = false };
        foreach (string a in arguments)
        {
            psi.ArgumentList.Add(a);
        }
        // Never a question on the terminal (a package's configuration dialogue): the defaults.
        psi.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        psi.Environment["PATH"] = _path;
        using Process process = Process.Start(psi) ?? throw new MissingToolException($"{aptGet} could not be started: run `apt-get install -y {string.Join(' ', MissingPackages())}`.");
        // Not cancelled by a stop signal: dpkg interrupted half-way leaves the system to repair. A Ctrl+C in the terminal
        // reaches apt-get itself, which stops in order.
        await process.WaitForExitAsync(CancellationToken.None);
        cancellationToken.ThrowIfCancellationRequested();
        return process.ExitCode;
    }

    private string? Find(string executable)
    {
        foreach (string dir in _path.Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, executable);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    [DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint geteuid();
}
