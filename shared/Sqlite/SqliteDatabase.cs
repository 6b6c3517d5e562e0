using Microsoft.Data.Sqlite;

namespace Cctv.Shared.Sqlite;

/// <summary>
/// One SQLite file with the settings every store here needs: WAL (readers never block the writer),
/// synchronous=FULL (a committed row survives a power cut), a busy timeout for the other process
/// (edge and functions share the embedded catalog), and the schema applied once.
/// </summary>
public sealed class SqliteDatabase
{
    static SqliteDatabase() => SQLitePCL.Batteries_V2.Init();

    private readonly string _connectionString;

    public SqliteDatabase(string path, string schema)
    {
        Path = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
        using SqliteConnection connection = Open();
        using SqliteCommand wal = connection.CreateCommand();
        wal.CommandText = "PRAGMA journal_mode=WAL;";
        wal.ExecuteNonQuery();
        using SqliteTransaction tx = connection.BeginTransaction();
        using SqliteCommand create = connection.CreateCommand();
        create.Transaction = tx;
        create.CommandText = schema;
        create.ExecuteNonQuery();
        tx.Commit();
    }

    public string Path { get; }

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<SQLitePCL.sqlite3, object> Configured = new();
    private static readonly object Marker = new();

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lock> Gates = new(StringComparer.Ordinal);

    /// <summary>
    /// A connection that holds this file's process-wide gate until it is disposed. The SQLite bundled here waits for a
    /// busy database in whole seconds (built without usleep), so writers of one process colliding on the file stalled
    /// for a second each; taking turns in the process costs microseconds instead. Other processes still meet SQLite's
    /// busy timeout. Connections are used synchronously, opened and disposed on one thread; the gate is reentrant.
    /// </summary>
    public SqliteConnection Open() => Open(unflushed: false);

    /// <summary>
    /// As <see cref="Open"/>, but its commits do not wait for the disk (synchronous=NORMAL until it is disposed; the next
    /// holder of the connection gets its own setting back). Such a commit survives a crash of this process, not always a power cut: the WAL
    /// reaches the disk with the next ordinary commit of any connection (an fsync covers the whole file) or checkpoint,
    /// and a cut before that takes back these commits and nothing else (the file stays consistent). For rows whose loss
    /// only costs a repeat: what the next start redoes anyway, or asks another source for.
    /// </summary>
    public SqliteConnection OpenUnflushed() => Open(unflushed: true);

    /// <summary>
    /// Makes every commit so far survive a power cut, those of unflushed connections too: one fsync of the write-ahead log,
    /// which holds them (a commit that did not wait wrote its pages there and stopped short of the fsync). For writers that
    /// commit several rows in a row and need them durable only together: one fsync where each would have had its own. No
    /// log, nothing to do: a checkpoint that emptied it synced the database file first.
    /// </summary>
    public void Flush()
    {
        try
        {
            Local.Durability.FsyncFile(Path + "-wal");
        }
        catch (FileNotFoundException)
        {
        }
    }

    /// <summary>
    /// The connection this process keeps open on the file, made at first use. One, not one per synchronous setting: a commit on
    /// one connection made SQLite drop the other's whole page cache at its next transaction (the write-ahead log had changed
    /// under it), and at 16 cameras the re-reads, two system calls a page, were a third of the agent's calls.
    /// </summary>
    private ResidentConnection? _resident;

    private SqliteConnection Open(bool unflushed)
    {
        Lock gate = Gates.GetOrAdd(Path, _ => new Lock());
        bool nested = gate.IsHeldByCurrentThread;
        gate.Enter();
        if (!nested)
        {
            // The gate makes this thread the file's only user in the process: it gets the resident connection, whose statements
            // stay prepared. A nested open (a store calling another while it holds a connection) gets a pooled one, as before.
            try
            {
                ResidentConnection resident = _resident ??= ResidentConnection.Create(_connectionString);
                resident.Hold(gate, unflushed);
                return resident;
            }
            catch
            {
                gate.Exit();
                throw;
            }
        }
        try
        {
            var connection = new GatedConnection(_connectionString, gate, unflushed);
            connection.Open();
            // The settings belong to the native connection, which the pool hands out again and again: set them once per
            // native connection, not per Open (three statements on every outbox call were a measurable share of the agent's CPU).
            if (!Configured.TryGetValue(connection.Handle!, out _))
            {
                using SqliteCommand pragmas = connection.CreateCommand();
                pragmas.CommandText = "PRAGMA synchronous=FULL; PRAGMA busy_timeout=30000; PRAGMA foreign_keys=ON;";
                pragmas.ExecuteNonQuery();
                Configured.AddOrUpdate(connection.Handle!, Marker);
            }
            if (unflushed)
            {
                using SqliteCommand relaxed = connection.CreateCommand();
                relaxed.CommandText = "PRAGMA synchronous=NORMAL;";
                relaxed.ExecuteNonQuery();
            }
            return connection;
        }
        catch
        {
            gate.Exit();
            throw;
        }
    }

    /// <summary>
    /// A connection that stays open for the process's life and keeps each statement it ran prepared, keyed by its SQL (see
    /// <see cref="SqliteExtensions.Command"/>). Every outbox call opened a pooled connection and prepared and finalized its
    /// statements again: perf at 16 cameras put 13% of the agent's samples in SQLite, half of it parsing and planning (6.7%
    /// after this); a prepared statement is only bound and stepped. Each holder says whether its commits wait for the disk,
    /// and the synchronous setting is switched only when that differs from the last holder's (a flag in SQLite, no I/O).
    /// Disposing it releases the gate and nothing else.
    /// </summary>
    private sealed class ResidentConnection : SqliteConnection
    {
        private readonly Dictionary<string, ResidentCommand> _statements = new(StringComparer.Ordinal);
        private Lock? _heldGate;
        private bool _unflushed;

        private ResidentConnection(string connectionString) : base(connectionString)
        {
        }

        public static ResidentConnection Create(string connectionString)
        {
            var connection = new ResidentConnection(connectionString);
            connection.Open();
            using SqliteCommand pragmas = connection.CreateCommand();
            // A page cache of 512 KiB, not SQLite's 2 MiB: what the outbox reads again and again (the open rows, the indexes' ends)
            // is a few dozen pages, and a full 2 MiB cache put the agent's peak RSS at 16 cameras 3 MB higher.
            pragmas.CommandText = "PRAGMA synchronous=FULL; PRAGMA busy_timeout=30000; PRAGMA foreign_keys=ON; PRAGMA cache_size=-512;";
            pragmas.ExecuteNonQuery();
            return connection;
        }

        public void Hold(Lock gate, bool unflushed)
        {
            if (unflushed != _unflushed)
            {
                Statement(unflushed ? "PRAGMA synchronous=NORMAL;" : "PRAGMA synchronous=FULL;").ExecuteNonQuery();
                _unflushed = unflushed;
            }
            _heldGate = gate;
        }

        /// <summary>The statement for <paramref name="sql"/>, prepared once: its parameters cleared, no transaction set.</summary>
        public ResidentCommand Statement(string sql)
        {
            if (!_statements.TryGetValue(sql, out ResidentCommand? command))
            {
                command = new ResidentCommand(sql, this);
                _statements[sql] = command;
            }
            command.Parameters.Clear();
            command.Transaction = null;
            return command;
        }

        protected override void Dispose(bool disposing)
        {
            if (!disposing)
            {
                base.Dispose(disposing);
                return;
            }
            // Every transaction is disposed before its connection (using); one left open here would swallow the next user's commits.
            System.Diagnostics.Debug.Assert(SQLitePCL.raw.sqlite3_get_autocommit(Handle) != 0, "a transaction outlived its call on the resident connection");
            Lock? gate = _heldGate;
            _heldGate = null;
            gate?.Exit();
        }
    }

    /// <summary>A statement of a <see cref="ResidentConnection"/>: disposing it at the end of a call keeps it prepared for the next.</summary>
    private sealed class ResidentCommand(string sql, SqliteConnection connection) : SqliteCommand(sql, connection)
    {
        protected override void Dispose(bool disposing)
        {
            if (!disposing)
            {
                base.Dispose(disposing);
            }
        }
    }

    /// <summary>The resident connection's prepared statement for <paramref name="sql"/>, or null for any other connection.</summary>
    internal static SqliteCommand? ResidentStatement(SqliteConnection connection, string sql) =>
        connection is ResidentConnection resident ? resident.Statement(sql) : null;

    private sealed class GatedConnection(string connectionString, Lock gate, bool unflushed) : SqliteConnection(connectionString)
    {
        private int _released;

        protected override void Dispose(bool disposing)
        {
            try
            {
                if (disposing && unflushed && State == System.Data.ConnectionState.Open && _released == 0)
                {
                    using SqliteCommand full = CreateCommand();
                    full.CommandText = "PRAGMA synchronous=FULL;"; // the native connection goes back to the pool as every other one is
                    full.ExecuteNonQuery();
                }
                base.Dispose(disposing);
            }
            finally
            {
                if (disposing && Interlocked.Exchange(ref _released, 1) == 0)
                {
                    gate.Exit();
                }
            }
        }
    }
}

/// <summary>Small helpers that keep the SQL call sites short.</summary>
public static class SqliteExtensions
{
    /// <summary>A command for <paramref name="sql"/> with its parameters; on the database's resident connection, its prepared statement.</summary>
    public static SqliteCommand Command(this SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        SqliteCommand command = SqliteDatabase.ResidentStatement(connection, sql) ?? connection.CreateCommand();
        if (command.CommandText != sql)
        {
            command.CommandText = sql; // a new text would drop the prepared statement
        }
        foreach ((string name, object? value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }
        return command;
    }

    public static long? GetNullableInt64(this SqliteDataReader reader, string column)
    {
        int i = reader.GetOrdinal(column);
        return reader.IsDBNull(i) ? null : reader.GetInt64(i);
    }

    public static string? GetNullableString(this SqliteDataReader reader, string column)
    {
        int i = reader.GetOrdinal(column);
        return reader.IsDBNull(i) ? null : reader.GetString(i);
    }

    /// <summary>
    /// Lets a column that an earlier version created <c>NOT NULL</c> hold null, keeping its values: SQLite cannot change a
    /// column's constraint in place, so the values move to a new nullable column that takes the old one's name (one transaction).
    /// A column that is already nullable (or absent) is left alone. The column must be in no index or constraint.
    /// </summary>
    public static void MakeColumnNullable(this SqliteConnection connection, string table, string column, string type)
    {
        using SqliteTransaction tx = connection.BeginTransaction();
        using (SqliteCommand info = connection.Command($"SELECT \"notnull\" FROM pragma_table_info('{table}') WHERE name = $col", ("$col", column)))
        {
            info.Transaction = tx;
            if (info.ExecuteScalar() is not long notNull || notNull == 0)
            {
                return;
            }
        }
        using (SqliteCommand move = connection.Command($"""
            ALTER TABLE {table} ADD COLUMN {column}_nullable {type};
            UPDATE {table} SET {column}_nullable = {column};
            ALTER TABLE {table} DROP COLUMN {column};
            ALTER TABLE {table} RENAME COLUMN {column}_nullable TO {column};
            """))
        {
            move.Transaction = tx;
            move.ExecuteNonQuery();
        }
        tx.Commit();
    }

    /// <summary>How many rows of <paramref name="table"/> are in each state (its <c>state</c> column, read by <paramref name="parse"/>); 0 for a state no row is in.</summary>
    public static Dictionary<TState, long> CountByState<TState>(this SqliteConnection connection, string table, Func<string, TState> parse)
        where TState : struct, Enum
    {
        var counts = Enum.GetValues<TState>().ToDictionary(s => s, _ => 0L);
        using SqliteCommand q = connection.Command($"SELECT state, COUNT(*) FROM {table} GROUP BY state");
        using SqliteDataReader r = q.ExecuteReader();
        while (r.Read())
        {
            counts[parse(r.GetString(0))] = r.GetInt64(1);
        }
        return counts;
    }

    public static long ToUnixMs(this DateTimeOffset t) => t.ToUnixTimeMilliseconds();

    public static DateTimeOffset FromUnixMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);
}
