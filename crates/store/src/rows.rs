//! Writing many rows of a derived table (the dashboard's sums, the
//! warnings' clocks) with a few statements instead of one a row: each
//! statement is a round trip to the database's thread or server.

use crate::Result;
use sqlx::AnyConnection;

/// A value of a row.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Value {
    Int(i64),
    Text(String),
}

/// Parameters one statement binds at most (SQLite allows 32,766, PostgreSQL 65,535).
const PARAMETERS: usize = 999;
/// Rows one `DELETE` names at most (each an `OR` term: SQLite limits the
/// depth of an expression to 1,000).
const TERMS: usize = 200;

type Query<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>;

/// `sql` with every value of `rows` bound, in order.
fn bound<'q>(sql: String, rows: &[Vec<Value>]) -> Query<'q> {
    rows.iter().flatten().fold(sqlx::query(sqlx::AssertSqlSafe(sql)), |query, v| match v {
        Value::Int(i) => query.bind(*i),
        Value::Text(t) => query.bind(t.clone()),
    })
}

/// Insert `rows` of `columns` into `table`, each replacing the row of the
/// same key (its first `keys` columns). No two rows may share a key.
pub(crate) async fn upsert(
    conn: &mut AnyConnection,
    table: &str,
    columns: &[&str],
    keys: usize,
    rows: &[Vec<Value>],
) -> Result<()> {
    let width = columns.len();
    let set: Vec<String> = columns[keys..].iter().map(|c| format!("{c} = excluded.{c}")).collect();
    for chunk in rows.chunks((PARAMETERS / width).max(1)) {
        let tuples: Vec<String> = (0..chunk.len())
            .map(|r| format!("({})", (1..=width).map(|c| format!("${}", r * width + c)).collect::<Vec<_>>().join(", ")))
            .collect();
        let sql = format!(
            "INSERT INTO {table} ({}) VALUES {} ON CONFLICT ({}) DO UPDATE SET {}",
            columns.join(", "),
            tuples.join(", "),
            columns[..keys].join(", "),
            set.join(", ")
        );
        bound(sql, chunk).execute(&mut *conn).await?;
    }
    Ok(())
}

/// Delete the rows of `table` whose `key_columns` are each of `keys`.
pub(crate) async fn delete(
    conn: &mut AnyConnection,
    table: &str,
    key_columns: &[&str],
    keys: &[Vec<Value>],
) -> Result<()> {
    let width = key_columns.len();
    for chunk in keys.chunks((PARAMETERS / width).clamp(1, TERMS)) {
        let terms: Vec<String> = (0..chunk.len())
            .map(|r| {
                let each: Vec<String> = key_columns
                    .iter()
                    .enumerate()
                    .map(|(c, name)| format!("{name} = ${}", r * width + c + 1))
                    .collect();
                format!("({})", each.join(" AND "))
            })
            .collect();
        let sql = format!("DELETE FROM {table} WHERE {}", terms.join(" OR "));
        bound(sql, chunk).execute(&mut *conn).await?;
    }
    Ok(())
}
