//! The warnings' clocks (SUP-1): for each subject, the first day on which a
//! warning rule may find otherwise than it did when the subject was last
//! evaluated, so that a day's pass reads only the subjects due that day.
//! Derived as the dashboard's sums are: the warnings' reader writes them
//! outside [`Store::commit`], a whole pass counts them again, and no record
//! makes them.

use crate::{Result, Store, StoreError};
use jiff::civil::Date;
use zhifa_domain::warning::SubjectKind;

/// A subject and the day it is due again (`None`: never).
pub type Clock = ((SubjectKind, i64), Option<Date>);

impl Store {
    /// Set each subject's clock, in one transaction.
    pub async fn set_warning_clocks(&self, clocks: &[Clock]) -> Result<()> {
        if clocks.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool.begin().await?;
        for ((kind, id), due) in clocks {
            match due {
                Some(due) => {
                    sqlx::query(
                        "INSERT INTO warning_clocks (subject_kind, subject_id, due_on) VALUES ($1, $2, $3) \
                         ON CONFLICT (subject_kind, subject_id) DO UPDATE SET due_on = excluded.due_on",
                    )
                    .bind(kind.code())
                    .bind(*id)
                    .bind(due.to_string())
                    .execute(&mut *tx)
                    .await?
                }
                None => {
                    sqlx::query("DELETE FROM warning_clocks WHERE subject_kind = $1 AND subject_id = $2")
                        .bind(kind.code())
                        .bind(*id)
                        .execute(&mut *tx)
                        .await?
                }
            };
        }
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
        rows.into_iter()
            .map(|(kind, id)| {
                let kind = SubjectKind::parse(&kind)
                    .map_err(|e| StoreError::Corrupt { table: "warning_clocks", message: e.to_string() })?;
                Ok((kind, id))
            })
            .collect()
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
