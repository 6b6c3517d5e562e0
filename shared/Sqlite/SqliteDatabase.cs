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

    public SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        using SqliteCommand pragmas = connection.CreateCommand();
        pragmas.CommandText = "PRAGMA synchronous=FULL; PRAGMA busy_timeout=30000; PRAGMA foreign_keys=ON;";
        pragmas.ExecuteNonQuery();
        return connection;
    }
}

/// <summary>Small helpers that keep the SQL call sites short.</summary>
public static class SqliteExtensions
{
    public static SqliteCommand Command(this SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
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

    public static long ToUnixMs(this DateTimeOffset t) => t.ToUnixTimeMilliseconds();

    public static DateTimeOffset FromUnixMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);
}
