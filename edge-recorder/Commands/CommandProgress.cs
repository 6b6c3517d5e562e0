using Spectre.Console;

namespace Cctv.EdgeRecorder.Commands;

/// <summary>
/// Progress of a long command: a bar in a terminal, plain lines ("uploaded 12 of 40") when the output is redirected
/// to a file or a pipe, where a bar would only leave control characters.
/// </summary>
public static class CommandProgress
{
    public static bool Interactive => !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    /// <param name="work">Runs the work; report(done) moves the progress to <c>done</c> of <paramref name="total"/>.</param>
    public static async Task RunAsync(string verb, int total, Func<Action<int>, Task> work)
    {
        if (Interactive)
        {
            await AnsiConsole.Progress().StartAsync(async p =>
            {
                ProgressTask task = p.AddTask(verb, maxValue: Math.Max(1, total));
                await work(done => task.Value = Math.Min(done, Math.Max(1, total)));
            });
            return;
        }
        int last = -1;
        await work(done =>
        {
            if (done != last)
            {
                Console.WriteLine($"{verb} {done} of {total}");
                last = done;
            }
        });
    }
}
