//! The writer pool, and why a connection that saw a failed write may not
//! go back into it.
//!
//! When a statement or COMMIT fails with SQLITE_FULL or SQLITE_IOERR (a
//! full disk), SQLite rolls the whole transaction back by itself. sqlx does
//! not notice: the ROLLBACK it sends for the dropped `Transaction` then
//! fails ("no transaction is active") and sqlx keeps counting the
//! connection as one level deep. Its next `begin()` is then a `SAVEPOINT`,
//! and once a `RELEASE` of that savepoint fails on the full disk as well,
//! SQLite keeps a transaction open that sqlx no longer knows about: every
//! later "commit" only releases a savepoint nested inside it, is
//! acknowledged, and is lost at the next restart (seen: 56 of 95 writes).
//! So a connection is only reused when sqlx agrees it is outside any
//! transaction, which holds exactly when every BEGIN it issued was ended
//! by a COMMIT or ROLLBACK that SQLite accepted; otherwise it is closed
//! (SQLite rolls back whatever it still holds) and the pool opens a fresh
//! one for the next write, so the store recovers by itself once space
//! returns.

use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::{Connection, SqliteConnection, SqlitePool};

/// The one-connection pool every write goes through.
pub(crate) async fn pool(opts: SqliteConnectOptions) -> Result<SqlitePool, sqlx::Error> {
    // No ping before handing out a connection: a local database file does
    // not go stale the way a network connection does, and the ping is one
    // more round trip to the connection's worker thread on every query.
    SqlitePoolOptions::new()
        .max_connections(1)
        .test_before_acquire(false)
        .after_release(|conn, _| Box::pin(fit_for_reuse(conn)))
        .connect_with(opts)
        .await
}

/// Whether a connection coming back to the pool may serve the next write.
async fn fit_for_reuse(conn: &mut SqliteConnection) -> Result<bool, sqlx::Error> {
    // After a commit (the usual case) sqlx already knows it is outside a
    // transaction: nothing to wait for.
    if !conn.is_in_transaction() {
        return Ok(true);
    }
    // A dropped `Transaction` queues its ROLLBACK on the connection without
    // waiting for it; the ping runs after it, so the count below is final.
    conn.ping().await?;
    if conn.is_in_transaction() {
        tracing::warn!(
            "closing the metadata writer connection: a failed write left it inside a \
             transaction sqlx could not roll back (SQLite had already ended it); \
             the next write opens a fresh connection"
        );
        return Ok(false);
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::str::FromStr;

    async fn open(dir: &std::path::Path) -> SqlitePool {
        let opts =
            SqliteConnectOptions::from_str(&format!("sqlite://{}", dir.join("t.db").display()))
                .unwrap()
                .create_if_missing(true)
                .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal);
        let pool = pool(opts).await.unwrap();
        sqlx::query("CREATE TABLE t (v INTEGER)")
            .execute(&pool)
            .await
            .unwrap();
        pool
    }

    /// What a full disk does to a transaction, without a full disk: SQLite
    /// ends the transaction under sqlx's feet (here by a ROLLBACK sqlx does
    /// not see), so sqlx's own ROLLBACK of the dropped transaction fails.
    /// The next write must get a connection outside any transaction whose
    /// COMMIT is a real one.
    #[tokio::test]
    async fn a_transaction_sqlite_ended_itself_does_not_leak_into_the_next_write() {
        let dir = tempfile::tempdir().unwrap();
        let pool = open(dir.path()).await;
        {
            let mut tx = pool.begin().await.unwrap();
            sqlx::query("INSERT INTO t VALUES (1)")
                .execute(&mut *tx)
                .await
                .unwrap();
            sqlx::raw_sql("ROLLBACK").execute(&mut *tx).await.unwrap();
        }
        for v in 2..5 {
            let mut conn = pool.acquire().await.unwrap();
            assert!(!conn.is_in_transaction(), "write {v} starts nested");
            let mut tx = conn.begin().await.unwrap();
            sqlx::query("INSERT INTO t VALUES (?)")
                .bind(v)
                .execute(&mut *tx)
                .await
                .unwrap();
            tx.commit().await.unwrap();
            // SQLite agrees: a BEGIN is accepted only outside a transaction.
            sqlx::raw_sql("BEGIN; ROLLBACK")
                .execute(&mut *conn)
                .await
                .unwrap();
        }
        let mut other =
            SqliteConnection::connect(&format!("sqlite://{}", dir.path().join("t.db").display()))
                .await
                .unwrap();
        let got: Vec<i64> = sqlx::query_scalar("SELECT v FROM t ORDER BY v")
            .fetch_all(&mut other)
            .await
            .unwrap();
        assert_eq!(got, vec![2, 3, 4]);
    }
}
