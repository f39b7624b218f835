package io.terok.vault.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * The few JDBC shapes the vault's four tables need: parameters bound in order, each row read by the caller. Plain JDBC
 * instead of an ORM: Hibernate's 4000-odd classes cost the vault about a third of its resident memory (see
 * docs/reliability.md, "Lean services") for what is a handful of statements.
 */
public final class Sql {
    private Sql() {
    }

    /** A unit of work in one transaction ({@link VaultDatabase#inTransaction}). */
    @FunctionalInterface
    public interface Work<T> {
        T apply(Connection c) throws SQLException;
    }

    /** Reads the current row of a result. */
    @FunctionalInterface
    public interface RowReader<T> {
        T read(ResultSet r) throws SQLException;
    }

    public static <T> List<T> list(Connection c, String sql, RowReader<T> reader, Object... params) throws SQLException {
        try (PreparedStatement s = prepare(c, sql, params); ResultSet r = s.executeQuery()) {
            List<T> out = new ArrayList<>();
            while (r.next()) {
                out.add(reader.read(r));
            }
            return out;
        }
    }

    /** The one row the query finds, or null; more than one is a broken invariant (the schema's keys forbid it). */
    public static <T> T one(Connection c, String sql, RowReader<T> reader, Object... params) throws SQLException {
        List<T> rows = list(c, sql, reader, params);
        if (rows.size() > 1) {
            throw new SQLException("expected at most one row, found " + rows.size() + ": " + sql);
        }
        return rows.isEmpty() ? null : rows.get(0);
    }

    /** INSERT, UPDATE or DELETE; the number of rows changed. */
    public static int update(Connection c, String sql, Object... params) throws SQLException {
        try (PreparedStatement s = prepare(c, sql, params)) {
            return s.executeUpdate();
        }
    }

    /** An INSERT into a table with an INTEGER PRIMARY KEY: the new row's id. */
    public static long insert(Connection c, String sql, Object... params) throws SQLException {
        update(c, sql, params);
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT last_insert_rowid()")) {
            r.next();
            return r.getLong(1);
        }
    }

    /** A nullable INTEGER column. */
    public static Long nullableLong(ResultSet r, String column) throws SQLException {
        long v = r.getLong(column);
        return r.wasNull() ? null : v;
    }

    private static PreparedStatement prepare(Connection c, String sql, Object... params) throws SQLException {
        PreparedStatement s = c.prepareStatement(sql);
        try {
            for (int i = 0; i < params.length; i++) {
                s.setObject(i + 1, params[i]);
            }
            return s;
        } catch (SQLException | RuntimeException e) {
            s.close();
            throw e;
        }
    }
}
