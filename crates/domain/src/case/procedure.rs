//! Procedures as data (REC-1): the stages of a kind of case, the transitions
//! between them (who may take each, the gates that must hold, what the step
//! records), the documents and recordings each stage needs, and the time
//! limits. Definitions are TOML files (`procedures/*.toml`, embedded, and a
//! deployment may add or replace them); [`Procedure::load`] refuses one with an
//! unreachable stage, a dead end, or a name the engine does not know, naming
//! the file and the line.

use crate::people::{Category, Role};
use serde::Deserialize;
use std::collections::{BTreeSet, HashMap, VecDeque};
use thiserror::Error;
use toml::Spanned;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{file} 第{line}行：{message}")]
pub struct DefinitionError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

/// Whether a stage must, should or need not be recorded on audio/video (REC-5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Recording {
    None,
    Recommended,
    Mandatory,
}

impl Recording {
    pub fn label(self) -> &'static str {
        match self {
            Recording::None => "",
            Recording::Recommended => "建议全程音像记录",
            Recording::Mandatory => "应当全程音像记录",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Stage {
    pub id: String,
    pub name: String,
    /// Documents made in this stage (`DocumentKind` codes).
    pub documents: Vec<String>,
    pub recording: Recording,
    /// The case ends here.
    pub terminal: bool,
    /// A way out of the main line (drawn to the side of the flowchart).
    pub exit: bool,
    /// Optional on the main line (drawn in brackets): `[听证]`.
    pub optional: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Transition {
    /// Unique within the procedure: what the API and the forms name.
    pub action: String,
    pub name: String,
    /// The stages it may be taken from.
    pub from: Vec<String>,
    /// Where it leads; `None`: the case stays where it is (a step within a
    /// stage, e.g. recording a defence or extending a time limit).
    pub to: Option<String>,
    pub roles: Vec<Role>,
    /// Rules that must hold (names of [`super::rules::RULES`]).
    pub gates: Vec<String>,
    /// What the step records on the case (a name of [`super::engine::EFFECTS`]).
    pub effect: String,
    /// A step that cannot be undone (销案): it needs its reason, and the
    /// console asks for confirmation.
    pub confirm: bool,
}

impl Transition {
    /// A decision other than a penalty that may need legal review (its
    /// gates name `legal_review` or `catalogue_review`; a penalty's draft is
    /// its penalty).
    pub fn is_reviewed_decision(&self) -> bool {
        self.gates.iter().any(|g| matches!(g.as_str(), "legal_review" | "catalogue_review"))
            && !matches!(self.effect.as_str(), "decide" | "decide_on_site")
    }
}

/// A time limit: from entering `from` until reaching one of `until`, a legal
/// period of the calendar (`penalty.decision`, …).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Limit {
    pub id: String,
    pub name: String,
    pub from: String,
    pub until: Vec<String>,
    pub period: String,
    /// May be extended with a head's approval.
    pub extendable: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Procedure {
    pub id: String,
    pub name: String,
    pub category: Category,
    /// The word of the case number: 某市监**罚**〔2025〕12号.
    pub number_word: String,
    /// Officers take its steps only as officers of the case holding a
    /// certificate valid that day for its category (art. 42, PUB-2): true
    /// unless the file says `certified_officers = false` (a permit is
    /// handled by the agency's staff, not by enforcement officers).
    pub certified_officers: bool,
    pub start: String,
    pub stages: Vec<Stage>,
    pub transitions: Vec<Transition>,
    pub limits: Vec<Limit>,
    /// The file it came from.
    pub file: String,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProcedure {
    id: Spanned<String>,
    name: String,
    category: Spanned<String>,
    number_word: String,
    #[serde(default = "yes")]
    certified_officers: bool,
    start: Spanned<String>,
    stage: Vec<RawStage>,
    transition: Vec<RawTransition>,
    #[serde(default)]
    limit: Vec<RawLimit>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStage {
    id: Spanned<String>,
    name: String,
    #[serde(default)]
    documents: Vec<Spanned<String>>,
    #[serde(default)]
    recording: Option<Spanned<String>>,
    #[serde(default)]
    terminal: bool,
    #[serde(default)]
    exit: bool,
    #[serde(default)]
    optional: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTransition {
    action: Spanned<String>,
    name: String,
    from: Spanned<FromStages>,
    #[serde(default)]
    to: Option<Spanned<String>>,
    roles: Vec<Spanned<String>>,
    #[serde(default)]
    gates: Vec<Spanned<String>>,
    #[serde(default)]
    effect: Option<Spanned<String>>,
    #[serde(default)]
    confirm: bool,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum FromStages {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLimit {
    id: Spanned<String>,
    name: String,
    from: Spanned<String>,
    until: Spanned<FromStages>,
    period: Spanned<String>,
    #[serde(default)]
    extendable: bool,
}

impl FromStages {
    fn list(&self) -> Vec<String> {
        match self {
            FromStages::One(s) => vec![s.clone()],
            FromStages::Many(v) => v.clone(),
        }
    }
}

/// What a definition may name: the engine's rules, effects and documents,
/// and the calendar's legal periods.
pub struct Vocabulary<'a> {
    pub rules: &'a [&'a str],
    pub effects: &'a [&'a str],
    pub documents: &'a [&'a str],
    pub periods: &'a [String],
}

impl Procedure {
    /// Parse and check one definition; `file` names it in errors.
    pub fn load(file: &str, text: &str, known: &Vocabulary<'_>) -> Result<Procedure, DefinitionError> {
        let line_of = |offset: usize| text[..offset.min(text.len())].matches('\n').count() + 1;
        let err =
            |offset: usize, message: String| DefinitionError { file: file.to_owned(), line: line_of(offset), message };
        let raw: RawProcedure = toml::from_str(text).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            err(offset, e.message().to_owned())
        })?;
        let category =
            Category::parse(raw.category.get_ref()).map_err(|e| err(raw.category.span().start, e.to_string()))?;

        let mut stages = Vec::new();
        let mut seen: HashMap<String, usize> = HashMap::new();
        for s in &raw.stage {
            let id = s.id.get_ref().clone();
            if seen.insert(id.clone(), s.id.span().start).is_some() {
                return Err(err(s.id.span().start, format!("阶段“{id}”重复定义")));
            }
            for d in &s.documents {
                if !known.documents.contains(&d.get_ref().as_str()) {
                    return Err(err(d.span().start, format!("未知的文书“{}”", d.get_ref())));
                }
            }
            let recording = match s.recording.as_ref().map(|r| (r.get_ref().as_str(), r.span().start)) {
                None | Some(("none", _)) => Recording::None,
                Some(("recommended", _)) => Recording::Recommended,
                Some(("mandatory", _)) => Recording::Mandatory,
                Some((other, at)) => {
                    return Err(err(at, format!("音像记录要求“{other}”应为 none、recommended 或 mandatory")));
                }
            };
            stages.push(Stage {
                id,
                name: s.name.clone(),
                documents: s.documents.iter().map(|d| d.get_ref().clone()).collect(),
                recording,
                terminal: s.terminal,
                exit: s.exit,
                optional: s.optional,
            });
        }
        let stage_at = |name: &str, at: usize| {
            if seen.contains_key(name) {
                Ok(name.to_owned())
            } else {
                Err(err(at, format!("没有名为“{name}”的阶段")))
            }
        };
        let start = stage_at(raw.start.get_ref(), raw.start.span().start)?;

        let mut transitions = Vec::new();
        let mut actions = BTreeSet::new();
        for t in &raw.transition {
            let at = t.action.span().start;
            if !actions.insert(t.action.get_ref().clone()) {
                return Err(err(at, format!("动作“{}”重复定义", t.action.get_ref())));
            }
            let from = t.from.get_ref().list();
            for f in &from {
                stage_at(f, t.from.span().start)?;
            }
            let to = match &t.to {
                Some(to) => Some(stage_at(to.get_ref(), to.span().start)?),
                None => None,
            };
            let mut roles = Vec::new();
            for r in &t.roles {
                roles.push(Role::parse(r.get_ref()).map_err(|e| err(r.span().start, e.to_string()))?);
            }
            if roles.is_empty() {
                return Err(err(at, format!("动作“{}”没有指定可以执行的角色", t.action.get_ref())));
            }
            for g in &t.gates {
                if !known.rules.contains(&g.get_ref().as_str()) {
                    return Err(err(g.span().start, format!("关口“{}”不是已知的规则", g.get_ref())));
                }
            }
            let effect = match &t.effect {
                Some(e) if known.effects.contains(&e.get_ref().as_str()) => e.get_ref().clone(),
                Some(e) => return Err(err(e.span().start, format!("未知的效果“{}”", e.get_ref()))),
                None => "none".to_owned(),
            };
            transitions.push(Transition {
                action: t.action.get_ref().clone(),
                name: t.name.clone(),
                from,
                to,
                roles,
                gates: t.gates.iter().map(|g| g.get_ref().clone()).collect(),
                effect,
                confirm: t.confirm,
            });
        }

        let mut limits = Vec::new();
        for l in &raw.limit {
            let from = stage_at(l.from.get_ref(), l.from.span().start)?;
            let mut until = Vec::new();
            for u in l.until.get_ref().list() {
                until.push(stage_at(&u, l.until.span().start)?);
            }
            if !known.periods.iter().any(|p| p == l.period.get_ref()) {
                return Err(err(l.period.span().start, format!("日历中没有法定期限“{}”", l.period.get_ref())));
            }
            limits.push(Limit {
                id: l.id.get_ref().clone(),
                name: l.name.clone(),
                from,
                until,
                period: l.period.get_ref().clone(),
                extendable: l.extendable,
            });
        }

        // Every stage reachable from the start; every stage not terminal has a way on.
        let mut reached = BTreeSet::from([start.clone()]);
        let mut queue = VecDeque::from([start.clone()]);
        while let Some(stage) = queue.pop_front() {
            for to in transitions.iter().filter(|t| t.from.contains(&stage)).filter_map(|t| t.to.as_ref()) {
                if reached.insert(to.clone()) {
                    queue.push_back(to.clone());
                }
            }
        }
        for s in &stages {
            let at = seen.get(&s.id).copied().unwrap_or(0);
            if !reached.contains(&s.id) {
                return Err(err(at, format!("阶段“{}”（{}）无法从起点“{start}”到达", s.id, s.name)));
            }
            let onward =
                transitions.iter().any(|t| t.from.contains(&s.id) && t.to.as_ref().is_some_and(|to| *to != s.id));
            if !s.terminal && !onward {
                return Err(err(at, format!("阶段“{}”（{}）是死胡同：没有离开它的动作，也没有标为终点", s.id, s.name)));
            }
            if s.terminal && onward {
                return Err(err(at, format!("终点阶段“{}”（{}）不应有离开它的动作", s.id, s.name)));
            }
        }

        Ok(Procedure {
            id: raw.id.get_ref().clone(),
            name: raw.name,
            category,
            number_word: raw.number_word,
            certified_officers: raw.certified_officers,
            start,
            stages,
            transitions,
            limits,
            file: file.to_owned(),
        })
    }

    pub fn stage(&self, id: &str) -> Option<&Stage> {
        self.stages.iter().find(|s| s.id == id)
    }

    pub fn transition(&self, action: &str) -> Option<&Transition> {
        self.transitions.iter().find(|t| t.action == action)
    }

    /// The actions that may be taken from `stage`.
    pub fn actions_from(&self, stage: &str) -> impl Iterator<Item = &Transition> + '_ {
        let stage = stage.to_owned();
        self.transitions.iter().filter(move |t| t.from.contains(&stage))
    }
}

/// The procedures shipped with Zhifa.
pub const EMBEDDED: &[(&str, &str)] = &[
    ("penalty-general.toml", include_str!("../../procedures/penalty-general.toml")),
    ("penalty-simple.toml", include_str!("../../procedures/penalty-simple.toml")),
    ("permit.toml", include_str!("../../procedures/permit.toml")),
    ("coercive-seizure.toml", include_str!("../../procedures/coercive-seizure.toml")),
    ("inspection.toml", include_str!("../../procedures/inspection.toml")),
];

/// The procedures in force: the embedded ones, and those a deployment adds
/// or replaces (same `id`).
#[derive(Debug, Clone, Default)]
pub struct Procedures(Vec<Procedure>);

impl Procedures {
    /// Load `files` (`(name, text)`) over the embedded definitions, each
    /// checked against the names `known` to the engine and the calendar.
    pub fn load_with(files: &[(String, String)], known: &Vocabulary<'_>) -> Result<Procedures, DefinitionError> {
        let mut out: Vec<Procedure> = Vec::new();
        let embedded = EMBEDDED.iter().map(|(f, t)| ((*f).to_owned(), (*t).to_owned()));
        for (file, text) in embedded.chain(files.iter().cloned()) {
            let p = Procedure::load(&file, &text, known)?;
            out.retain(|q| q.id != p.id);
            out.push(p);
        }
        Ok(Procedures(out))
    }

    pub fn get(&self, id: &str) -> Option<&Procedure> {
        self.0.iter().find(|p| p.id == id)
    }

    pub fn all(&self) -> &[Procedure] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Procedure, DefinitionError> {
        let periods = vec!["penalty.decision".to_owned()];
        let rules = super::super::rules::names();
        let known = Vocabulary {
            rules: &rules,
            effects: super::super::engine::EFFECTS,
            documents: &["filing_approval"],
            periods: &periods,
        };
        Procedure::load("broken.toml", text, &known)
    }

    const GOOD: &str = r#"
id = "p"
name = "测试程序"
category = "penalty"
number_word = "罚"
start = "a"

[[stage]]
id = "a"
name = "甲"

[[stage]]
id = "b"
name = "乙"
terminal = true

[[transition]]
action = "go"
name = "前进"
from = "a"
to = "b"
roles = ["officer"]
gates = ["two_certified_officers"]
"#;

    #[test]
    fn rec_1_every_shipped_procedure_loads() {
        let all = Procedures::embedded().unwrap();
        let ids: Vec<&str> = all.all().iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["penalty-general", "penalty-simple", "permit", "coercive-seizure", "inspection"]);
        let general = all.get("penalty-general").unwrap();
        let main: Vec<&str> = general.stages.iter().filter(|s| !s.exit).map(|s| s.name.as_str()).collect();
        assert_eq!(
            main,
            [
                "立案",
                "调查取证",
                "告知",
                "听证",
                "法制审核",
                "退回承办机构",
                "审核意见协调",
                "集体讨论",
                "决定",
                "送达",
                "执行",
                "结案",
                "归档"
            ]
        );
        let seizure = all.get("coercive-seizure").unwrap();
        assert_eq!(seizure.stage("seizure").unwrap().recording, Recording::Mandatory);
    }

    #[test]
    fn rec_1_a_good_definition_loads() {
        let p = load(GOOD).unwrap();
        assert_eq!(p.transition("go").unwrap().to.as_deref(), Some("b"));
    }

    #[test]
    fn rec_1_an_unreachable_stage_is_named_with_its_line() {
        let text =
            GOOD.replace("terminal = true", "terminal = true\n\n[[stage]]\nid = \"c\"\nname = \"丙\"\nterminal = true");
        let e = load(&text).unwrap_err();
        assert_eq!((e.file.as_str(), e.line), ("broken.toml", 18), "{e}");
        assert!(e.message.contains("无法从起点") && e.message.contains("丙"), "{e}");
    }

    #[test]
    fn rec_1_a_dead_end_is_named_with_its_line() {
        let e = load(&GOOD.replace("terminal = true\n", "")).unwrap_err();
        assert_eq!(e.line, 13, "{e}");
        assert!(e.message.contains("死胡同"), "{e}");
    }

    #[test]
    fn rec_1_an_unknown_gate_is_named_with_its_line() {
        let e = load(&GOOD.replace("two_certified_officers", "three_officers")).unwrap_err();
        assert_eq!(e.line, 23, "{e}");
        assert!(e.message.contains("three_officers"), "{e}");
        assert!(e.to_string().starts_with("broken.toml 第23行："), "{e}");
    }

    #[test]
    fn rec_1_a_syntax_error_is_named_with_its_line() {
        let e = load(&GOOD.replace("name = \"乙\"", "name = 乙")).unwrap_err();
        assert_eq!(e.line, 14, "{e}");
    }
}
