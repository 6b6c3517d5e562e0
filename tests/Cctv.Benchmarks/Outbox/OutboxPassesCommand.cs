using System.Diagnostics;
using System.Globalization;
using Cctv.EdgeRecorder.Cameras;
using Cctv.EdgeRecorder.Outbox;
using Cctv.Shared.Domain;
using Cctv.Shared.Hashing;
using Microsoft.Data.Sqlite;

namespace Cctv.Benchmarks.Outbox;

/// <summary>
/// <c>outbox-passes</c>: what the recorder's per-pass reads cost as its history grows. Segment rows never leave the outbox
/// (16 cameras at 4-second segments add 345,600 a day) and FFmpeg's segment list of a run only grows (21,600 lines a day
/// per camera). For each history size: an outbox of that many chained segments (16 cameras, one recorder) and one run's
/// segment list of a sixteenth of them; then, pass after pass, one more segment, and the reads a pass makes now, timed side
/// by side with the reads they replaced (the peer, on the same files in the same run): the chain's append, which asked
/// every segment row whether it was chained; finding the cameras with unsigned chain entries, which grouped every entry;
/// the run's segment list, read whole; whether the run's newest segment is sealed, from every sealed sequence of the run;
/// the sealer's look at the run's files when none has been cleaned up (verification lagging: one empty file per segment
/// of the run), which listed the directory. Prints the median of the passes in milliseconds.
/// </summary>
internal static class OutboxPassesCommand
{
    private const string Recorder = "bench-edge";
    private const int Cameras = 16;

    private const string WholeScanBefore = """
        SELECT s.id, s.camera_id, s.run, s.seq, s.start_ms, s.end_ms, s.size, s.sha256 FROM segments s
        WHERE NOT EXISTS (SELECT 1 FROM chain ch WHERE ch.ref = s.id)
        """;

    private const string CamerasBefore = """
        SELECT ch.camera_id FROM chain ch WHERE ch.recorder_id = $rec GROUP BY ch.camera_id
        HAVING MAX(ch.idx) > COALESCE((SELECT MAX(m.last_idx) FROM manifests m WHERE m.recorder_id = $rec AND m.camera_id = ch.camera_id), -1)
        ORDER BY ch.camera_id
        """;

    public static int Run(string[] args)
    {
        int[] sizes = [10_000, 100_000, 345_600];
        int passes = 20;
        try
        {
            for (int i = 0; i < args.Length; i++)
            {
                switch (args[i])
                {
                    case "--rows" when i + 1 < args.Length:
                        sizes = args[++i].Split(',').Select(s => int.Parse(s, NumberStyles.None, CultureInfo.InvariantCulture)).ToArray();
                        break;
                    case "--passes" when i + 1 < args.Length:
                        passes = int.Parse(args[++i], NumberStyles.None, CultureInfo.InvariantCulture);
                        break;
                    default:
                        throw new ArgumentException($"unknown option {args[i]}");
                }
            }
            if (sizes.Any(s => s < Cameras) || passes < 1)
            {
                throw new ArgumentException($"--rows takes sizes of at least {Cameras}, --passes at least 1");
            }
        }
        catch (Exception e) when (e is FormatException or ArgumentException or OverflowException)
        {
            Console.Error.WriteLine($"outbox-passes: {e.Message}");
            return 2;
        }

        Console.WriteLine($"outbox-passes: {Cameras} cameras, one recorder; each row the median of {passes} passes, one new segment each, in ms");
        Console.WriteLine();
        Console.WriteLine("| segment rows (one run's list: lines) | chain append: now | before: every row asked | cameras with unsigned entries: now | before: every entry grouped | run's segment list: now | before: read whole | newest sealed?: now | before: every sealed sequence | run's files: now | before: directory listed |");
        Console.WriteLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        foreach (int size in sizes)
        {
            Console.WriteLine(Measure(size, passes));
        }
        return 0;
    }

    private static string Measure(int rows, int passes)
    {
        string dir = Directory.CreateTempSubdirectory("cctv-outbox-passes-").FullName;
        try
        {
            string db = Path.Combine(dir, "outbox.db");
            var outbox = new OutboxStore(db, TimeProvider.System);
            int perCamera = rows / Cameras;
            Fill(db, perCamera);
            outbox.AppendChain(Recorder); // the store's first append looks at every row: the history is chained
            string runDir = Path.Combine(dir, "cam01");
            Directory.CreateDirectory(runDir);
            string list = Path.Combine(runDir, FfmpegArguments.SegmentList);
            File.WriteAllLines(list, Enumerable.Range(0, perCamera).Select(ListLine));
            var follower = new SegmentListFollower(runDir);
            follower.Read();
            for (int seq = 0; seq < perCamera; seq++)
            {
                File.Create(FfmpegArguments.SegmentFile(runDir, seq)).Dispose();
            }
            var files = new Cctv.EdgeRecorder.Pipeline.RunFiles(runDir, TimeProvider.System);
            files.Refresh(); // the first look lists the directory; the next ones within a minute look ahead

            var times = new List<double>[10];
            for (int i = 0; i < times.Length; i++)
            {
                times[i] = [];
            }
            using var peer = new SqliteConnection($"Data Source={db}");
            peer.Open();
            for (int pass = 0; pass < passes; pass++)
            {
                long seq = perCamera + pass;
                outbox.InsertSealed(Row("cam01", seq));
                File.AppendAllText(list, ListLine((int)seq) + "\n");
                File.Create(FfmpegArguments.SegmentFile(runDir, seq)).Dispose();

                times[0].Add(Time(() => outbox.AppendChain(Recorder)));
                times[1].Add(Time(() => ReadAll(peer, WholeScanBefore)));
                times[2].Add(Time(() => outbox.CamerasWithUnsignedEntries(Recorder)));
                times[3].Add(Time(() => ReadAll(peer, CamerasBefore)));
                times[4].Add(Time(() => follower.Read()));
                times[5].Add(Time(() => SegmentList.Read(runDir)));
                times[6].Add(Time(() => outbox.HasSegment("cam01", 1, seq)));
                times[7].Add(Time(() => outbox.SealedSequences("cam01", 1).Contains(seq)));
                times[8].Add(Time(() => files.Refresh()));
                times[9].Add(Time(() => ListRunDirectory(runDir)));
            }
            return string.Create(CultureInfo.InvariantCulture,
                $"| {perCamera * Cameras + passes:N0} ({perCamera + passes:N0}) | {string.Join(" | ", times.Select(t => Median(t).ToString("F3", CultureInfo.InvariantCulture)))} |");
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Writes the history straight into the outbox, one transaction: the rows <see cref="OutboxStore.InsertSealed"/> writes.</summary>
    private static void Fill(string db, int perCamera)
    {
        using var c = new SqliteConnection($"Data Source={db};Pooling=False");
        c.Open();
        using SqliteTransaction tx = c.BeginTransaction();
        using SqliteCommand insert = c.CreateCommand();
        insert.Transaction = tx;
        insert.CommandText = """
            INSERT INTO segments (id, camera_id, run, seq, path, start_ms, end_ms, size, sha256, crc32c, md5, object_name, state, created_ms, updated_ms)
            VALUES ($id, $cam, 1, $seq, $path, $start, $end, $size, $sha, $crc, NULL, $obj, 'uploaded', $start, $end)
            """;
        string[] names = ["$id", "$cam", "$seq", "$path", "$start", "$end", "$size", "$sha", "$crc", "$obj"];
        foreach (string name in names)
        {
            insert.Parameters.Add(new SqliteParameter { ParameterName = name });
        }
        for (int seq = 0; seq < perCamera; seq++)
        {
            for (int camera = 1; camera <= Cameras; camera++)
            {
                OutboxSegment row = Row($"cam{camera:D2}", seq);
                object[] values = [row.Id, row.CameraId, row.Sequence, row.Path, row.StartTime.ToUnixTimeMilliseconds(), row.EndTime.ToUnixTimeMilliseconds(),
                    row.Size, row.Sha256, row.Crc32C, row.ObjectName];
                for (int i = 0; i < names.Length; i++)
                {
                    insert.Parameters[i].Value = values[i];
                }
                insert.ExecuteNonQuery();
            }
        }
        tx.Commit();
    }

    private static readonly DateTimeOffset Start = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    private static OutboxSegment Row(string camera, long seq) =>
        OutboxRows.Sealed(Recorder, camera, 1, seq, $"/var/lib/cctv-edge/spool/{camera}/1/seg_{seq:D6}.mp4", Start.AddSeconds(4 * seq), Start.AddSeconds(4 * seq + 4),
            new SegmentDigest(500_000 + seq, Convert.ToHexStringLower(BitConverter.GetBytes(seq).Concat(new byte[24]).ToArray()), (uint)seq), Start);

    private static string ListLine(int seq) => string.Create(CultureInfo.InvariantCulture, $"seg_{seq:D6}.mp4,{seq * 4}.000000,{seq * 4 + 4}.000000");

    /// <summary>The sealer's look at a run's files before <see cref="Cctv.EdgeRecorder.Pipeline.RunFiles"/>: the directory listed, every name parsed.</summary>
    private static Dictionary<long, string> ListRunDirectory(string runDir) =>
        Directory.EnumerateFiles(runDir, "seg_*.mp4")
            .Select(f => SegmentList.TryParseSequence(Path.GetFileName(f), out long seq) ? (Seq: seq, Path: f) : (Seq: -1L, Path: f))
            .Where(f => f.Seq >= 0).ToDictionary(f => f.Seq, f => f.Path);

    private static void ReadAll(SqliteConnection c, string sql)
    {
        using SqliteCommand q = c.CreateCommand();
        q.CommandText = sql;
        q.Parameters.AddWithValue("$rec", Recorder);
        using SqliteDataReader r = q.ExecuteReader();
        while (r.Read())
        {
        }
    }

    private static double Time(Action action)
    {
        long start = Stopwatch.GetTimestamp();
        action();
        return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }

    private static double Median(List<double> values)
    {
        double[] sorted = [.. values.Order()];
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
