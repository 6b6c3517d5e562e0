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
    public void AnUnflushedConnection_CommitsWithoutWaitingForTheDisk_AndThePoolGetsItBackDurable()
    {
        var db = new SqliteDatabase(Path.Combine(_dir, "d.db"), "CREATE TABLE IF NOT EXISTS t (x INTEGER);");
        SQLitePCL.sqlite3 native;
        using (SqliteConnection unflushed = db.OpenUnflushed())
        {
            native = unflushed.Handle!;
            Assert.Equal(1L, Scalar(unflushed, "PRAGMA synchronous;")); // NORMAL
            Scalar(unflushed, "INSERT INTO t VALUES (1);");
        }

        using SqliteConnection next = db.Open();
        Assert.Same(native, next.Handle); // the pool's same native connection...
        Assert.Equal(2L, Scalar(next, "PRAGMA synchronous;")); // ...FULL again
        Assert.Equal(1L, Scalar(next, "SELECT COUNT(*) FROM t;"));
    }

    private static object? Scalar(SqliteConnection connection, string sql)
    {
        using SqliteCommand command = connection.Command(sql);
        return command.ExecuteScalar();
    }
}
