//! The agencies' public lists (PUB-1) as one search index: the agency
//! itself, its officers, enforcement items, random-inspection items,
//! service guides and discretion benchmarks. An agency is the unit of
//! indexing: any change to one of its lists puts all its entries in again
//! (an agency has tens of entries, not millions). What a results page
//! shows of an entry is stored with it, so a page needs no other read.

use super::{Core, MAX_WORDS, Result, Stored, StoredValue, add_region, day, term_query, text_options, words};
use jiff::civil::Date;
use std::ops::Bound;
use std::path::Path;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{BooleanQuery, Occur, Query, RangeQuery};
use tantivy::schema::{Field, INDEXED, STORED, STRING, Schema};
use tantivy::{Index, TantivyDocument, Term};

/// One entry of a list as indexed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListDoc {
    /// `agency`, `officer`, `item`, `inspection_item`, `service_guide`,
    /// `discretion_benchmark`.
    pub kind: String,
    pub id: i64,
    pub agency_id: i64,
    /// The agency's six-digit region code.
    pub region: String,
    /// The agency's domain code.
    pub domain: String,
    /// What a results page shows: a title and a line under it.
    pub title: String,
    pub detail: String,
    /// Everything a reader may search for.
    pub text: String,
    /// Shown only from and through these days (an officer's certificate).
    pub valid_from: Option<Date>,
    pub valid_to: Option<Date>,
}

/// What to look for in the lists; absent filters do not filter.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub text: String,
    pub kind: Option<String>,
    pub region_prefix: Option<String>,
    pub agency_id: Option<i64>,
    pub domain: Option<String>,
    /// Only entries valid on this day.
    pub shown_on: Option<Date>,
    pub limit: usize,
    pub offset: usize,
}

/// An entry found, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListHit {
    pub kind: String,
    pub id: i64,
    pub agency_id: i64,
    pub title: String,
    pub detail: String,
}

#[derive(Debug, Clone, Copy)]
struct Fields {
    kind: Field,
    id: Field,
    agency: Field,
    region: Field,
    domain: Field,
    title: Field,
    detail: Field,
    text: Field,
    from: Field,
    to: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let fields = Fields {
        kind: b.add_text_field("kind", STRING | STORED),
        id: b.add_i64_field("id", STORED),
        agency: b.add_i64_field("agency", INDEXED | STORED),
        region: b.add_text_field("region", STRING),
        domain: b.add_text_field("domain", STRING),
        title: b.add_text_field("title", STORED),
        detail: b.add_text_field("detail", STORED),
        text: b.add_text_field("text", text_options()),
        from: b.add_i64_field("from", INDEXED),
        to: b.add_i64_field("to", INDEXED),
    };
    (b.build(), fields)
}

/// The lists' index, safe to share between request handlers.
pub struct ListIndex {
    core: Core,
    fields: Fields,
}

impl std::fmt::Debug for ListIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ListIndex").finish_non_exhaustive()
    }
}

/// Days far enough off to mean "always".
const FIRST_DAY: i64 = 0;
const LAST_DAY: i64 = 99_991_231;

impl ListIndex {
    /// The index in `dir` (created if absent or of another schema).
    pub fn open(dir: &Path) -> Result<Self> {
        let (schema, fields) = schema();
        Ok(Self { core: Core::open(dir, schema)?, fields })
    }

    /// An index in memory.
    pub fn in_memory() -> Result<Self> {
        let (schema, fields) = schema();
        let index = Index::create_in_ram(schema);
        Ok(Self { core: Core::with(index)?, fields })
    }

    /// How far the outbox has been read into this index (0: nothing yet).
    pub fn watermark(&self) -> i64 {
        self.core.watermark()
    }

    /// Put in `docs` as all there is of `agencies` (their earlier entries
    /// go), and commit with the new watermark; searches see it on return.
    pub fn replace_agencies(&self, agencies: &[i64], docs: &[ListDoc], watermark: i64) -> Result<()> {
        let f = self.fields;
        let mut writer = self.core.writer()?;
        for a in agencies {
            writer.delete_term(Term::from_field_i64(f.agency, *a));
        }
        for d in docs {
            let mut doc = TantivyDocument::default();
            doc.add_text(f.kind, &d.kind);
            doc.add_i64(f.id, d.id);
            doc.add_i64(f.agency, d.agency_id);
            add_region(&mut doc, f.region, &d.region);
            doc.add_text(f.domain, &d.domain);
            doc.add_text(f.title, &d.title);
            doc.add_text(f.detail, &d.detail);
            doc.add_text(f.text, &d.text);
            doc.add_i64(f.from, d.valid_from.map_or(FIRST_DAY, day));
            doc.add_i64(f.to, d.valid_to.map_or(LAST_DAY, day));
            writer.add_document(doc)?;
        }
        self.core.commit(&mut writer, watermark)
    }

    /// Remove everything (before a rebuild).
    pub fn clear(&self) -> Result<()> {
        self.core.clear()
    }

    /// The entries matching `q`, best first, and how many match. Without
    /// words, filters alone list entries; with neither, nothing is found.
    pub fn search(&self, q: &ListQuery) -> Result<(Vec<ListHit>, usize)> {
        let f = self.fields;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for w in words(&q.text).into_iter().take(MAX_WORDS) {
            clauses.push((Occur::Must, term_query(Term::from_field_text(f.text, &w))));
        }
        let text = |field: Field, value: &Option<String>| {
            value.as_ref().map(|v| (Occur::Must, term_query(Term::from_field_text(field, v))))
        };
        clauses.extend(text(f.kind, &q.kind));
        clauses.extend(text(f.region, &q.region_prefix));
        clauses.extend(text(f.domain, &q.domain));
        if let Some(a) = q.agency_id {
            clauses.push((Occur::Must, term_query(Term::from_field_i64(f.agency, a))));
        }
        if clauses.is_empty() {
            return Ok((Vec::new(), 0));
        }
        if let Some(today) = q.shown_on.map(day) {
            let at = |field: Field| Term::from_field_i64(field, today);
            clauses.push((Occur::Must, Box::new(RangeQuery::new(Bound::Unbounded, Bound::Included(at(f.from))))));
            clauses.push((Occur::Must, Box::new(RangeQuery::new(Bound::Included(at(f.to)), Bound::Unbounded))));
        }
        let query = BooleanQuery::new(clauses);
        let searcher = self.core.reader.searcher();
        let top = TopDocs::with_limit(q.limit.max(1)).and_offset(q.offset).order_by_score();
        let (hits, total) = searcher.search(&query, &(top, Count))?;
        let mut out = Vec::with_capacity(hits.len());
        for (_, address) in hits {
            let Stored(values) = searcher.doc(address)?;
            let mut hit =
                ListHit { kind: String::new(), id: 0, agency_id: 0, title: String::new(), detail: String::new() };
            for (field, value) in values {
                match value {
                    StoredValue::Int(n) if field == f.id => hit.id = n,
                    StoredValue::Int(n) if field == f.agency => hit.agency_id = n,
                    StoredValue::Text(t) if field == f.kind => hit.kind = t,
                    StoredValue::Text(t) if field == f.title => hit.title = t,
                    StoredValue::Text(t) if field == f.detail => hit.detail = t,
                    _ => {}
                }
            }
            out.push(hit);
        }
        Ok((out, total))
    }

    /// How many entries are in the index.
    pub fn documents(&self) -> u64 {
        self.core.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn entry(kind: &str, id: i64, agency: i64, title: &str, text: &str) -> ListDoc {
        ListDoc {
            kind: kind.into(),
            id,
            agency_id: agency,
            region: if agency == 1 { "330106".into() } else { "330203".into() },
            domain: if agency == 1 { "market".into() } else { "ecology".into() },
            title: title.into(),
            detail: format!("{title}的说明"),
            text: format!("{title}\n{text}"),
            valid_from: None,
            valid_to: None,
        }
    }

    fn q(text: &str) -> ListQuery {
        ListQuery { text: text.into(), limit: 10, ..Default::default() }
    }

    #[test]
    fn pub_7_lists_are_searchable_by_word_kind_region_and_domain() {
        let index = ListIndex::in_memory().unwrap();
        let mut officer = entry("officer", 7, 1, "王某（科员）", "执法证号 33010012345");
        officer.valid_from = Some(date(2024, 1, 1));
        officer.valid_to = Some(date(2026, 12, 31));
        let docs = vec![
            entry("item", 1, 1, "对销售过期食品的行政处罚", "《中华人民共和国食品安全法》第一百二十四条"),
            entry("service_guide", 2, 1, "食品经营许可", "申请条件 申请材料"),
            entry("inspection_item", 3, 2, "排污许可执行情况检查", "排污单位"),
            officer,
        ];
        index.replace_agencies(&[1, 2], &docs, 5).unwrap();
        assert_eq!(index.watermark(), 5);
        let (hits, n) = index.search(&q("食品")).unwrap();
        assert_eq!(n, 2);
        let mut ids: Vec<i64> = hits.iter().map(|h| h.id).collect();
        ids.sort_unstable();
        assert_eq!(ids, vec![1, 2]);
        let guide = hits.iter().find(|h| h.id == 2).unwrap();
        assert_eq!(
            (guide.kind.as_str(), guide.agency_id, guide.title.as_str(), guide.detail.as_str()),
            ("service_guide", 1, "食品经营许可", "食品经营许可的说明")
        );
        assert_eq!(index.search(&q("许可")).unwrap().1, 2);
        let kind = ListQuery { kind: Some("service_guide".into()), ..q("许可") };
        assert_eq!(index.search(&kind).unwrap().0[0].id, 2);
        let ningbo = ListQuery { region_prefix: Some("3302".into()), ..q("许可") };
        assert_eq!(index.search(&ningbo).unwrap().0[0].id, 3);
        let ecology = ListQuery { domain: Some("ecology".into()), ..q("") };
        assert_eq!(index.search(&ecology).unwrap().1, 1, "filters alone list entries");
        assert_eq!(index.search(&q("")).unwrap().1, 0, "nothing asked, nothing found");
        // An officer shows only while the certificate is valid.
        let on = |d: Date| ListQuery { shown_on: Some(d), ..q("33010012345") };
        assert_eq!(index.search(&on(date(2026, 12, 31))).unwrap().1, 1);
        assert_eq!(index.search(&on(date(2027, 1, 1))).unwrap().1, 0);
        assert_eq!(index.search(&on(date(2023, 12, 31))).unwrap().1, 0);
        // Replacing an agency's entries takes out what it no longer has.
        index.replace_agencies(&[1], &[entry("item", 1, 1, "对销售过期食品的行政处罚", "")], 6).unwrap();
        assert_eq!(index.search(&q("食品")).unwrap().1, 1);
        assert_eq!(index.search(&q("排污")).unwrap().1, 1, "other agencies stay");
        assert_eq!(index.documents(), 2);
        index.clear().unwrap();
        assert_eq!(index.documents(), 0);
        assert_eq!(index.watermark(), 0);
    }
}
