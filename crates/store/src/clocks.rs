//! The warnings' clocks (SUP-1): for each subject, the first day on which a
//! warning rule may find otherwise than it did when the subject was last
//! evaluated, so that a day's pass reads only the subjects due that day.
//! Derived as the dashboard's sums are: the warnings' reader writes them
//! outside [`Store::commit`], a whole pass counts them again, and no record
//! makes them.

use crate::rows::Value;
use crate::{Result, Store};
use jiff::civil::Date;
use zhifa_domain::warning::SubjectKind;

/// A subject and the day it is due again (`None`: never).
pub type Clock = ((SubjectKind, i64), Option<Date>);

impl Store {
    /// Set each subject's clock, in one transaction (the last of a subject
    /// named twice counts).
    pub async fn set_warning_clocks(&self, clocks: &[Clock]) -> Result<()> {
        if clocks.is_empty() {
            return Ok(());
        }
        let last: std::collections::BTreeMap<_, _> =
            clocks.iter().map(|((k, id), due)| ((k.code(), *id), *due)).collect();
        let key = |kind: &str, id: i64| vec![Value::Text(kind.to_owned()), Value::Int(id)];
        let mut set = Vec::new();
        let mut unset = Vec::new();
        for ((kind, id), due) in last {
            match due {
                Some(due) => set.push([key(kind, id), vec![Value::Text(due.to_string())]].concat()),
                None => unset.push(key(kind, id)),
            }
        }
        let mut tx = self.pool.begin().await?;
        crate::rows::upsert(&mut tx, "warning_clocks", &["subject_kind", "subject_id", "due_on"], 2, &set).await?;
        crate::rows::delete(&mut tx, "warning_clocks", &["subject_kind", "subject_id"], &unset).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The subjects due on or before `on`.
    pub async fn warning_clocks_due(&self, on: Date) -> Result<Vec<(SubjectKind, i64)>> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT subject_kind, subject_id FROM warning_clocks WHERE due_on <= $1 ORDER BY subject_kind, subject_id",
        )
        .bind(on.to_string())
        .fetch_all(&self.pool)
        .await?;
        crate::warnings::subject_keys(rows, "warning_clocks")
    }

    /// What the clocks were counted with, if a whole pass ever counted them.
    pub async fn warning_clock_basis(&self) -> Result<Option<String>> {
        Ok(sqlx::query_scalar("SELECT basis FROM warning_clock_basis WHERE id = 1").fetch_optional(&self.pool).await?)
    }

    /// Note that a whole pass counted every clock with `basis`.
    pub async fn set_warning_clock_basis(&self, basis: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO warning_clock_basis (id, basis) VALUES (1, $1) \
             ON CONFLICT (id) DO UPDATE SET basis = excluded.basis",
        )
        .bind(basis)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
