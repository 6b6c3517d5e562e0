using System.CommandLine;
using System.CommandLine.Invocation;
using System.Security.Cryptography;

namespace Cctv.Shared.Evidence;

/// <summary>
/// <c>verify BUNDLE [--key PEM]...</c>: checks an evidence bundle offline and prints <see cref="BundleReportText"/>.
/// Exit codes: 0 intact, 1 broken (tampered or incomplete), 2 unreadable input or bad arguments.
/// </summary>
public static class VerifyCommand
{
    public const int Intact = 0;
    public const int Broken = 1;
    public const int Unreadable = CommandLine.CommandLines.BadArguments;

    public static Command Create()
    {
        var bundle = new Argument<FileInfo>("BUNDLE", "The evidence bundle (.zip) to verify.");
        var keys = new Option<FileInfo[]>("--key", "The recorder's public key (PEM), obtained separately, to pin: a key in the bundle that differs is a break. Repeat for a rotated key.")
        { Arity = ArgumentArity.OneOrMore };
        var command = new Command("verify", "Verify an evidence bundle offline: every segment's hash, every signature, the chain; print the covered time, the gaps and a verdict (exit 0 intact, 1 broken, 2 unreadable).")
        {
            bundle, keys,
        };
        command.SetHandler((InvocationContext context) =>
        {
            context.ExitCode = Run(context.ParseResult.GetValueForArgument(bundle).FullName,
                context.ParseResult.GetValueForOption(keys)?.Select(k => k.FullName).ToList() ?? [], Console.Out, Console.Error);
        });
        return command;
    }

    /// <summary>Verifies <paramref name="bundlePath"/>, pinning the keys in <paramref name="keyPaths"/> if any; the report to <paramref name="output"/>, a reason it could not to <paramref name="error"/>.</summary>
    public static int Run(string bundlePath, IReadOnlyList<string> keyPaths, TextWriter output, TextWriter error)
    {
        List<EvidencePublicKey>? pinned = null;
        if (keyPaths.Count > 0)
        {
            pinned = [];
            foreach (string path in keyPaths)
            {
                try
                {
                    var file = new FileInfo(path);
                    if (!file.Exists || file.Length > EvidenceBundle.MaxKeyBytes)
                    {
                        error.WriteLine($"--key {path}: no such file, or larger than a public key ({EvidenceBundle.MaxKeyBytes} bytes).");
                        return Unreadable;
                    }
                    pinned.Add(EvidencePublicKey.FromPem(File.ReadAllText(path)));
                }
                catch (Exception e) when (e is FormatException or CryptographicException or IOException or UnauthorizedAccessException)
                {
                    error.WriteLine($"--key {path} is not a P-256 public key in PEM (-----BEGIN PUBLIC KEY-----): {e.Message}");
                    return Unreadable;
                }
            }
        }
        try
        {
            using EvidenceBundle bundle = EvidenceBundle.Open(bundlePath);
            BundleReport report = BundleVerifier.Verify(bundle, pinned);
            BundleReportText.Write(report, output, Path.GetFileName(bundlePath));
            return report.IsIntact ? Intact : Broken;
        }
        catch (BundleFormatException e)
        {
            error.WriteLine(EvidenceBundle.Printable(e.Message));
            return Unreadable;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Whatever a hostile file finds that the checks above did not foresee: a sentence and exit 2, never a
            // stack trace, and never 1, which would claim the evidence was checked and found broken.
            error.WriteLine(EvidenceBundle.Printable($"{Path.GetFileName(bundlePath)} could not be verified: {e.GetType().Name}: {e.Message}"));
            return Unreadable;
        }
    }
}
