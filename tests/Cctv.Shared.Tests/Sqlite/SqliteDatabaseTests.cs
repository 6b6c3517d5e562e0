using Cctv.Shared.Sqlite;
using Microsoft.Data.Sqlite;

namespace Cctv.Shared.Tests.Sqlite;

public sealed class SqliteDatabaseTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cctv-sqlite-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void EveryConnection_IsDurableAndChecksForeignKeys_WhetherNewOrHandedOutAgainByThePool()
    {
        var db = new SqliteDatabase(Path.Combine(_dir, "a.db"), "CREATE TABLE IF NOT EXISTS t (x INTEGER);");

        for (int i = 0; i < 3; i++)
        {
            using SqliteConnection connection = db.Open();
            Assert.Equal(2L, Scalar(connection, "PRAGMA synchronous;")); // FULL: a committed row survives a power cut
            Assert.Equal(1L, Scalar(connection, "PRAGMA foreign_keys;"));
            Assert.Equal(30000L, Scalar(connection, "PRAGMA busy_timeout;"));
            Assert.Equal("wal", Scalar(connection, "PRAGMA journal_mode;"));
        }
    }

    [Fact]
    public void TwoOpenConnectionsToOneFile_EachHasTheSettings()
    {
        var db = new SqliteDatabase(Path.Combine(_dir, "b.db"), "CREATE TABLE IF NOT EXISTS t (x INTEGER);");
        var other = new SqliteDatabase(Path.Combine(_dir, "c.db"), "CREATE TABLE IF NOT EXISTS t (x INTEGER);");

        using SqliteConnection first = db.Open();
        using SqliteConnection second = db.Open(); // the gate is reentrant on this thread; the pool must give a second native connection
        using SqliteConnection third = other.Open();

        Assert.NotSame(first.Handle, second.Handle);
        foreach (SqliteConnection connection in new[] { first, second, third })
        {
            Assert.Equal(2L, Scalar(connection, "PRAGMA synchronous;"));
            Assert.Equal(1L, Scalar(connection, "PRAGMA foreign_keys;"));
        }
    }

    [Fact]
    public void AnUnflushedConnection_CommitsWithoutWaitingForTheDisk_AndAnOrdinaryOneStillWaits()
    {
        var db = new SqliteDatabase(Path.Combine(_dir, "d.db"), "CREATE TABLE IF NOT EXISTS t (x INTEGER);");
        for (int i = 0; i < 2; i++) // and again: neither setting leaks into the other kind
        {
            using (SqliteConnection unflushed = db.OpenUnflushed())
            {
                Assert.Equal(1L, Scalar(unflushed, "PRAGMA synchronous;")); // NORMAL
                Scalar(unflushed, "INSERT INTO t VALUES (1);");
            }
            using SqliteConnection next = db.Open();
            Assert.Equal(2L, Scalar(next, "PRAGMA synchronous;")); // FULL
            Assert.Equal(i + 1L, Scalar(next, "SELECT COUNT(*) FROM t;"));
        }
    }

    [Fact]
    public void Flush_FsyncsTheWriteAheadLog_WhereCommitsThatDidNotWaitAre()
    {
        var db = new SqliteDatabase(Path.Combine(_dir, "h.db"), "CREATE TABLE IF NOT EXISTS t (x INTEGER);");
        var synced = new System.Collections.Concurrent.ConcurrentQueue<string>();
        void OnSynced(string path)
        {
            if (path.StartsWith(_dir, StringComparison.Ordinal))
            {
                synced.Enqueue(path);
            }
        }
        Cctv.Shared.Local.Durability.Synced += OnSynced;
        try
        {
            using (SqliteConnection c = db.OpenUnflushed())
            {
                Scalar(c, "INSERT INTO t VALUES (1);");
            }
            Assert.True(File.Exists(db.Path + "-wal"), "the unflushed commit is in the write-ahead log");

            db.Flush();

            Assert.Equal([db.Path + "-wal"], synced);
        }
        finally
        {
            Cctv.Shared.Local.Durability.Synced -= OnSynced;
        }
    }

    [Fact]
    public void AStatement_StaysPreparedBetweenCalls_OnTheDatabasesOwnConnection()
    {
        // Preparing every statement again on each outbox call was most of SQLite's share of the agent's CPU.
        var db = new SqliteDatabase(Path.Combine(_dir, "e.db"), "CREATE TABLE IF NOT EXISTS t (x INTEGER);");
        SQLitePCL.sqlite3 native;
        using (SqliteConnection first = db.Open())
        {
            native = first.Handle!;
            Assert.Equal(0L, Scalar(first, "SELECT COUNT(*) FROM t WHERE x = $x;", ("$x", 1)));
        }
        using (SqliteConnection second = db.Open())
        {
            Assert.Same(native, second.Handle);
            Scalar(second, "INSERT INTO t VALUES ($x);", ("$x", 1));
            Assert.Equal(1L, Scalar(second, "SELECT COUNT(*) FROM t WHERE x = $x;", ("$x", 1))); // bound anew: the new value
        }

        int held = StatementMemory(native);
        Assert.True(held > 0, "the statements were finalized when their calls ended");
        for (int i = 0; i < 10; i++)
        {
            using SqliteConnection again = db.Open();
            Scalar(again, "SELECT COUNT(*) FROM t WHERE x = $x;", ("$x", i));
        }
        Assert.Equal(held, StatementMemory(native)); // prepared once: ten more calls prepared nothing new
    }

    [Fact]
    public void APreparedStatement_UsedInATransaction_RunsOutsideOneOnTheNextCall()
    {
        var db = new SqliteDatabase(Path.Combine(_dir, "f.db"), "CREATE TABLE IF NOT EXISTS t (x INTEGER);");
        using (SqliteConnection c = db.Open())
        using (SqliteTransaction tx = c.BeginTransaction())
        {
            using SqliteCommand insert = c.Command("INSERT INTO t VALUES ($x);", ("$x", 1));
            insert.Transaction = tx;
            insert.ExecuteNonQuery();
            tx.Commit();
        }
        using (SqliteConnection c = db.Open())
        {
            Scalar(c, "INSERT INTO t VALUES ($x);", ("$x", 2)); // the statement forgot the finished transaction
            using SqliteTransaction rolledBack = c.BeginTransaction();
            using SqliteCommand insert = c.Command("INSERT INTO t VALUES ($x);", ("$x", 3));
            insert.Transaction = rolledBack;
            insert.ExecuteNonQuery();
        }
        using SqliteConnection after = db.Open();
        Assert.Equal(3L, Scalar(after, "SELECT SUM(x) FROM t;")); // 1 + 2; the disposed transaction took 3 back
    }

    [Fact]
    public void TheGate_StillLetsOneThreadAtATimeIn()
    {
        var db = new SqliteDatabase(Path.Combine(_dir, "g.db"), "CREATE TABLE IF NOT EXISTS t (x INTEGER);");
        SqliteConnection held = db.OpenUnflushed();
        var other = new Thread(() =>
        {
            using SqliteConnection c = db.Open();
            Scalar(c, "INSERT INTO t VALUES (1);");
        });
        other.Start();
        Assert.False(other.Join(TimeSpan.FromMilliseconds(300)), "another thread got in while the gate was held");
        held.Dispose();
        Assert.True(other.Join(TimeSpan.FromSeconds(10)));
        held.Dispose(); // a second dispose releases nothing more
        using SqliteConnection again = db.Open();
        Assert.Equal(1L, Scalar(again, "SELECT COUNT(*) FROM t;"));
    }

    [Fact]
    public void CommitsThatDoNotWaitForTheDisk_LeaveTheOrdinaryCallsPageCacheWarm()
    {
        // Two connections (one per synchronous setting) made each commit on one cost the other its whole page cache.
        var db = new SqliteDatabase(Path.Combine(_dir, "i.db"), "CREATE TABLE IF NOT EXISTS t (x INTEGER, pad TEXT);");
        using (SqliteConnection c = db.Open())
        {
            Scalar(c, "WITH RECURSIVE n(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM n WHERE v < 200) INSERT INTO t SELECT v, printf('%.500c', 'x') FROM n;");
        }
        long missesBefore = 0;
        for (int i = 0; i < 20; i++)
        {
            using (SqliteConnection unflushed = db.OpenUnflushed())
            {
                Scalar(unflushed, "UPDATE t SET x = x + 1 WHERE rowid = $r;", ("$r", i + 1));
            }
            using SqliteConnection reader = db.Open();
            Assert.Equal(200L, Scalar(reader, "SELECT COUNT(*) FROM t WHERE length(pad) = 500;")); // every page of the table
            if (i == 0)
            {
                missesBefore = CacheMisses(reader.Handle!);
            }
        }
        using SqliteConnection last = db.Open();
        // The table's pages read 19 times more: none of them missed again (with two connections, 551 more misses).
        Assert.Equal(missesBefore, CacheMisses(last.Handle!));
    }

    /// <summary>How many pages the native connection has had to read into its page cache (SQLITE_DBSTATUS_CACHE_MISS).</summary>
    private static long CacheMisses(SQLitePCL.sqlite3 native)
    {
        const int CacheMiss = 8;
        Assert.Equal(0, SQLitePCL.raw.sqlite3_db_status(native, CacheMiss, out int current, out _, 0));
        return current;
    }

    /// <summary>The memory the native connection's prepared statements take now (SQLITE_DBSTATUS_STMT_USED).</summary>
    private static int StatementMemory(SQLitePCL.sqlite3 native)
    {
        const int StmtUsed = 3;
        Assert.Equal(0, SQLitePCL.raw.sqlite3_db_status(native, StmtUsed, out int current, out _, 0));
        return current;
    }

    private static object? Scalar(SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        using SqliteCommand command = connection.Command(sql, parameters);
        return command.ExecuteScalar();
    }
}
