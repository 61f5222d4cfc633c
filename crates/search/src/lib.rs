//! Chinese full-text search of published decisions and of the agencies'
//! public lists (PUB-7): tantivy indexes with the jieba tokenizer. Each server keeps its own index; the service
//! feeds it from the outbox and records in the index's commit how far it has
//! read, so that a restarted or second server catches up by itself.

use jiff::civil::Date;
use std::ops::Bound;
use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, Occur, Query, RangeQuery, TermQuery};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{TextAnalyzer, TokenStream};
use tantivy::{DocAddress, Index, IndexReader, IndexWriter, ReloadPolicy, Searcher, TantivyDocument, Term};
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

/// A page of what was found, and how many match in all.
pub type Found<T> = (Vec<T>, usize);

/// The searcher a query ran on, its page's addresses and its count.
type Ran = (Searcher, Vec<(f32, DocAddress)>, usize);

/// A document of a segment. A segment never changes (a new version of a
/// decision is a new document, a withdrawn one is deleted and so never
/// found), so what was read of a document stays true for as long as it
/// can be found.
type ShownKey = (tantivy::index::SegmentId, tantivy::DocId);

/// Hits read from the document store, kept decoded: a page of results is
/// mostly what was shown a moment before (the first pages of the common
/// words), and finding and decoding twenty stored documents costs more
/// than the query. At most `SHOWN` kept; past that it starts again (which
/// also forgets the documents of merged segments).
#[derive(Default)]
struct Shown(Mutex<std::collections::HashMap<ShownKey, Arc<DecisionHit>>>);

/// Hits kept at most (a few MB).
const SHOWN: usize = 20_000;

impl Shown {
    /// The kept hits of `keys`, in order (`None`: to be read).
    fn get(&self, keys: &[ShownKey]) -> Vec<Option<Arc<DecisionHit>>> {
        match self.0.lock() {
            Ok(kept) => keys.iter().map(|k| kept.get(k).cloned()).collect(),
            Err(_) => vec![None; keys.len()],
        }
    }

    fn put(&self, read: Vec<(ShownKey, Arc<DecisionHit>)>) {
        if read.is_empty() {
            return;
        }
        if let Ok(mut kept) = self.0.lock() {
            if kept.len() + read.len() > SHOWN {
                kept.clear();
            }
            kept.extend(read);
        }
    }
}

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
    /// What a results page shows, stored with it.
    pub summary: DecisionSummary,
}

/// What a page of results shows of a decision (stored in the index, so
/// that the page needs no other read).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DecisionSummary {
    pub document_number: String,
    pub agency: String,
    pub title: String,
    pub party: String,
    pub conclusion: String,
}

/// A decision found, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionHit {
    pub id: i64,
    pub category: String,
    pub decided_on: Date,
    pub summary: DecisionSummary,
}

/// What to look for; absent filters do not filter.
#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    pub text: String,
    /// Region codes starting with this (2, 4 or 6 digits).
    pub region_prefix: Option<String>,
    pub agency_id: Option<i64>,
    /// Any of these agencies (those of one domain).
    pub agencies: Option<Vec<i64>>,
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
    number: Field,
    agency_name: Field,
    title: Field,
    party: Field,
    conclusion: Field,
}

/// The analyzer's name, in the schema: a new name when what it does changes,
/// so that an index made by the old one is rebuilt (`Core::open`).
const TOKENIZER: &str = "jieba_lowercase";

mod lists;
pub use lists::{ListDoc, ListHit, ListIndex, ListQuery};

/// A tantivy index with its writer and its watermark: what both indexes share.
struct Core {
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    /// The outbox id of the last commit (its payload), kept at hand.
    watermark: AtomicI64,
}

impl Core {
    /// The index in `dir` (created if absent or of another schema: a
    /// rebuild is then due, which a watermark of 0 says).
    fn open(dir: &Path, schema: Schema) -> Result<Self> {
        std::fs::create_dir_all(dir)?;
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
        Self::with(index)
    }

    fn with(index: Index) -> Result<Self> {
        index.tokenizers().register(TOKENIZER, analyzer());
        let writer = index.writer_with_num_threads(1, 32_000_000)?;
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        let watermark = index.load_metas()?.payload.and_then(|p| p.parse().ok()).unwrap_or(0);
        Ok(Self { reader, writer: Mutex::new(writer), watermark: AtomicI64::new(watermark) })
    }

    fn watermark(&self) -> i64 {
        self.watermark.load(Ordering::Acquire)
    }

    fn writer(&self) -> Result<std::sync::MutexGuard<'_, IndexWriter>> {
        self.writer.lock().map_err(|_| SearchError::Poisoned)
    }

    /// Commit what the writer holds, with `watermark`, and let searches see it.
    fn commit(&self, writer: &mut IndexWriter, watermark: i64) -> Result<()> {
        let mut commit = writer.prepare_commit()?;
        commit.set_payload(&watermark.to_string());
        commit.commit()?;
        self.watermark.store(watermark, Ordering::Release);
        self.reader.reload()?;
        Ok(())
    }

    /// Remove everything (before a rebuild).
    fn clear(&self) -> Result<()> {
        let mut writer = self.writer()?;
        writer.delete_all_documents()?;
        self.commit(&mut writer, 0)
    }

    fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }
}

/// The index of published decisions, safe to share between request handlers.
pub struct SearchIndex {
    core: Core,
    fields: Fields,
    /// Hits already read from the document store.
    shown: Shown,
    /// The day (as `day` numbers it) through which expired decisions have
    /// been taken out.
    pruned_through: AtomicI64,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex").finish_non_exhaustive()
    }
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let fields = Fields {
        id: b.add_i64_field("id", INDEXED | STORED | FAST),
        text: b.add_text_field("text", text_options()),
        region: b.add_text_field("region", STRING),
        agency: b.add_i64_field("agency", INDEXED),
        category: b.add_text_field("category", STRING | STORED),
        decided: b.add_i64_field("decided", INDEXED | FAST | STORED),
        expires: b.add_i64_field("expires", INDEXED),
        number: b.add_text_field("number", STORED),
        agency_name: b.add_text_field("agency_name", STORED),
        title: b.add_text_field("title", STORED),
        party: b.add_text_field("party", STORED),
        conclusion: b.add_text_field("conclusion", STORED),
    };
    (b.build(), fields)
}

/// Searched text: jieba words with their frequencies (for scoring).
fn text_options() -> TextOptions {
    TextOptions::default().set_indexing_options(
        TextFieldIndexing::default().set_tokenizer(TOKENIZER).set_index_option(IndexRecordOption::WithFreqs),
    )
}

/// A day as a sortable number: 2025-09-30 → 20250930.
/// A stored document as its fields' values, in order: the text and whole
/// numbers this crate stores (anything else is skipped).
struct Stored(Vec<(Field, StoredValue)>);

enum StoredValue {
    Text(String),
    Int(i64),
    Other,
}

impl tantivy::schema::document::DocumentDeserialize for Stored {
    fn deserialize<'de, D>(mut deserializer: D) -> Result<Self, tantivy::schema::document::DeserializeError>
    where
        D: tantivy::schema::document::DocumentDeserializer<'de>,
    {
        let mut values = Vec::with_capacity(deserializer.size_hint());
        while let Some(entry) = deserializer.next_field::<StoredValue>()? {
            values.push(entry);
        }
        Ok(Stored(values))
    }
}

impl tantivy::schema::document::ValueDeserialize for StoredValue {
    fn deserialize<'de, D>(deserializer: D) -> Result<Self, tantivy::schema::document::DeserializeError>
    where
        D: tantivy::schema::document::ValueDeserializer<'de>,
    {
        deserializer.deserialize_any(StoredVisitor)
    }
}

struct StoredVisitor;

impl tantivy::schema::document::ValueVisitor for StoredVisitor {
    type Value = StoredValue;

    fn visit_string(&self, v: String) -> Result<StoredValue, tantivy::schema::document::DeserializeError> {
        Ok(StoredValue::Text(v))
    }

    fn visit_i64(&self, v: i64) -> Result<StoredValue, tantivy::schema::document::DeserializeError> {
        Ok(StoredValue::Int(v))
    }

    fn visit_u64(&self, _: u64) -> Result<StoredValue, tantivy::schema::document::DeserializeError> {
        Ok(StoredValue::Other)
    }

    fn visit_bool(&self, _: bool) -> Result<StoredValue, tantivy::schema::document::DeserializeError> {
        Ok(StoredValue::Other)
    }

    fn visit_f64(&self, _: f64) -> Result<StoredValue, tantivy::schema::document::DeserializeError> {
        Ok(StoredValue::Other)
    }
}

fn day(d: Date) -> i64 {
    i64::from(d.year()) * 10_000 + i64::from(d.month()) * 100 + i64::from(d.day())
}

/// The day `day` numbers (a day the index wrote).
fn from_day(n: i64) -> Option<Date> {
    let part = |v: i64| i8::try_from(v).ok();
    Date::new(i16::try_from(n / 10_000).ok()?, part(n / 100 % 100)?, part(n % 100)?).ok()
}

/// Jieba's words, lower-cased (a USCC or certificate number is found
/// whatever case it is typed in).
fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(tantivy_jieba::JiebaTokenizer::new()).filter(tantivy::tokenizer::LowerCaser).build()
}

/// Words of a query that are asked for; the rest are left out (a search
/// stays well under a millisecond).
pub const MAX_WORDS: usize = 8;

/// The words of a query as the index holds them (punctuation and spaces
/// dropped), without the parts jieba also gives of a longer word: the
/// index holds `保质` wherever it holds `保质期` (both come from the same
/// text), so asking for `保质期` alone finds exactly the same decisions,
/// and a single word's count is its document frequency.
pub fn words(text: &str) -> Vec<String> {
    let mut analyzer = analyzer();
    let mut stream = analyzer.token_stream(text);
    let mut tokens: Vec<(usize, usize, String)> = Vec::new();
    while stream.advance() {
        let t = stream.token();
        let word = t.text.trim().to_lowercase();
        if word.chars().any(char::is_alphanumeric) {
            tokens.push((t.offset_from, t.offset_to, word));
        }
    }
    let inside = |(from, to, _): &(usize, usize, String)| {
        tokens.iter().any(|(f, t, _)| f <= from && to <= t && (f, t) != (from, to))
    };
    let mut out: Vec<String> = Vec::new();
    for token in &tokens {
        if !inside(token) && !out.contains(&token.2) {
            out.push(token.2.clone());
        }
    }
    out
}

/// A query that must match: one term (with frequencies, for scoring).
fn term_query(term: Term) -> Box<dyn Query> {
    Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs))
}

/// Region codes are indexed with their 2-, 4- and 6-digit prefixes, so that
/// a province, city or county is one term.
fn add_region(doc: &mut TantivyDocument, field: Field, region: &str) {
    for len in [2, 4, 6] {
        if let Some(prefix) = region.get(..len) {
            doc.add_text(field, prefix);
        }
    }
}

/// Any of these agencies (empty: no filter).
fn any_agency(field: Field, agencies: &[i64]) -> Option<Box<dyn Query>> {
    match agencies {
        [] => None,
        [one] => Some(term_query(Term::from_field_i64(field, *one))),
        many => Some(Box::new(BooleanQuery::new(
            many.iter().map(|a| (Occur::Should, term_query(Term::from_field_i64(field, *a)))).collect(),
        ))),
    }
}

impl SearchIndex {
    /// The index in `dir` (created if absent or of another schema: a
    /// rebuild is then due, which a watermark of 0 says).
    pub fn open(dir: &Path) -> Result<Self> {
        let (schema, fields) = schema();
        Ok(Self::with(Core::open(dir, schema)?, fields))
    }

    /// An index in memory (tests, and servers that rebuild at start).
    pub fn in_memory() -> Result<Self> {
        let (schema, fields) = schema();
        Ok(Self::with(Core::with(Index::create_in_ram(schema))?, fields))
    }

    fn with(core: Core, fields: Fields) -> Self {
        Self { core, fields, shown: Shown::default(), pruned_through: AtomicI64::new(0) }
    }

    /// How far the outbox has been read into this index (0: nothing yet).
    pub fn watermark(&self) -> Result<i64> {
        Ok(self.core.watermark())
    }

    /// Put `docs` in (replacing earlier versions), take `removed` out, and
    /// commit with the new watermark; searches see it on return.
    pub fn apply(&self, docs: &[DecisionDoc], removed: &[i64], watermark: i64) -> Result<()> {
        let f = self.fields;
        let mut writer = self.core.writer()?;
        for id in removed.iter().chain(docs.iter().map(|d| &d.id)) {
            writer.delete_term(Term::from_field_i64(f.id, *id));
        }
        for d in docs {
            let mut doc = TantivyDocument::default();
            doc.add_i64(f.id, d.id);
            doc.add_text(f.text, &d.text);
            add_region(&mut doc, f.region, &d.region);
            doc.add_i64(f.agency, d.agency_id);
            doc.add_text(f.category, &d.category);
            doc.add_i64(f.decided, day(d.decided_on));
            doc.add_i64(f.expires, day(d.expires_on));
            let m = &d.summary;
            doc.add_text(f.number, &m.document_number);
            doc.add_text(f.agency_name, &m.agency);
            doc.add_text(f.title, &m.title);
            doc.add_text(f.party, &m.party);
            doc.add_text(f.conclusion, &m.conclusion);
            writer.add_document(doc)?;
        }
        self.core.commit(&mut writer, watermark)
    }

    /// Remove everything (before a rebuild).
    pub fn clear(&self) -> Result<()> {
        self.core.clear()
    }

    /// Take out the decisions whose publication period ended before `today`
    /// (they expire by themselves, without an event): done at most once a
    /// day, by the first search of the day.
    fn prune_expired(&self, today: Date) -> Result<()> {
        let today = day(today);
        if self.pruned_through.load(Ordering::Acquire) >= today {
            return Ok(());
        }
        let mut writer = self.core.writer()?;
        if self.pruned_through.load(Ordering::Acquire) >= today {
            return Ok(());
        }
        let expired = Term::from_field_i64(self.fields.expires, today);
        writer.delete_query(Box::new(RangeQuery::new(Bound::Unbounded, Bound::Excluded(expired))))?;
        self.core.commit(&mut writer, self.core.watermark())?;
        self.pruned_through.store(today, Ordering::Release);
        Ok(())
    }

    /// Ids of the decisions matching `q`, best first, and how many match.
    ///
    /// Filters are terms of the same intersection as the words, so that
    /// tantivy's block-WAND skips whole blocks that cannot reach the top
    /// page; the count is asked separately (a term's count is its document
    /// frequency), and ids come from a fast field, not the document store.
    pub fn search(&self, q: &SearchQuery) -> Result<Found<i64>> {
        let Some((searcher, hits, total)) = self.run(q)? else { return Ok((Vec::new(), 0)) };
        let mut ids = Vec::with_capacity(hits.len());
        let mut columns = std::collections::HashMap::new();
        for (_, address) in hits {
            let column = match columns.entry(address.segment_ord) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => {
                    e.insert(searcher.segment_reader(address.segment_ord).fast_fields().i64("id")?)
                }
            };
            if let Some(id) = column.first(address.doc_id) {
                ids.push(id);
            }
        }
        Ok((ids, total))
    }

    /// The decisions matching `q` as a page of results shows them (from
    /// the document store, or as read from it before), best first, and how
    /// many match.
    pub fn search_hits(&self, q: &SearchQuery) -> Result<Found<Arc<DecisionHit>>> {
        let Some((searcher, hits, total)) = self.run(q)? else { return Ok((Vec::new(), 0)) };
        let keys: Vec<ShownKey> =
            hits.iter().map(|(_, a)| (searcher.segment_reader(a.segment_ord).segment_id(), a.doc_id)).collect();
        let mut found = self.shown.get(&keys);
        let mut read = Vec::new();
        for ((slot, (_, address)), key) in found.iter_mut().zip(&hits).zip(&keys) {
            if slot.is_none() {
                let hit = self.read_hit(&searcher, *address)?.map(Arc::new);
                if let Some(hit) = &hit {
                    read.push((*key, hit.clone()));
                }
                *slot = hit;
            }
        }
        self.shown.put(read);
        Ok((found.into_iter().flatten().collect(), total))
    }

    /// A decision's hit from the document store (`None`: not one of ours).
    fn read_hit(&self, searcher: &Searcher, address: DocAddress) -> Result<Option<DecisionHit>> {
        let f = self.fields;
        // Read as stored values straight into the hit (no general document
        // built and copied out of).
        let Stored(values) = searcher.doc(address)?;
        let mut hit = DecisionHit {
            id: 0,
            category: String::new(),
            decided_on: Date::constant(1970, 1, 1),
            summary: DecisionSummary::default(),
        };
        let mut decided = None;
        for (field, value) in values {
            match value {
                StoredValue::Int(n) if field == f.id => hit.id = n,
                StoredValue::Int(n) if field == f.decided => decided = from_day(n),
                StoredValue::Text(t) if field == f.category => hit.category = t,
                StoredValue::Text(t) if field == f.number => hit.summary.document_number = t,
                StoredValue::Text(t) if field == f.agency_name => hit.summary.agency = t,
                StoredValue::Text(t) if field == f.title => hit.summary.title = t,
                StoredValue::Text(t) if field == f.party => hit.summary.party = t,
                StoredValue::Text(t) if field == f.conclusion => hit.summary.conclusion = t,
                _ => {}
            }
        }
        Ok(decided.map(|decided_on| DecisionHit { decided_on, ..hit }))
    }

    /// The searcher, the top page's addresses and the count of `q`'s
    /// matches (`None`: nothing asked).
    fn run(&self, q: &SearchQuery) -> Result<Option<Ran>> {
        if let Some(today) = q.shown_on {
            self.prune_expired(today)?;
        }
        let f = self.fields;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for w in words(&q.text).into_iter().take(MAX_WORDS) {
            clauses.push((Occur::Must, term_query(Term::from_field_text(f.text, &w))));
        }
        if let Some(r) = &q.region_prefix {
            clauses.push((Occur::Must, term_query(Term::from_field_text(f.region, r))));
        }
        if let Some(c) = &q.category {
            clauses.push((Occur::Must, term_query(Term::from_field_text(f.category, c))));
        }
        if let Some(a) = q.agency_id {
            clauses.push((Occur::Must, term_query(Term::from_field_i64(f.agency, a))));
        }
        if let Some(any) = &q.agencies {
            // None of no agencies: an empty disjunction matches nothing.
            let query = any_agency(f.agency, any).unwrap_or_else(|| Box::new(BooleanQuery::new(Vec::new())));
            clauses.push((Occur::Must, query));
        }
        if q.decided_from.is_some() || q.decided_to.is_some() {
            let bound = |d: Option<Date>| {
                d.map_or(Bound::Unbounded, |d| Bound::Included(Term::from_field_i64(f.decided, day(d))))
            };
            clauses.push((Occur::Must, Box::new(RangeQuery::new(bound(q.decided_from), bound(q.decided_to)))));
        }
        let query: Box<dyn Query> = match clauses.len() {
            0 => return Ok(None),
            1 => clauses.remove(0).1,
            _ => Box::new(BooleanQuery::new(clauses)),
        };
        let searcher = self.core.reader.searcher();
        let top = TopDocs::with_limit(q.limit.max(1)).and_offset(q.offset).order_by_score();
        let hits = searcher.search(&query, &top)?;
        let total = query.count(&searcher)?;
        Ok(Some((searcher, hits, total)))
    }

    /// How many documents are in the index.
    pub fn documents(&self) -> u64 {
        self.core.len()
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
            summary: DecisionSummary { document_number: format!("罚〔2025〕{id}号"), ..Default::default() },
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
                    doc(3, "未按规定公示环境信息 91330106MA2H", "330203", "penalty", date(2025, 9, 1)),
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
        // A page of results as stored: what the page shows, no other read.
        let (hits, n) = index.search_hits(&q("保质期")).unwrap();
        assert_eq!(n, 1);
        assert_eq!((hits[0].id, hits[0].category.as_str(), hits[0].decided_on), (1, "penalty", date(2025, 3, 1)));
        assert_eq!(hits[0].summary.document_number, "罚〔2025〕1号");
        assert_eq!(index.search(&q("环境信息")).unwrap().0, vec![3]);
        assert_eq!(index.search(&q("91330106ma2h")).unwrap().0, vec![3], "whatever the case");
        assert_eq!(index.search(&q("不存在的词语")).unwrap().1, 0);
        let hangzhou = SearchQuery { region_prefix: Some("3301".into()), ..q("食品") };
        assert_eq!(index.search(&hangzhou).unwrap().1, 2);
        let permits = SearchQuery { category: Some("permit".into()), ..q("食品") };
        assert_eq!(index.search(&permits).unwrap().0, vec![2]);
        let spring = SearchQuery { decided_to: Some(date(2025, 3, 31)), ..q("食品") };
        assert_eq!(index.search(&spring).unwrap().0, vec![1]);
        // A withdrawn decision is taken out; a corrected one replaced.
        index.apply(&[doc(2, "准予行政许可（更正）", "330102", "permit", date(2025, 6, 1))], &[1], 9).unwrap();
        assert_eq!(index.search(&q("食品")).unwrap().1, 0);
        assert_eq!(index.search(&q("更正")).unwrap().0, vec![2]);
        assert_eq!(index.search_hits(&q("更正")).unwrap().0[0].decided_on, date(2025, 6, 1));
        assert_eq!(index.documents(), 2);
        // Expired decisions leave by themselves, on the first search of the
        // day, and the watermark stays.
        let shown = SearchQuery { shown_on: Some(date(2028, 1, 1)), ..q("更正") };
        assert_eq!(index.search(&shown).unwrap().1, 1);
        let expired = SearchQuery { shown_on: Some(date(2028, 1, 2)), ..q("更正") };
        assert_eq!(index.search(&expired).unwrap().1, 0);
        assert_eq!(index.documents(), 0);
        assert_eq!(index.watermark().unwrap(), 9);
    }

    #[test]
    fn pub_7_a_query_asks_for_whole_words_and_finds_the_same() {
        assert_eq!(words("保质期"), vec!["保质期"]);
        assert_eq!(words("食品安全法"), vec!["食品", "安全法"]);
        assert_eq!(words("食品 保质期 食品"), vec!["食品", "保质期"]);
        assert_eq!(words("《中华人民共和国食品安全法》"), vec!["中华人民共和国", "食品", "安全法"]);
        // What the parts would have found is what the whole word finds.
        let index = SearchIndex::in_memory().unwrap();
        let texts = ["销售超过保质期的食品", "保质保量完成任务", "违反食品安全法", "安全生产法规定", "食品 安全"];
        let docs: Vec<DecisionDoc> =
            texts.iter().zip(1..).map(|(t, id)| doc(id, t, "330106", "penalty", date(2025, 3, 1))).collect();
        index.apply(&docs, &[], 1).unwrap();
        for query in ["保质期", "食品安全法", "中华人民共和国", "安全生产法"] {
            let (mut ids, n) = index.search(&q(query)).unwrap();
            ids.sort_unstable();
            // Every word jieba gives, parts included, as the index holds them.
            let tokens = |text: &str| {
                let mut a = analyzer();
                let mut stream = a.token_stream(text);
                let mut out = Vec::new();
                while stream.advance() {
                    out.push(stream.token().text.clone());
                }
                out
            };
            let all = tokens(query);
            let expected: Vec<i64> = texts
                .iter()
                .zip(1..)
                .filter(|(t, _)| {
                    let held = tokens(t);
                    all.iter().all(|w| held.contains(w))
                })
                .map(|(_, id)| id)
                .collect();
            assert_eq!((ids, n), (expected.clone(), expected.len()), "{query}");
        }
    }

    #[test]
    fn pub_7_best_first_page_with_offset_and_count() {
        let index = SearchIndex::in_memory().unwrap();
        let docs: Vec<DecisionDoc> = (1..=50)
            .map(|i| {
                let text = if i % 10 == 0 {
                    "食品 食品 食品 罚款"
                } else {
                    "食品 罚款 其他内容较长的一段文字"
                };
                doc(i, text, "330106", if i % 2 == 0 { "penalty" } else { "permit" }, date(2025, 3, 1))
            })
            .collect();
        index.apply(&docs, &[], 1).unwrap();
        let (first, n) = index.search(&SearchQuery { limit: 5, ..q("食品") }).unwrap();
        assert_eq!(n, 50);
        let mut best = first.clone();
        best.sort_unstable();
        assert_eq!(best, vec![10, 20, 30, 40, 50], "the documents that say it most come first");
        let (second, _) = index.search(&SearchQuery { limit: 5, offset: 5, ..q("食品") }).unwrap();
        assert!(second.iter().all(|id| !first.contains(id)));
        let penalties = SearchQuery { category: Some("penalty".into()), limit: 100, ..q("罚款") };
        let (ids, n) = index.search(&penalties).unwrap();
        assert_eq!((ids.len(), n), (25, 25));
        assert!(ids.iter().all(|id| id % 2 == 0));
    }

    #[test]
    fn pub_7_a_shown_hit_is_read_again_once_corrected_and_gone_once_withdrawn() {
        let index = SearchIndex::in_memory().unwrap();
        let titled = |id: i64, title: &str| DecisionDoc {
            summary: DecisionSummary {
                title: title.into(),
                ..doc(id, "食品 罚款", "330106", "penalty", date(2025, 3, 1)).summary
            },
            ..doc(id, "食品 罚款", "330106", "penalty", date(2025, 3, 1))
        };
        index.apply(&[titled(1, "原标题"), titled(2, "另一件")], &[], 1).unwrap();
        let titles = |index: &SearchIndex| {
            let mut t: Vec<(i64, String)> =
                index.search_hits(&q("食品")).unwrap().0.iter().map(|h| (h.id, h.summary.title.clone())).collect();
            t.sort_unstable();
            t
        };
        assert_eq!(titles(&index), vec![(1, "原标题".into()), (2, "另一件".into())]);
        // Shown again: the same, now kept decoded.
        assert_eq!(titles(&index), vec![(1, "原标题".into()), (2, "另一件".into())]);
        assert_eq!(index.shown.0.lock().unwrap().len(), 2);
        index.apply(&[titled(1, "更正后的标题")], &[2], 2).unwrap();
        assert_eq!(titles(&index), vec![(1, "更正后的标题".into())]);
    }
}
