//! Chinese full-text search of published decisions (PUB-7): a tantivy index
//! with the jieba tokenizer. Each server keeps its own index; the service
//! feeds it from the outbox and records in the index's commit how far it has
//! read, so that a restarted or second server catches up by itself.

use jiff::civil::Date;
use std::path::Path;
use std::sync::Mutex;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{BooleanQuery, Occur, Query, RangeQuery, TermQuery};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::tokenizer::{TextAnalyzer, TokenStream};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum SearchError {
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("search index directory: {0}")]
    Directory(#[from] tantivy::directory::error::OpenDirectoryError),
    #[error("search index directory: {0}")]
    Io(#[from] std::io::Error),
    #[error("search index lock poisoned")]
    Poisoned,
}

pub type Result<T, E = SearchError> = std::result::Result<T, E>;

/// A published decision as indexed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionDoc {
    pub id: i64,
    pub agency_id: i64,
    /// The agency's six-digit region code.
    pub region: String,
    /// A category code (`penalty`, …).
    pub category: String,
    pub decided_on: Date,
    pub expires_on: Date,
    /// Everything a reader may search for: number, agency, party, matter,
    /// conclusion, legal basis, full text.
    pub text: String,
}

/// What to look for; absent filters do not filter.
#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    pub text: String,
    /// Region codes starting with this (2, 4 or 6 digits).
    pub region_prefix: Option<String>,
    pub agency_id: Option<i64>,
    pub category: Option<String>,
    pub decided_from: Option<Date>,
    pub decided_to: Option<Date>,
    /// Only those not expired on this day.
    pub shown_on: Option<Date>,
    pub limit: usize,
    pub offset: usize,
}

#[derive(Debug, Clone, Copy)]
struct Fields {
    id: Field,
    text: Field,
    region: Field,
    agency: Field,
    category: Field,
    decided: Field,
    expires: Field,
}

const TOKENIZER: &str = "jieba";

/// The search index, safe to share between request handlers.
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    fields: Fields,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex").finish_non_exhaustive()
    }
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text_options = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default().set_tokenizer(TOKENIZER).set_index_option(IndexRecordOption::WithFreqs),
    );
    let fields = Fields {
        id: b.add_i64_field("id", INDEXED | STORED | FAST),
        text: b.add_text_field("text", text_options),
        region: b.add_text_field("region", STRING),
        agency: b.add_i64_field("agency", INDEXED),
        category: b.add_text_field("category", STRING),
        decided: b.add_i64_field("decided", INDEXED | FAST),
        expires: b.add_i64_field("expires", INDEXED),
    };
    (b.build(), fields)
}

/// A day as a sortable number: 2025-09-30 → 20250930.
fn day(d: Date) -> i64 {
    i64::from(d.year()) * 10_000 + i64::from(d.month()) * 100 + i64::from(d.day())
}

fn analyzer() -> TextAnalyzer {
    TextAnalyzer::from(tantivy_jieba::JiebaTokenizer::new())
}

/// The words of `text` as the index holds them (punctuation and spaces dropped).
pub fn words(text: &str) -> Vec<String> {
    let mut analyzer = analyzer();
    let mut stream = analyzer.token_stream(text);
    let mut out: Vec<String> = Vec::new();
    while stream.advance() {
        let t = stream.token().text.trim().to_lowercase();
        if t.chars().any(char::is_alphanumeric) && !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

impl SearchIndex {
    /// The index in `dir` (created if absent or of another schema: a
    /// rebuild is then due, which a watermark of 0 says).
    pub fn open(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir)?;
        let (schema, fields) = schema();
        let directory = tantivy::directory::MmapDirectory::open(dir)?;
        let index = match Index::open_or_create(directory, schema.clone()) {
            Ok(index) => index,
            Err(tantivy::TantivyError::SchemaError(_)) => {
                std::fs::remove_dir_all(dir)?;
                std::fs::create_dir_all(dir)?;
                Index::create_in_dir(dir, schema)?
            }
            Err(e) => return Err(e.into()),
        };
        Self::with(index, fields)
    }

    /// An index in memory (tests, and servers that rebuild at start).
    pub fn in_memory() -> Result<Self> {
        let (schema, fields) = schema();
        Self::with(Index::create_in_ram(schema), fields)
    }

    fn with(index: Index, fields: Fields) -> Result<Self> {
        index.tokenizers().register(TOKENIZER, analyzer());
        let writer = index.writer_with_num_threads(1, 32_000_000)?;
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        Ok(Self { index, reader, writer: Mutex::new(writer), fields })
    }

    /// How far the outbox has been read into this index (0: nothing yet).
    pub fn watermark(&self) -> Result<i64> {
        let payload = self.index.load_metas()?.payload;
        Ok(payload.and_then(|p| p.parse().ok()).unwrap_or(0))
    }

    /// Put `docs` in (replacing earlier versions), take `removed` out, and
    /// commit with the new watermark; searches see it on return.
    pub fn apply(&self, docs: &[DecisionDoc], removed: &[i64], watermark: i64) -> Result<()> {
        let f = self.fields;
        let mut writer = self.writer.lock().map_err(|_| SearchError::Poisoned)?;
        for id in removed.iter().chain(docs.iter().map(|d| &d.id)) {
            writer.delete_term(Term::from_field_i64(f.id, *id));
        }
        for d in docs {
            let mut doc = TantivyDocument::default();
            doc.add_i64(f.id, d.id);
            doc.add_text(f.text, &d.text);
            for len in [2, 4, 6] {
                if let Some(prefix) = d.region.get(..len) {
                    doc.add_text(f.region, prefix);
                }
            }
            doc.add_i64(f.agency, d.agency_id);
            doc.add_text(f.category, &d.category);
            doc.add_i64(f.decided, day(d.decided_on));
            doc.add_i64(f.expires, day(d.expires_on));
            writer.add_document(doc)?;
        }
        let mut commit = writer.prepare_commit()?;
        commit.set_payload(&watermark.to_string());
        commit.commit()?;
        self.reader.reload()?;
        Ok(())
    }

    /// Remove everything (before a rebuild).
    pub fn clear(&self) -> Result<()> {
        let mut writer = self.writer.lock().map_err(|_| SearchError::Poisoned)?;
        writer.delete_all_documents()?;
        let mut commit = writer.prepare_commit()?;
        commit.set_payload("0");
        commit.commit()?;
        self.reader.reload()?;
        Ok(())
    }

    /// Ids of the decisions matching `q`, best first, and how many match.
    pub fn search(&self, q: &SearchQuery) -> Result<(Vec<i64>, usize)> {
        let f = self.fields;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let term = |field: Field, text: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(Term::from_field_text(field, text), IndexRecordOption::Basic))
        };
        for w in words(&q.text) {
            clauses.push((Occur::Must, term(f.text, &w)));
        }
        if let Some(r) = &q.region_prefix {
            clauses.push((Occur::Must, term(f.region, r)));
        }
        if let Some(c) = &q.category {
            clauses.push((Occur::Must, term(f.category, c)));
        }
        if let Some(a) = q.agency_id {
            clauses.push((
                Occur::Must,
                Box::new(TermQuery::new(Term::from_field_i64(f.agency, a), IndexRecordOption::Basic)),
            ));
        }
        let range = |field: Field, from: Option<Date>, to: Option<Date>| -> Box<dyn Query> {
            use std::ops::Bound;
            let bound =
                |d: Option<Date>| d.map_or(Bound::Unbounded, |d| Bound::Included(Term::from_field_i64(field, day(d))));
            Box::new(RangeQuery::new(bound(from), bound(to)))
        };
        if q.decided_from.is_some() || q.decided_to.is_some() {
            clauses.push((Occur::Must, range(f.decided, q.decided_from, q.decided_to)));
        }
        if let Some(d) = q.shown_on {
            clauses.push((Occur::Must, range(f.expires, Some(d), None)));
        }
        if clauses.is_empty() {
            return Ok((Vec::new(), 0));
        }
        let query = BooleanQuery::new(clauses);
        let searcher = self.reader.searcher();
        let top = TopDocs::with_limit(q.limit.max(1)).and_offset(q.offset).order_by_score();
        let (hits, total) = searcher.search(&query, &(top, Count))?;
        let mut ids = Vec::with_capacity(hits.len());
        for (_, address) in hits {
            let doc: TantivyDocument = searcher.doc(address)?;
            if let Some(id) = doc.get_first(f.id).and_then(|v| v.as_i64()) {
                ids.push(id);
            }
        }
        Ok((ids, total))
    }

    /// Documents in the index.
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn doc(id: i64, text: &str, region: &str, category: &str, decided: Date) -> DecisionDoc {
        DecisionDoc {
            id,
            agency_id: id % 2,
            region: region.into(),
            category: category.into(),
            decided_on: decided,
            expires_on: date(2028, 1, 1),
            text: text.into(),
        }
    }

    fn q(text: &str) -> SearchQuery {
        SearchQuery { text: text.into(), limit: 10, ..Default::default() }
    }

    #[test]
    fn pub_7_chinese_words_are_found_and_filters_apply() {
        let index = SearchIndex::in_memory().unwrap();
        index
            .apply(
                &[
                    doc(1, "当事人销售超过保质期的食品，罚款人民币 3,000.00 元", "330106", "penalty", date(2025, 3, 1)),
                    doc(2, "食品经营许可申请，准予行政许可", "330102", "permit", date(2025, 6, 1)),
                    doc(3, "未按规定公示环境信息", "330203", "penalty", date(2025, 9, 1)),
                ],
                &[],
                7,
            )
            .unwrap();
        assert_eq!(index.watermark().unwrap(), 7);
        let (mut ids, n) = index.search(&q("食品")).unwrap();
        ids.sort_unstable();
        assert_eq!((ids, n), (vec![1, 2], 2));
        assert_eq!(index.search(&q("保质期")).unwrap().0, vec![1]);
        assert_eq!(index.search(&q("环境信息")).unwrap().0, vec![3]);
        assert_eq!(index.search(&q("不存在的词语")).unwrap().1, 0);
        let hangzhou = SearchQuery { region_prefix: Some("3301".into()), ..q("食品") };
        assert_eq!(index.search(&hangzhou).unwrap().1, 2);
        let permits = SearchQuery { category: Some("permit".into()), ..q("食品") };
        assert_eq!(index.search(&permits).unwrap().0, vec![2]);
        let spring = SearchQuery { decided_to: Some(date(2025, 3, 31)), ..q("食品") };
        assert_eq!(index.search(&spring).unwrap().0, vec![1]);
        let expired = SearchQuery { shown_on: Some(date(2028, 1, 2)), ..q("食品") };
        assert_eq!(index.search(&expired).unwrap().1, 0);
        // A withdrawn decision is taken out; a corrected one replaced.
        index.apply(&[doc(2, "准予行政许可（更正）", "330102", "permit", date(2025, 6, 1))], &[1], 9).unwrap();
        assert_eq!(index.search(&q("食品")).unwrap().1, 0);
        assert_eq!(index.search(&q("更正")).unwrap().0, vec![2]);
        assert_eq!(index.len(), 2);
    }
}
