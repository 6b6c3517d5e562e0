namespace Cctv.TestSupport;

/// <summary>
/// A test that needs a real program fails with the install command when it is missing: it never passes
/// quietly without it. (tests/run.sh, README's test command, installs all of them.)
/// </summary>
public static class RequiredTool
{
    public static string Find(string name, string debianPackage)
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = System.IO.Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        throw new InvalidOperationException($"This test needs '{name}', which is not on PATH. Install it: apt-get install {debianPackage}");
    }
}
