//! Evaluation of IAM / RAM JSON policy documents.
//!
//! Implements the AWS IAM policy grammar (`Version`, `Statement`, and per statement `Sid`,
//! `Effect`, `Action`/`NotAction`, `Resource`/`NotResource`, `Principal`/`NotPrincipal`,
//! `Condition`), which Alibaba Cloud RAM shares, together with the AWS evaluation rule for one
//! or more documents: an applicable explicit `Deny` wins, otherwise an applicable `Allow`
//! allows, otherwise the request is implicitly denied ([`Decision::NotApplicable`]).
//!
//! Everything that can be checked or pre-computed is done in [`PolicyDoc::parse`]: action
//! patterns are case-folded once, wildcard patterns are split into literal runs, and condition
//! values (numbers, dates, CIDRs, booleans) are parsed once, so a malformed policy is rejected
//! when it is loaded. [`evaluate`] lower-cases the action once into a stack buffer and otherwise
//! allocates nothing, except to name the statement in a `Deny` (or for an action name longer
//! than 128 bytes).
//!
//! Not supported (rejected or treated literally): policy variables such as `${aws:username}`
//! (compared as literal text), the `BinaryEquals` operator (an unknown operator), and the
//! `CanonicalUser` principal type (an unknown principal type).
//!
//! The module is pure: no I/O and no mutable global state.

use std::collections::BTreeMap;
use std::net::IpAddr;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use ipnet::IpNet;
use serde_json::{Map, Value};

/// Condition context as supplied by the caller: condition key → values.
type Context = BTreeMap<String, Vec<String>>;

/// Backs `Request::default()`, which needs a context reference that lives forever.
static EMPTY_CONTEXT: Context = BTreeMap::new();

/// Statement members IAM defines; anything else is rejected so typos do not silently widen or
/// narrow a policy.
const STATEMENT_MEMBERS: &[&str] = &[
    "Sid",
    "Effect",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Principal",
    "NotPrincipal",
    "Condition",
];

/// Principal types accepted inside a `Principal` object (AWS types plus Alibaba's `RAM`).
const PRINCIPAL_TYPES: &[&str] = &["AWS", "RAM", "Service", "Federated"];

/// The condition key that qkms ignores: it has no other services that could call KMS on a
/// caller's behalf, so a condition on it always holds.
const VIA_SERVICE_KEY: &str = "kms:ViaService";

/// A parsed policy document.
#[derive(Debug, Clone)]
pub struct PolicyDoc {
    statements: Vec<Statement>,
}

/// What is being asked.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    /// The permission, e.g. "kms:Encrypt" or "secretsmanager:GetSecretValue".
    pub action: &'a str,
    /// Every name of the resource (e.g. both "acs:kms:cn-hangzhou:123:key/abc" and
    /// "arn:aws:kms:cn-hangzhou:123:key/abc"); a Resource pattern matches if it matches any.
    /// Empty slice = the action has no resource: only patterns "*" match.
    pub resources: &'a [String],
    /// Every name the caller is known by, for statements with Principal (key policies), e.g.
    /// ["arn:aws:iam::123:user/app", "acs:ram::123:user/app", "123"]. Empty for identity policies.
    pub principals: &'a [String],
    /// Condition context: keys are condition keys as written in policies, matched
    /// case-insensitively (e.g. "kms:EncryptionContext:Department", "aws:SourceIp",
    /// "acs:SourceIp", "aws:CurrentTime", "acs:CurrentTime", "kms:CallerAccount"); each value is a
    /// list (single-valued keys have one element).
    pub context: &'a std::collections::BTreeMap<String, Vec<String>>,
}

impl Default for Request<'_> {
    /// An empty request: no action, no resources, no principals, empty context.
    fn default() -> Self {
        Request {
            action: "",
            resources: &[],
            principals: &[],
            context: &EMPTY_CONTEXT,
        }
    }
}

/// The outcome of evaluating one or more documents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// No statement applies (implicit deny).
    NotApplicable,
    /// An Allow statement applies and no Deny does.
    Allow,
    /// A Deny statement applies; the payload names it (its Sid, or "statement <n>" 1-based).
    Deny(String),
}

/// Evaluates one document.
pub fn evaluate(doc: &PolicyDoc, req: &Request<'_>) -> Decision {
    evaluate_all(std::iter::once(doc), req)
}

/// Evaluates several documents together: any Deny wins, else any Allow, else NotApplicable.
pub fn evaluate_all<'d>(
    docs: impl IntoIterator<Item = &'d PolicyDoc>,
    req: &Request<'_>,
) -> Decision {
    with_folded_action(req.action, |action| {
        let mut allowed = false;
        for doc in docs {
            if let Some(label) = first_deny(doc, action, req, &mut allowed) {
                return Decision::Deny(label.to_owned());
            }
        }
        if allowed {
            Decision::Allow
        } else {
            Decision::NotApplicable
        }
    })
}

/// Calls `f` with `action` ASCII-lower-cased. Folding once per request (into a stack buffer for
/// any realistic action name) turns every action-pattern test into a plain byte comparison.
fn with_folded_action<R>(action: &str, f: impl FnOnce(&[u8]) -> R) -> R {
    let mut buf = [0u8; 128];
    match buf.get_mut(..action.len()) {
        Some(slot) => {
            slot.copy_from_slice(action.as_bytes());
            slot.make_ascii_lowercase();
            f(slot)
        }
        None => f(action.to_ascii_lowercase().as_bytes()),
    }
}

/// Returns the label of the first applicable Deny statement in `doc`, setting `allowed` when an
/// Allow statement applies. Once something is allowed, further Allow statements cannot change
/// the outcome, so they are skipped without evaluating their conditions. `action` is
/// `req.action` ASCII-lower-cased.
fn first_deny<'d>(
    doc: &'d PolicyDoc,
    action: &[u8],
    req: &Request<'_>,
    allowed: &mut bool,
) -> Option<&'d str> {
    for st in &doc.statements {
        if !st.deny && *allowed {
            continue;
        }
        if st.applies(action, req) {
            if st.deny {
                return Some(&st.label);
            }
            *allowed = true;
        }
    }
    None
}

impl PolicyDoc {
    /// Parses a document. Lenient about `Version` (any string or absent). `Statement` may be one
    /// object or an array. Each statement: `Effect` ("Allow"/"Deny", case-sensitive as IAM),
    /// exactly one of `Action`/`NotAction` (string or array of strings), at most one of
    /// `Resource`/`NotResource` (absent = matches every resource, needed for key policies written
    /// without Resource), optional `Principal`/`NotPrincipal`, optional `Sid`, optional `Condition`.
    /// Unknown statement members are an error. Errors are a human-readable String.
    pub fn parse(text: &str) -> Result<PolicyDoc, String> {
        let value: Value =
            serde_json::from_str(text).map_err(|e| format!("policy is not valid JSON: {e}"))?;
        Self::from_value(&value)
    }

    /// Parses from an already-parsed JSON value (same rules).
    pub fn from_value(v: &Value) -> Result<PolicyDoc, String> {
        let obj = v
            .as_object()
            .ok_or("policy document must be a JSON object")?;
        if obj.get("Version").is_some_and(|v| !v.is_string()) {
            return Err("policy \"Version\" must be a string".to_owned());
        }
        // Other top-level members (e.g. AWS's "Id") carry no meaning for evaluation.
        let raw: Vec<&Value> = match obj.get("Statement") {
            None => Vec::new(),
            Some(Value::Array(items)) => items.iter().collect(),
            Some(one @ Value::Object(_)) => vec![one],
            Some(_) => {
                return Err("policy \"Statement\" must be an object or an array".to_owned());
            }
        };
        let statements = raw
            .into_iter()
            .enumerate()
            .map(|(i, s)| Statement::parse(i + 1, s))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(PolicyDoc { statements })
    }

    /// Number of statements.
    pub fn len(&self) -> usize {
        self.statements.len()
    }

    /// True when the document has no statements (it then allows nothing).
    pub fn is_empty(&self) -> bool {
        self.statements.is_empty()
    }
}

// ---------------------------------------------------------------------------------------------
// Statements
// ---------------------------------------------------------------------------------------------

/// One pre-processed statement.
#[derive(Debug, Clone)]
struct Statement {
    /// Sid, or "statement <n>"; reported in `Decision::Deny`.
    label: String,
    deny: bool,
    actions: PatternSet,
    /// `None` = no Resource/NotResource member: matches every request.
    resources: Option<PatternSet>,
    /// `None` = no Principal/NotPrincipal member (identity policy statement).
    principals: Option<PrincipalSet>,
    conditions: Vec<Condition>,
}

/// `Action`/`Resource` patterns, or their `Not` forms when `negated`.
#[derive(Debug, Clone)]
struct PatternSet {
    negated: bool,
    patterns: Vec<Pattern>,
}

/// `Principal` names, or `NotPrincipal` when `negated`.
#[derive(Debug, Clone)]
struct PrincipalSet {
    negated: bool,
    /// Some value was "*".
    any: bool,
    names: Vec<String>,
}

impl Statement {
    /// Parses statement number `n` (1-based), prefixing errors with where they occurred.
    fn parse(n: usize, v: &Value) -> Result<Statement, String> {
        let obj = v
            .as_object()
            .ok_or_else(|| format!("statement {n}: must be a JSON object"))?;
        let sid = match obj.get("Sid") {
            None => None,
            Some(Value::String(s)) => Some(s.as_str()),
            Some(_) => return Err(format!("statement {n}: \"Sid\" must be a string")),
        };
        let place = match sid {
            Some(s) => format!("statement {n} (Sid {s:?})"),
            None => format!("statement {n}"),
        };
        let label = match sid {
            Some(s) if !s.is_empty() => s.to_owned(),
            _ => format!("statement {n}"),
        };
        Self::parse_members(obj, label).map_err(|e| format!("{place}: {e}"))
    }

    fn parse_members(obj: &Map<String, Value>, label: String) -> Result<Statement, String> {
        if let Some(unknown) = obj
            .keys()
            .find(|k| !STATEMENT_MEMBERS.contains(&k.as_str()))
        {
            return Err(format!("unknown member {unknown:?}"));
        }
        let deny = match obj.get("Effect") {
            Some(Value::String(s)) if s == "Allow" => false,
            Some(Value::String(s)) if s == "Deny" => true,
            Some(other) => {
                return Err(format!(
                    "\"Effect\" must be \"Allow\" or \"Deny\", got {other}"
                ));
            }
            None => return Err("missing \"Effect\"".to_owned()),
        };
        let actions = pattern_pair(obj, "Action", "NotAction", true)?
            .ok_or("needs \"Action\" or \"NotAction\"")?;
        let resources = pattern_pair(obj, "Resource", "NotResource", false)?;
        let principals = principal_pair(obj)?;
        let conditions = match obj.get("Condition") {
            None => Vec::new(),
            Some(c) => parse_conditions(c)?,
        };
        Ok(Statement {
            label,
            deny,
            actions,
            resources,
            principals,
            conditions,
        })
    }

    /// True iff action (given ASCII-lower-cased), resource, principal and every condition match.
    /// Cheapest checks first: most statements are rejected by the action alone.
    fn applies(&self, action: &[u8], req: &Request<'_>) -> bool {
        self.actions.matches_action(action)
            && self
                .resources
                .as_ref()
                .is_none_or(|r| r.matches_resources(req.resources))
            && self
                .principals
                .as_ref()
                .is_none_or(|p| p.matches(req.principals))
            && self.conditions.iter().all(|c| c.holds(req.context))
    }
}

impl PatternSet {
    /// `action` must be ASCII-lower-cased, like the compiled action patterns.
    fn matches_action(&self, action: &[u8]) -> bool {
        let hit = self.patterns.iter().any(|p| p.matches(action));
        hit != self.negated
    }

    fn matches_resources(&self, resources: &[String]) -> bool {
        let hit = if resources.is_empty() {
            // A resource-less action is only covered by a pattern that is exactly "*".
            self.patterns.iter().any(|p| matches!(p, Pattern::Star))
        } else {
            self.patterns
                .iter()
                .any(|p| resources.iter().any(|r| p.matches(r.as_bytes())))
        };
        hit != self.negated
    }
}

impl PrincipalSet {
    fn matches(&self, principals: &[String]) -> bool {
        // A statement naming principals (either form) belongs to a key policy; without a known
        // caller it cannot apply, otherwise a NotPrincipal Deny would hit identity evaluation.
        if principals.is_empty() {
            return false;
        }
        let hit = self.any || self.names.iter().any(|n| principals.contains(n));
        hit != self.negated
    }
}

/// Parses the mutually exclusive pair `pos`/`neg` (e.g. `Action`/`NotAction`).
fn pattern_pair(
    obj: &Map<String, Value>,
    pos: &str,
    neg: &str,
    case_insensitive: bool,
) -> Result<Option<PatternSet>, String> {
    let (negated, name, value) = match (obj.get(pos), obj.get(neg)) {
        (Some(_), Some(_)) => {
            return Err(format!("\"{pos}\" and \"{neg}\" are mutually exclusive"));
        }
        (None, None) => return Ok(None),
        (Some(v), None) => (false, pos, v),
        (None, Some(v)) => (true, neg, v),
    };
    let raw = string_list(name, value)?;
    if raw.is_empty() {
        return Err(format!("\"{name}\" must not be empty"));
    }
    let patterns = raw
        .into_iter()
        .map(|s| Pattern::compile(s, case_insensitive))
        .collect();
    Ok(Some(PatternSet { negated, patterns }))
}

/// Parses `Principal`/`NotPrincipal`.
fn principal_pair(obj: &Map<String, Value>) -> Result<Option<PrincipalSet>, String> {
    let (negated, name, value) = match (obj.get("Principal"), obj.get("NotPrincipal")) {
        (Some(_), Some(_)) => {
            return Err("\"Principal\" and \"NotPrincipal\" are mutually exclusive".to_owned());
        }
        (None, None) => return Ok(None),
        (Some(v), None) => (false, "Principal", v),
        (None, Some(v)) => (true, "NotPrincipal", v),
    };
    let mut set = PrincipalSet {
        negated,
        any: false,
        names: Vec::new(),
    };
    match value {
        Value::String(s) if s == "*" => set.any = true,
        Value::Object(types) if !types.is_empty() => {
            for (ty, names) in types {
                if !PRINCIPAL_TYPES.contains(&ty.as_str()) {
                    return Err(format!("unknown principal type {ty:?} in \"{name}\""));
                }
                let names = string_list(name, names)?;
                if names.is_empty() {
                    return Err(format!("\"{name}\" type {ty:?} has no principals"));
                }
                for n in names {
                    if n == "*" {
                        set.any = true;
                    } else {
                        set.names.push(n.to_owned());
                    }
                }
            }
        }
        _ => {
            return Err(format!(
                "\"{name}\" must be \"*\" or a non-empty object such as {{\"AWS\": [...]}}"
            ));
        }
    }
    Ok(Some(set))
}

/// A string or an array of strings.
fn string_list<'v>(name: &str, v: &'v Value) -> Result<Vec<&'v str>, String> {
    match v {
        Value::String(s) => Ok(vec![s.as_str()]),
        Value::Array(items) => items
            .iter()
            .map(|item| {
                item.as_str()
                    .ok_or_else(|| format!("\"{name}\" entries must be strings, got {item}"))
            })
            .collect(),
        other => Err(format!(
            "\"{name}\" must be a string or an array of strings, got {other}"
        )),
    }
}

// ---------------------------------------------------------------------------------------------
// Wildcard patterns
// ---------------------------------------------------------------------------------------------

/// A pre-split `*`/`?` wildcard pattern.
///
/// Matching works on bytes, which is what keeps evaluation fast. It is still exact on UTF-8:
/// literal runs are valid UTF-8, so byte equality is character equality; `?` consumes one whole
/// character; and leftmost searches only start on character boundaries. Matching itself is
/// case-sensitive; action patterns are compiled ASCII-lower-cased and matched against the
/// ASCII-lower-cased action (IAM action names are ASCII by definition).
#[derive(Debug, Clone)]
enum Pattern {
    /// Exactly "*": matches anything (and is the only pattern covering "no resource").
    Star,
    /// No wildcards.
    Exact(Box<str>),
    /// A literal followed by one trailing `*` (e.g. "kms:Get*"), the most common shape.
    Prefix(Box<str>),
    /// General case: the literal runs between `*`s; `?` inside a run matches one character.
    /// A single run means the pattern had `?` but no `*`.
    Glob(Vec<Box<str>>),
}

impl Pattern {
    /// Compiles `raw`; with `case_insensitive` the text is stored ASCII-lower-cased, and the
    /// text it is matched against must be folded the same way.
    fn compile(raw: &str, case_insensitive: bool) -> Pattern {
        if raw == "*" {
            return Pattern::Star;
        }
        let text: Box<str> = if case_insensitive {
            raw.to_ascii_lowercase().into_boxed_str()
        } else {
            raw.into()
        };
        let stars = text.matches('*').count();
        if !text.contains('?') {
            if stars == 0 {
                return Pattern::Exact(text);
            }
            if let (1, Some(prefix)) = (stars, text.strip_suffix('*')) {
                return Pattern::Prefix(prefix.into());
            }
        }
        Pattern::Glob(text.split('*').map(Box::from).collect())
    }

    /// Matches `text`, the bytes of a `str` (or of one ASCII-lower-cased, for action patterns).
    fn matches(&self, text: &[u8]) -> bool {
        match self {
            Pattern::Star => true,
            Pattern::Exact(p) => p.as_bytes() == text,
            Pattern::Prefix(p) => text.starts_with(p.as_bytes()),
            Pattern::Glob(runs) => glob_match(runs, text),
        }
    }
}

/// Matches `runs` (a pattern split on `*`) against `text`: the first run is anchored at the
/// start, the last at the end, and the middle runs are found leftmost in order. Leftmost is
/// optimal because every run has a fixed length in characters, so it never needs backtracking.
fn glob_match(runs: &[Box<str>], text: &[u8]) -> bool {
    let Some((first, rest)) = runs.split_first() else {
        return text.is_empty();
    };
    let Some(mut pos) = match_run(first.as_bytes(), text) else {
        return false;
    };
    let Some((last, middle)) = rest.split_last() else {
        // No `*` at all: the single run must cover the whole text.
        return pos == text.len();
    };
    for run in middle.iter().filter(|r| !r.is_empty()) {
        match find_run(run.as_bytes(), text.get(pos..).unwrap_or_default()) {
            Some(end) => pos += end,
            None => return false,
        }
    }
    match_suffix(last.as_bytes(), text.get(pos..).unwrap_or_default())
}

/// True for the first byte of a UTF-8 character (not a continuation byte).
fn is_char_start(b: u8) -> bool {
    b & 0xC0 != 0x80
}

/// Length of the UTF-8 character starting with `lead`.
fn char_len(lead: u8) -> usize {
    match lead {
        0x00..=0x7F => 1,
        0xE0..=0xEF => 3,
        0xF0..=0xFF => 4,
        _ => 2,
    }
}

/// If `text` (starting on a character boundary) starts with `run`, returns the bytes consumed.
fn match_run(run: &[u8], text: &[u8]) -> Option<usize> {
    let mut at = 0;
    for &pb in run {
        let tb = *text.get(at)?;
        if pb == b'?' {
            at += char_len(tb);
        } else if pb == tb {
            at += 1;
        } else {
            return None;
        }
    }
    (at <= text.len()).then_some(at)
}

/// Finds the leftmost occurrence of the non-empty `run` in `text`; returns the end offset.
fn find_run(run: &[u8], text: &[u8]) -> Option<usize> {
    (0..text.len())
        .filter(|&i| text.get(i).copied().is_some_and(is_char_start))
        .find_map(|i| match_run(run, text.get(i..)?).map(|n| i + n))
}

/// True if `text` ends with `run`.
fn match_suffix(run: &[u8], text: &[u8]) -> bool {
    // Walk back as many characters as `run` has (`?` is one character, like any other).
    let mut want = run.iter().filter(|&&b| is_char_start(b)).count();
    let mut start = text.len();
    while want > 0 {
        let Some(s) = start.checked_sub(1) else {
            return false;
        };
        start = s;
        if text.get(start).copied().is_some_and(is_char_start) {
            want -= 1;
        }
    }
    let tail = text.get(start..).unwrap_or_default();
    match_run(run, tail) == Some(tail.len())
}

/// Per-character Unicode case folding for `StringEqualsIgnoreCase` and condition-key lookup,
/// where non-ASCII text (e.g. encryption-context keys) is plausible.
fn fold_char(c: char) -> char {
    if c.is_ascii() {
        c.to_ascii_lowercase()
    } else {
        c.to_lowercase().next().unwrap_or(c)
    }
}

fn fold_str(s: &str) -> Box<str> {
    s.chars()
        .map(fold_char)
        .collect::<String>()
        .into_boxed_str()
}

/// Case-insensitive equality of two unfolded strings.
fn eq_fold(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        return a.eq_ignore_ascii_case(b);
    }
    a.chars().map(fold_char).eq(b.chars().map(fold_char))
}

/// Case-insensitive equality of a pre-folded string with an unfolded one.
fn eq_folded(folded: &str, raw: &str) -> bool {
    if folded.is_ascii() && raw.is_ascii() {
        return folded.eq_ignore_ascii_case(raw);
    }
    folded.chars().eq(raw.chars().map(fold_char))
}

/// ASCII case-insensitive `strip_prefix`, safe on any input (never slices inside a char).
fn strip_prefix_ci<'s>(s: &'s str, prefix: &str) -> Option<&'s str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| s.get(prefix.len()..))
        .flatten()
}

/// ASCII case-insensitive `strip_suffix`, safe on any input.
fn strip_suffix_ci<'s>(s: &'s str, suffix: &str) -> Option<&'s str> {
    let cut = s.len().checked_sub(suffix.len())?;
    let tail = s.get(cut..)?;
    tail.eq_ignore_ascii_case(suffix)
        .then(|| s.get(..cut))
        .flatten()
}

// ---------------------------------------------------------------------------------------------
// Conditions
// ---------------------------------------------------------------------------------------------

/// How a multi-valued context key is combined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SetQual {
    /// No qualifier: behaves like `ForAnyValue` on present keys, but absent keys follow the
    /// operator's own rule (false for positive operators, true for negated ones).
    Plain,
    AnyValue,
    AllValues,
}

/// Ordering used by the Numeric and Date families; the "Not" variants are `Eq` + negation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cmp {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Cmp {
    /// Compares the context value `ctx` against the policy value `policy`.
    fn apply<T: PartialOrd>(self, ctx: &T, policy: &T) -> bool {
        match self {
            Cmp::Eq => ctx == policy,
            Cmp::Lt => ctx < policy,
            Cmp::Le => ctx <= policy,
            Cmp::Gt => ctx > policy,
            Cmp::Ge => ctx >= policy,
        }
    }
}

/// Operator family; decides how policy values are pre-parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Str,
    StrFold,
    Like,
    Num(Cmp),
    Date(Cmp),
    Bool,
    Ip,
    Null,
}

/// Every supported operator: name, family, negated. Arn* operators use wildcards like
/// StringLike, as in IAM (ArnEquals and ArnLike behave identically there).
const OPERATORS: &[(&str, Kind, bool)] = &[
    ("StringEquals", Kind::Str, false),
    ("StringNotEquals", Kind::Str, true),
    ("StringEqualsIgnoreCase", Kind::StrFold, false),
    ("StringNotEqualsIgnoreCase", Kind::StrFold, true),
    ("StringLike", Kind::Like, false),
    ("StringNotLike", Kind::Like, true),
    ("NumericEquals", Kind::Num(Cmp::Eq), false),
    ("NumericNotEquals", Kind::Num(Cmp::Eq), true),
    ("NumericLessThan", Kind::Num(Cmp::Lt), false),
    ("NumericLessThanEquals", Kind::Num(Cmp::Le), false),
    ("NumericGreaterThan", Kind::Num(Cmp::Gt), false),
    ("NumericGreaterThanEquals", Kind::Num(Cmp::Ge), false),
    ("DateEquals", Kind::Date(Cmp::Eq), false),
    ("DateNotEquals", Kind::Date(Cmp::Eq), true),
    ("DateLessThan", Kind::Date(Cmp::Lt), false),
    ("DateLessThanEquals", Kind::Date(Cmp::Le), false),
    ("DateGreaterThan", Kind::Date(Cmp::Gt), false),
    ("DateGreaterThanEquals", Kind::Date(Cmp::Ge), false),
    ("Bool", Kind::Bool, false),
    ("IpAddress", Kind::Ip, false),
    ("NotIpAddress", Kind::Ip, true),
    ("ArnEquals", Kind::Like, false),
    ("ArnLike", Kind::Like, false),
    ("ArnNotEquals", Kind::Like, true),
    ("ArnNotLike", Kind::Like, true),
    ("Null", Kind::Null, false),
];

/// A parsed operator name such as "ForAllValues:StringLikeIfExists".
#[derive(Debug, Clone, Copy)]
struct Operator {
    set: SetQual,
    if_exists: bool,
    kind: Kind,
    negated: bool,
}

/// Pre-parsed policy values of one condition.
#[derive(Debug, Clone)]
enum Test {
    Str(Vec<Box<str>>),
    /// Values stored case-folded.
    StrFold(Vec<Box<str>>),
    Like(Vec<Pattern>),
    Num(Cmp, Vec<f64>),
    Date(Cmp, Vec<DateTime<Utc>>),
    Bool(Vec<bool>),
    Ip(Vec<IpNet>),
    /// `true` = the key must be absent, `false` = present (any listed value may hold).
    Null(Vec<bool>),
}

/// One operator applied to one condition key.
#[derive(Debug, Clone)]
struct Condition {
    /// The condition key as written (minus any set qualifier); looked up case-insensitively.
    key: Box<str>,
    set: SetQual,
    if_exists: bool,
    negated: bool,
    test: Test,
}

/// Parses a `Condition` block into a flat list: every entry must hold (AND).
fn parse_conditions(v: &Value) -> Result<Vec<Condition>, String> {
    let ops = v.as_object().ok_or("\"Condition\" must be a JSON object")?;
    let mut out = Vec::new();
    for (op_name, block) in ops {
        let op = parse_operator(op_name)?;
        let block = block.as_object().ok_or_else(|| {
            format!("condition operator {op_name:?} must map to an object of condition keys")
        })?;
        for (key, values) in block {
            let cond = Condition::parse(op, key, values)
                .map_err(|e| format!("condition {op_name:?} on key {key:?}: {e}"))?;
            // Validated above, then dropped: a kms:ViaService condition always holds.
            if !eq_fold(&cond.key, VIA_SERVICE_KEY) {
                out.push(cond);
            }
        }
    }
    Ok(out)
}

/// Parses an operator name with its optional `ForAnyValue:`/`ForAllValues:` prefix and
/// `IfExists` suffix. Names are matched ASCII case-insensitively.
fn parse_operator(name: &str) -> Result<Operator, String> {
    let unknown = || format!("unknown condition operator {name:?}");
    let (set, rest) = split_set_qualifier(name);
    if set == SetQual::Plain && name.contains(':') {
        return Err(unknown());
    }
    let (base, if_exists) = match strip_suffix_ci(rest, "IfExists") {
        Some(base) => (base, true),
        None => (rest, false),
    };
    let &(_, kind, negated) = OPERATORS
        .iter()
        .find(|(n, _, _)| n.eq_ignore_ascii_case(base))
        .ok_or_else(unknown)?;
    if if_exists && kind == Kind::Null {
        return Err(format!(
            "condition operator {name:?}: Null does not take IfExists"
        ));
    }
    Ok(Operator {
        set,
        if_exists,
        kind,
        negated,
    })
}

/// Splits a leading `ForAnyValue:` / `ForAllValues:` off an operator name or condition key.
fn split_set_qualifier(s: &str) -> (SetQual, &str) {
    if let Some(rest) = strip_prefix_ci(s, "ForAnyValue:") {
        (SetQual::AnyValue, rest)
    } else if let Some(rest) = strip_prefix_ci(s, "ForAllValues:") {
        (SetQual::AllValues, rest)
    } else {
        (SetQual::Plain, s)
    }
}

impl Condition {
    fn parse(op: Operator, raw_key: &str, values: &Value) -> Result<Condition, String> {
        // IAM puts the set qualifier on the operator; a qualifier written on the key is accepted
        // too, since no real condition key starts with one.
        let (key_set, key) = split_set_qualifier(raw_key);
        let set = match (op.set, key_set) {
            (s, SetQual::Plain) | (SetQual::Plain, s) => s,
            _ => return Err("set qualifier given on both operator and key".to_owned()),
        };
        if key.is_empty() {
            return Err("empty condition key".to_owned());
        }
        let raw = scalar_strings(values)?;
        Ok(Condition {
            key: key.into(),
            set,
            if_exists: op.if_exists,
            negated: op.negated,
            test: build_test(op.kind, &raw)?,
        })
    }

    fn holds(&self, ctx: &Context) -> bool {
        let Some(values) = lookup(ctx, &self.key) else {
            return self.absent_result();
        };
        if let Test::Null(expect) = &self.test {
            return expect.contains(&false);
        }
        // Negated operators hold for a context value that matches none of the policy values.
        let one = |v: &String| self.test.matches(v) != self.negated;
        match self.set {
            SetQual::AllValues => values.iter().all(one),
            SetQual::AnyValue | SetQual::Plain => values.iter().any(one),
        }
    }

    /// Outcome when the key is missing from the context (or has no values).
    fn absent_result(&self) -> bool {
        if let Test::Null(expect) = &self.test {
            return expect.contains(&true);
        }
        if self.if_exists {
            return true;
        }
        match self.set {
            // Every one of zero values matches: vacuously true.
            SetQual::AllValues => true,
            SetQual::AnyValue => false,
            SetQual::Plain => self.negated,
        }
    }
}

/// Finds `key` in the context case-insensitively; exact spelling is tried first because
/// callers usually build the context with the canonical spelling.
fn lookup<'c>(ctx: &'c Context, key: &str) -> Option<&'c [String]> {
    let values = match ctx.get(key) {
        Some(v) => v,
        None => ctx.iter().find(|(k, _)| eq_fold(k, key)).map(|(_, v)| v)?,
    };
    (!values.is_empty()).then_some(values.as_slice())
}

/// A condition value: string, number or bool, or an array of them; numbers and bools are used
/// in their JSON text form.
fn scalar_strings(v: &Value) -> Result<Vec<String>, String> {
    fn one(v: &Value) -> Result<String, String> {
        match v {
            Value::String(s) => Ok(s.clone()),
            Value::Number(n) => Ok(n.to_string()),
            Value::Bool(b) => Ok(b.to_string()),
            other => Err(format!(
                "condition values must be strings, numbers or booleans, got {other}"
            )),
        }
    }
    match v {
        Value::Array(items) => items.iter().map(one).collect(),
        other => Ok(vec![one(other)?]),
    }
}

/// Pre-parses the policy values for operator family `kind`.
fn build_test(kind: Kind, raw: &[String]) -> Result<Test, String> {
    fn all<T>(raw: &[String], what: &str, f: impl Fn(&str) -> Option<T>) -> Result<Vec<T>, String> {
        raw.iter()
            .map(|s| f(s).ok_or_else(|| format!("{s:?} is not {what}")))
            .collect()
    }
    Ok(match kind {
        Kind::Str => Test::Str(raw.iter().map(|s| Box::from(s.as_str())).collect()),
        Kind::StrFold => Test::StrFold(raw.iter().map(|s| fold_str(s)).collect()),
        Kind::Like => Test::Like(raw.iter().map(|s| Pattern::compile(s, false)).collect()),
        Kind::Num(cmp) => Test::Num(cmp, all(raw, "a number", parse_number)?),
        Kind::Date(cmp) => Test::Date(cmp, all(raw, "a date", parse_date)?),
        Kind::Bool => Test::Bool(all(raw, "a boolean", parse_bool)?),
        Kind::Ip => Test::Ip(all(raw, "an IP address or CIDR", parse_net)?),
        Kind::Null => Test::Null(all(raw, "a boolean", parse_bool)?),
    })
}

impl Test {
    /// True if the context value `v` matches at least one policy value (ignoring negation).
    /// A context value that does not parse for the family matches nothing.
    fn matches(&self, v: &str) -> bool {
        match self {
            Test::Str(ps) => ps.iter().any(|p| **p == *v),
            Test::StrFold(ps) => ps.iter().any(|p| eq_folded(p, v)),
            Test::Like(ps) => ps.iter().any(|p| p.matches(v.as_bytes())),
            Test::Num(cmp, ps) => {
                parse_number(v).is_some_and(|x| ps.iter().any(|p| cmp.apply(&x, p)))
            }
            Test::Date(cmp, ps) => {
                parse_date(v).is_some_and(|t| ps.iter().any(|p| cmp.apply(&t, p)))
            }
            Test::Bool(ps) => parse_bool(v).is_some_and(|b| ps.contains(&b)),
            Test::Ip(nets) => parse_addr(v).is_some_and(|a| nets.iter().any(|n| n.contains(&a))),
            // Null is decided by presence alone, in `Condition::holds`.
            Test::Null(_) => false,
        }
    }
}

fn parse_number(s: &str) -> Option<f64> {
    s.trim().parse::<f64>().ok().filter(|x| x.is_finite())
}

fn parse_bool(s: &str) -> Option<bool> {
    let s = s.trim();
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// A policy IP value: CIDR ("10.0.0.0/8", "2001:db8::/32") or a plain address (a /32 or /128).
fn parse_net(s: &str) -> Option<IpNet> {
    let s = s.trim();
    s.parse::<IpNet>()
        .ok()
        .or_else(|| s.parse::<IpAddr>().ok().map(IpNet::from))
}

/// A context IP value. IPv4-mapped IPv6 addresses ("::ffff:10.1.2.3") are unmapped so that
/// IPv4 CIDRs still match callers seen through a dual-stack socket.
fn parse_addr(s: &str) -> Option<IpAddr> {
    s.trim().parse::<IpAddr>().ok().map(|a| a.to_canonical())
}

/// Parses epoch seconds (integer or fractional), RFC 3339, common ISO 8601 variants (no
/// seconds, no offset = UTC, basic format), or a plain date (midnight UTC).
fn parse_date(raw: &str) -> Option<DateTime<Utc>> {
    let s = raw.trim();
    if let Some(t) = parse_epoch(s) {
        return Some(t);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.to_utc());
    }
    for fmt in [
        "%Y-%m-%dT%H:%M%#z",
        "%Y-%m-%dT%H:%M:%S%.f%#z",
        "%Y%m%dT%H%M%S%#z",
    ] {
        if let Ok(t) = DateTime::parse_from_str(s, fmt) {
            return Some(t.to_utc());
        }
    }
    let naive = s.strip_suffix(['Z', 'z']).unwrap_or(s);
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M", "%Y%m%dT%H%M%S"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(naive, fmt) {
            return Some(t.and_utc());
        }
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()?
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc())
}

fn parse_epoch(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(secs) = s.parse::<i64>() {
        return DateTime::from_timestamp(secs, 0);
    }
    // Only digits, sign and one dot: avoids "1e9"-style or "inf" inputs being read as epochs.
    if s.is_empty()
        || !s
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-')
    {
        return None;
    }
    let f = s.parse::<f64>().ok().filter(|f| f.is_finite())?;
    let secs = f.floor();
    let nanos = ((f - secs) * 1e9) as u32;
    DateTime::from_timestamp(secs as i64, nanos.min(999_999_999))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const KEY_HZ: &str = "acs:kms:cn-hangzhou:123456789012:key/abc";
    const KEY_HZ_AWS: &str = "arn:aws:kms:cn-hangzhou:123456789012:key/abc";

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    fn ctx(pairs: &[(&str, &[&str])]) -> Context {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), strings(v)))
            .collect()
    }

    fn doc(text: &str) -> PolicyDoc {
        PolicyDoc::parse(text).unwrap()
    }

    /// Evaluates `policy` for `action` on `resources` with `context` and no principals.
    fn decide(policy: &str, action: &str, resources: &[&str], context: &Context) -> Decision {
        let resources = strings(resources);
        let req = Request {
            action,
            resources: &resources,
            principals: &[],
            context,
        };
        evaluate(&doc(policy), &req)
    }

    /// An Allow statement with the given Action and Resource JSON fragments.
    fn allow(action: &str, resource: &str) -> String {
        format!(r#"{{"Statement":[{{"Effect":"Allow","Action":{action},"Resource":{resource}}}]}}"#)
    }

    /// An Allow-all statement guarded by the given Condition JSON.
    fn allow_if(condition: &str) -> String {
        format!(
            r#"{{"Statement":{{"Effect":"Allow","Action":"kms:*","Resource":"*","Condition":{condition}}}}}"#
        )
    }

    /// Evaluates `allow_if(condition)` for kms:Encrypt on KEY_HZ.
    fn cond(condition: &str, context: &Context) -> Decision {
        decide(&allow_if(condition), "kms:Encrypt", &[KEY_HZ], context)
    }

    fn parse_err(text: &str) -> String {
        PolicyDoc::parse(text).unwrap_err()
    }

    use Decision::{Allow, NotApplicable};

    fn deny(label: &str) -> Decision {
        Decision::Deny(label.to_owned())
    }

    // ---- actions -----------------------------------------------------------------------------

    #[test]
    fn action_service_wildcard() {
        let p = allow(r#""kms:*""#, r#""*""#);
        let c = Context::new();
        assert_eq!(decide(&p, "kms:Encrypt", &[KEY_HZ], &c), Allow);
        assert_eq!(
            decide(&p, "secretsmanager:GetSecretValue", &[KEY_HZ], &c),
            NotApplicable
        );
    }

    #[test]
    fn action_prefix_wildcard() {
        let p = allow(r#""kms:Get*""#, r#""*""#);
        let c = Context::new();
        assert_eq!(decide(&p, "kms:GetPublicKey", &[KEY_HZ], &c), Allow);
        assert_eq!(decide(&p, "kms:Get", &[KEY_HZ], &c), Allow);
        assert_eq!(decide(&p, "kms:Encrypt", &[KEY_HZ], &c), NotApplicable);
    }

    #[test]
    fn action_question_mark() {
        let p = allow(r#""kms:?ncrypt""#, r#""*""#);
        let c = Context::new();
        assert_eq!(decide(&p, "kms:Encrypt", &[KEY_HZ], &c), Allow);
        assert_eq!(decide(&p, "kms:Decrypt", &[KEY_HZ], &c), NotApplicable);
        assert_eq!(decide(&p, "kms:ncrypt", &[KEY_HZ], &c), NotApplicable);
    }

    #[test]
    fn action_case_insensitive() {
        let p = allow(r#"["KMS:encrypt"]"#, r#""*""#);
        let c = Context::new();
        assert_eq!(decide(&p, "kms:Encrypt", &[KEY_HZ], &c), Allow);
        assert_eq!(decide(&p, "KMS:ENCRYPT", &[KEY_HZ], &c), Allow);
        let p = allow(r#""KmS:gEt*""#, r#""*""#);
        assert_eq!(decide(&p, "kms:GetKeyPolicy", &[KEY_HZ], &c), Allow);
        // Names too long for the stack buffer take the allocating path, with the same result.
        let long = format!("KMS:GET{}", "X".repeat(200));
        assert_eq!(decide(&p, &long, &[KEY_HZ], &c), Allow);
    }

    #[test]
    fn action_star_and_list() {
        let c = Context::new();
        let p = allow(r#""*""#, r#""*""#);
        assert_eq!(decide(&p, "anything:AtAll", &[], &c), Allow);
        let p = allow(r#"["kms:Decrypt","kms:Encrypt"]"#, r#""*""#);
        assert_eq!(decide(&p, "kms:Encrypt", &[KEY_HZ], &c), Allow);
        assert_eq!(decide(&p, "kms:Sign", &[KEY_HZ], &c), NotApplicable);
    }

    // ---- resources ---------------------------------------------------------------------------

    #[test]
    fn resource_arn_wildcards() {
        let p = allow(r#""kms:*""#, r#""acs:kms:*:*:key/*""#);
        let c = Context::new();
        assert_eq!(decide(&p, "kms:Encrypt", &[KEY_HZ], &c), Allow);
        let alias = "acs:kms:cn-hangzhou:123456789012:alias/abc";
        assert_eq!(decide(&p, "kms:Encrypt", &[alias], &c), NotApplicable);
        assert_eq!(decide(&p, "kms:Encrypt", &[KEY_HZ_AWS], &c), NotApplicable);
    }

    #[test]
    fn resource_exact_arn_and_other_region() {
        let p = allow(r#""kms:*""#, &format!("{KEY_HZ:?}"));
        let c = Context::new();
        assert_eq!(decide(&p, "kms:Encrypt", &[KEY_HZ], &c), Allow);
        let shanghai = "acs:kms:cn-shanghai:123456789012:key/abc";
        assert_eq!(decide(&p, "kms:Encrypt", &[shanghai], &c), NotApplicable);
        let p = allow(r#""kms:*""#, r#""acs:kms:cn-shanghai:*:key/*""#);
        assert_eq!(decide(&p, "kms:Encrypt", &[KEY_HZ], &c), NotApplicable);
    }

    #[test]
    fn resource_case_sensitive() {
        let p = allow(r#""kms:*""#, r#""acs:kms:*:*:key/ABC""#);
        let c = Context::new();
        assert_eq!(decide(&p, "kms:Encrypt", &[KEY_HZ], &c), NotApplicable);
    }

    #[test]
    fn resource_any_of_several_names() {
        let p = allow(r#""kms:*""#, r#""arn:aws:kms:*:123456789012:key/abc""#);
        let c = Context::new();
        assert_eq!(decide(&p, "kms:Encrypt", &[KEY_HZ, KEY_HZ_AWS], &c), Allow);
        assert_eq!(decide(&p, "kms:Encrypt", &[KEY_HZ], &c), NotApplicable);
    }

    #[test]
    fn resource_empty_only_star_matches() {
        let c = Context::new();
        let star = allow(r#""kms:*""#, r#""*""#);
        assert_eq!(decide(&star, "kms:ListKeys", &[], &c), Allow);
        let scoped = allow(r#""kms:*""#, r#""acs:kms:*""#);
        assert_eq!(decide(&scoped, "kms:ListKeys", &[], &c), NotApplicable);
        let double = allow(r#""kms:*""#, r#""**""#);
        assert_eq!(decide(&double, "kms:ListKeys", &[], &c), NotApplicable);
        assert_eq!(decide(&double, "kms:Encrypt", &[KEY_HZ], &c), Allow);
    }

    #[test]
    fn resource_absent_matches_everything() {
        let p = r#"{"Statement":{"Effect":"Allow","Action":"kms:*"}}"#;
        let c = Context::new();
        assert_eq!(decide(p, "kms:Encrypt", &[KEY_HZ], &c), Allow);
        assert_eq!(decide(p, "kms:ListKeys", &[], &c), Allow);
    }

    // ---- NotAction / NotResource -------------------------------------------------------------

    #[test]
    fn not_action() {
        let p = r#"{"Statement":[
            {"Effect":"Allow","NotAction":["kms:Decrypt","kms:Schedule*"],"Resource":"*"}]}"#;
        let c = Context::new();
        assert_eq!(decide(p, "kms:Encrypt", &[KEY_HZ], &c), Allow);
        assert_eq!(decide(p, "kms:Decrypt", &[KEY_HZ], &c), NotApplicable);
        assert_eq!(
            decide(p, "KMS:ScheduleKeyDeletion", &[KEY_HZ], &c),
            NotApplicable
        );
    }

    #[test]
    fn not_resource() {
        let p = r#"{"Statement":[
            {"Effect":"Allow","Action":"kms:*","NotResource":"acs:kms:*:*:key/secret-*"}]}"#;
        let c = Context::new();
        assert_eq!(decide(p, "kms:Encrypt", &[KEY_HZ], &c), Allow);
        let secret = "acs:kms:cn-hangzhou:1:key/secret-1";
        assert_eq!(decide(p, "kms:Encrypt", &[secret], &c), NotApplicable);
        // No resource: nothing is excluded, so NotResource applies.
        assert_eq!(decide(p, "kms:ListKeys", &[], &c), Allow);
        let star = r#"{"Statement":[{"Effect":"Allow","Action":"kms:*","NotResource":"*"}]}"#;
        assert_eq!(decide(star, "kms:ListKeys", &[], &c), NotApplicable);
        assert_eq!(decide(star, "kms:Encrypt", &[KEY_HZ], &c), NotApplicable);
    }

    // ---- combining ---------------------------------------------------------------------------

    #[test]
    fn deny_beats_allow_across_documents() {
        let allow_doc = doc(&allow(r#""kms:*""#, r#""*""#));
        let deny_doc = doc(r#"{"Version":"1","Statement":[
                {"Sid":"NoDecrypt","Effect":"Deny","Action":"kms:Decrypt","Resource":"*"}]}"#);
        let resources = strings(&[KEY_HZ]);
        let c = Context::new();
        let mut req = Request {
            action: "kms:Decrypt",
            resources: &resources,
            principals: &[],
            context: &c,
        };
        assert_eq!(
            evaluate_all([&allow_doc, &deny_doc], &req),
            deny("NoDecrypt")
        );
        assert_eq!(
            evaluate_all([&deny_doc, &allow_doc], &req),
            deny("NoDecrypt")
        );
        req.action = "kms:Encrypt";
        assert_eq!(evaluate_all([&allow_doc, &deny_doc], &req), Allow);
        assert_eq!(evaluate_all([&deny_doc], &req), NotApplicable);
        assert_eq!(
            evaluate_all(std::iter::empty::<&PolicyDoc>(), &req),
            NotApplicable
        );
    }

    #[test]
    fn deny_after_allow_in_same_document() {
        let p = r#"{"Statement":[
            {"Effect":"Allow","Action":"*","Resource":"*"},
            {"Effect":"Deny","Action":"kms:Encrypt","Resource":"*"}]}"#;
        let c = Context::new();
        assert_eq!(decide(p, "kms:Encrypt", &[KEY_HZ], &c), deny("statement 2"));
        assert_eq!(decide(p, "kms:Decrypt", &[KEY_HZ], &c), Allow);
    }

    #[test]
    fn nothing_matches_is_not_applicable() {
        let c = Context::new();
        let p = allow(r#""kms:Encrypt""#, &format!("{KEY_HZ:?}"));
        assert_eq!(decide(&p, "kms:Decrypt", &[KEY_HZ], &c), NotApplicable);
        let empty = doc(r#"{"Version":"2012-10-17","Statement":[]}"#);
        assert!(empty.is_empty());
        assert_eq!(evaluate(&empty, &Request::default()), NotApplicable);
        let no_statement = doc(r#"{"Version":"1"}"#);
        assert_eq!(no_statement.len(), 0);
    }

    #[test]
    fn request_default_is_empty() {
        let req = Request::default();
        assert_eq!(req.action, "");
        assert!(req.resources.is_empty() && req.principals.is_empty() && req.context.is_empty());
        let p = doc(&allow(r#""*""#, r#""*""#));
        assert_eq!(evaluate(&p, &req), Allow);
    }

    // ---- string conditions -------------------------------------------------------------------

    #[test]
    fn string_equals_encryption_context() {
        let c = r#"{"StringEquals":{"kms:EncryptionContext:Department":"Finance"}}"#;
        let k = "kms:EncryptionContext:Department";
        assert_eq!(cond(c, &ctx(&[(k, &["Finance"])])), Allow);
        assert_eq!(cond(c, &ctx(&[(k, &["finance"])])), NotApplicable);
        assert_eq!(cond(c, &ctx(&[(k, &["Legal"])])), NotApplicable);
        let lower = ctx(&[("KMS:encryptioncontext:DEPARTMENT", &["Finance"])]);
        assert_eq!(cond(c, &lower), Allow);
        assert_eq!(cond(c, &Context::new()), NotApplicable);
        assert_eq!(cond(c, &ctx(&[(k, &[])])), NotApplicable);
    }

    #[test]
    fn string_equals_values_are_ored_and_operators_anded() {
        let c = r#"{"StringEquals":{"kms:EncryptionContext:Department":["Finance","Legal"],
                                    "kms:CallerAccount":"123"},
                    "StringLike":{"kms:EncryptionContext:Project":"proj-*"}}"#;
        let all = ctx(&[
            ("kms:EncryptionContext:Department", &["Legal"]),
            ("kms:CallerAccount", &["123"]),
            ("kms:EncryptionContext:Project", &["proj-7"]),
        ]);
        assert_eq!(cond(c, &all), Allow);
        let missing_one = ctx(&[
            ("kms:EncryptionContext:Department", &["Legal"]),
            ("kms:EncryptionContext:Project", &["proj-7"]),
        ]);
        assert_eq!(cond(c, &missing_one), NotApplicable);
    }

    #[test]
    fn string_like_encryption_context() {
        let c = r#"{"StringLike":{"kms:EncryptionContext:Department":["Fin*","L?gal"]}}"#;
        let k = "kms:encryptioncontext:department";
        assert_eq!(cond(c, &ctx(&[(k, &["Finance"])])), Allow);
        assert_eq!(cond(c, &ctx(&[(k, &["Legal"])])), Allow);
        assert_eq!(cond(c, &ctx(&[(k, &["finance"])])), NotApplicable);
        assert_eq!(cond(c, &ctx(&[(k, &["Leegal"])])), NotApplicable);
        assert_eq!(cond(c, &Context::new()), NotApplicable);
    }

    #[test]
    fn string_not_equals_and_not_like() {
        let c = r#"{"StringNotEquals":{"kms:EncryptionContext:Department":["Finance","Legal"]}}"#;
        let k = "kms:EncryptionContext:Department";
        assert_eq!(cond(c, &ctx(&[(k, &["HR"])])), Allow);
        assert_eq!(cond(c, &ctx(&[(k, &["Legal"])])), NotApplicable);
        assert_eq!(cond(c, &Context::new()), Allow);
        let c = r#"{"StringNotLike":{"kms:EncryptionContext:Department":"Fin*"}}"#;
        assert_eq!(cond(c, &ctx(&[(k, &["Finance"])])), NotApplicable);
        assert_eq!(cond(c, &ctx(&[(k, &["HR"])])), Allow);
    }

    #[test]
    fn string_equals_ignore_case() {
        let c = r#"{"StringEqualsIgnoreCase":{"kms:EncryptionContext:Department":"FINANCE"}}"#;
        let k = "kms:EncryptionContext:Department";
        assert_eq!(cond(c, &ctx(&[(k, &["finance"])])), Allow);
        assert_eq!(cond(c, &ctx(&[(k, &["Legal"])])), NotApplicable);
        let c = r#"{"StringNotEqualsIgnoreCase":{"kms:EncryptionContext:Department":"FINANCE"}}"#;
        assert_eq!(cond(c, &ctx(&[(k, &["Finance"])])), NotApplicable);
        assert_eq!(cond(c, &Context::new()), Allow);
    }

    // ---- set qualifiers ----------------------------------------------------------------------

    #[test]
    fn for_all_values_encryption_context_keys() {
        let c = r#"{"ForAllValues:StringEquals":
                    {"kms:EncryptionContextKeys":["Department","Project"]}}"#;
        let k = "kms:EncryptionContextKeys";
        assert_eq!(cond(c, &ctx(&[(k, &["Department"])])), Allow);
        assert_eq!(cond(c, &ctx(&[(k, &["Project", "Department"])])), Allow);
        assert_eq!(
            cond(c, &ctx(&[(k, &["Department", "Other"])])),
            NotApplicable
        );
        assert_eq!(cond(c, &Context::new()), Allow);
    }

    #[test]
    fn for_any_value_encryption_context_keys() {
        let c = r#"{"ForAnyValue:StringEquals":{"kms:EncryptionContextKeys":"Department"}}"#;
        let k = "kms:EncryptionContextKeys";
        assert_eq!(cond(c, &ctx(&[(k, &["Other", "Department"])])), Allow);
        assert_eq!(cond(c, &ctx(&[(k, &["Other"])])), NotApplicable);
        assert_eq!(cond(c, &Context::new()), NotApplicable);
    }

    #[test]
    fn unqualified_multi_valued_key_is_for_any_value() {
        let c = r#"{"StringEquals":{"kms:EncryptionContextKeys":"Department"}}"#;
        let k = "kms:EncryptionContextKeys";
        assert_eq!(cond(c, &ctx(&[(k, &["Other", "Department"])])), Allow);
        assert_eq!(cond(c, &ctx(&[(k, &["Other"])])), NotApplicable);
    }

    #[test]
    fn set_qualifier_with_negated_operator() {
        let c = r#"{"ForAllValues:StringNotLike":{"kms:EncryptionContextKeys":"secret*"}}"#;
        let k = "kms:EncryptionContextKeys";
        assert_eq!(cond(c, &ctx(&[(k, &["a", "b"])])), Allow);
        assert_eq!(cond(c, &ctx(&[(k, &["a", "secretX"])])), NotApplicable);
        let c = r#"{"ForAnyValue:StringNotEquals":{"kms:EncryptionContextKeys":"a"}}"#;
        assert_eq!(cond(c, &ctx(&[(k, &["a", "b"])])), Allow);
        assert_eq!(cond(c, &ctx(&[(k, &["a"])])), NotApplicable);
        assert_eq!(cond(c, &Context::new()), NotApplicable);
    }

    #[test]
    fn set_qualifier_written_on_key() {
        let c = r#"{"StringEquals":{"ForAllValues:kms:EncryptionContextKeys":["Department"]}}"#;
        let k = "kms:EncryptionContextKeys";
        assert_eq!(cond(c, &ctx(&[(k, &["Department"])])), Allow);
        assert_eq!(cond(c, &ctx(&[(k, &["Department", "X"])])), NotApplicable);
        assert_eq!(cond(c, &Context::new()), Allow);
    }

    // ---- IP conditions -----------------------------------------------------------------------

    #[test]
    fn ip_address_ipv4_cidr() {
        let c = r#"{"IpAddress":{"aws:SourceIp":["192.0.2.0/24","203.0.113.7"]}}"#;
        assert_eq!(cond(c, &ctx(&[("aws:SourceIp", &["192.0.2.15"])])), Allow);
        assert_eq!(cond(c, &ctx(&[("aws:sourceip", &["203.0.113.7"])])), Allow);
        assert_eq!(
            cond(c, &ctx(&[("aws:SourceIp", &["203.0.113.8"])])),
            NotApplicable
        );
        assert_eq!(
            cond(c, &ctx(&[("aws:SourceIp", &["198.51.100.1"])])),
            NotApplicable
        );
        assert_eq!(
            cond(c, &ctx(&[("aws:SourceIp", &["not-an-ip"])])),
            NotApplicable
        );
        assert_eq!(
            cond(c, &ctx(&[("aws:SourceIp", &["::ffff:192.0.2.9"])])),
            Allow
        );
        assert_eq!(cond(c, &Context::new()), NotApplicable);
    }

    #[test]
    fn ip_address_ipv6() {
        let c = r#"{"IpAddress":{"acs:SourceIp":"2001:db8::/32"}}"#;
        assert_eq!(
            cond(c, &ctx(&[("acs:SourceIp", &["2001:db8:1::5"])])),
            Allow
        );
        assert_eq!(
            cond(c, &ctx(&[("acs:SourceIp", &["2001:db9::1"])])),
            NotApplicable
        );
        assert_eq!(
            cond(c, &ctx(&[("acs:SourceIp", &["192.0.2.1"])])),
            NotApplicable
        );
    }

    #[test]
    fn not_ip_address() {
        let c = r#"{"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8","fd00::/8"]}}"#;
        assert_eq!(
            cond(c, &ctx(&[("aws:SourceIp", &["10.1.2.3"])])),
            NotApplicable
        );
        assert_eq!(
            cond(c, &ctx(&[("aws:SourceIp", &["fd12::1"])])),
            NotApplicable
        );
        assert_eq!(cond(c, &ctx(&[("aws:SourceIp", &["192.0.2.1"])])), Allow);
        assert_eq!(cond(c, &Context::new()), Allow);
    }

    // ---- date / numeric / bool / arn -----------------------------------------------------------

    #[test]
    fn date_less_than_rfc3339() {
        let c = r#"{"DateLessThan":{"aws:CurrentTime":"2026-12-31T00:00:00Z"}}"#;
        let k = "aws:CurrentTime";
        assert_eq!(cond(c, &ctx(&[(k, &["2026-06-01T12:00:00Z"])])), Allow);
        assert_eq!(
            cond(c, &ctx(&[(k, &["2026-12-31T00:00:00Z"])])),
            NotApplicable
        );
        assert_eq!(
            cond(c, &ctx(&[(k, &["2027-01-01T00:00:00+08:00"])])),
            NotApplicable
        );
        // 2026-12-31T07:00:00+08:00 is 2026-12-30T23:00:00Z.
        assert_eq!(cond(c, &ctx(&[(k, &["2026-12-31T07:00:00+08:00"])])), Allow);
        assert_eq!(cond(c, &ctx(&[(k, &["1700000000"])])), Allow);
        assert_eq!(cond(c, &ctx(&[(k, &["garbage"])])), NotApplicable);
        assert_eq!(cond(c, &Context::new()), NotApplicable);
    }

    #[test]
    fn date_greater_than_epoch() {
        // 1767225600 = 2026-01-01T00:00:00Z.
        let c = r#"{"DateGreaterThan":{"acs:CurrentTime":1767225600}}"#;
        let k = "acs:CurrentTime";
        assert_eq!(cond(c, &ctx(&[(k, &["2026-01-01T00:00:01Z"])])), Allow);
        assert_eq!(
            cond(c, &ctx(&[(k, &["2026-01-01T00:00:00Z"])])),
            NotApplicable
        );
        assert_eq!(cond(c, &ctx(&[(k, &["1767225601"])])), Allow);
        assert_eq!(cond(c, &ctx(&[(k, &["2025-12-31"])])), NotApplicable);
        let c = r#"{"DateGreaterThanEquals":{"aws:CurrentTime":"2026-01-01"}}"#;
        let k = "aws:CurrentTime";
        assert_eq!(cond(c, &ctx(&[(k, &["1767225600"])])), Allow);
        assert_eq!(cond(c, &ctx(&[(k, &["1767225599.5"])])), NotApplicable);
    }

    #[test]
    fn date_formats_parse() {
        let want = parse_date("2026-12-31T10:20:00Z").unwrap();
        for s in [
            "2026-12-31T10:20:00Z",
            "2026-12-31T10:20:00.000Z",
            "2026-12-31T10:20:00",
            "2026-12-31T10:20Z",
            "2026-12-31T10:20",
            "2026-12-31T18:20+08:00",
            "2026-12-31T18:20:00+0800",
            "20261231T102000Z",
            "1798712400",
        ] {
            assert_eq!(parse_date(s), Some(want), "{s}");
        }
        assert_eq!(
            parse_date("2026-12-31"),
            Some(parse_date("2026-12-31T00:00:00Z").unwrap())
        );
        assert_eq!(parse_date("31/12/2026"), None);
        assert_eq!(parse_date("inf"), None);
    }

    #[test]
    fn date_equals_and_not_equals() {
        let c = r#"{"DateEquals":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}}"#;
        let k = "aws:CurrentTime";
        assert_eq!(cond(c, &ctx(&[(k, &["1767225600"])])), Allow);
        let c = r#"{"DateNotEquals":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}}"#;
        assert_eq!(cond(c, &ctx(&[(k, &["1767225600"])])), NotApplicable);
        assert_eq!(cond(c, &ctx(&[(k, &["1767225601"])])), Allow);
        assert_eq!(cond(c, &Context::new()), Allow);
    }

    #[test]
    fn numeric_operators() {
        let k = "kms:GrantCount";
        let cases = [
            ("NumericEquals", "5", true),
            ("NumericEquals", "5.0", true),
            ("NumericNotEquals", "5", false),
            ("NumericNotEquals", "6", true),
            ("NumericLessThan", "4", true),
            ("NumericLessThan", "5", false),
            ("NumericLessThanEquals", "5", true),
            ("NumericGreaterThan", "5", false),
            ("NumericGreaterThan", "6.5", true),
            ("NumericGreaterThanEquals", "5", true),
            ("NumericEquals", "five", false),
        ];
        for (op, value, want) in cases {
            let c = format!(r#"{{"{op}":{{"{k}":5}}}}"#);
            let got = cond(&c, &ctx(&[(k, &[value])]));
            assert_eq!(got == Allow, want, "{op} {value}");
        }
        assert_eq!(
            cond(r#"{"NumericNotEquals":{"x":"1"}}"#, &Context::new()),
            Allow
        );
        assert_eq!(
            cond(r#"{"NumericEquals":{"x":"1"}}"#, &Context::new()),
            NotApplicable
        );
    }

    #[test]
    fn bool_operator() {
        let c = r#"{"Bool":{"aws:SecureTransport":true}}"#;
        let k = "aws:SecureTransport";
        assert_eq!(cond(c, &ctx(&[(k, &["true"])])), Allow);
        assert_eq!(cond(c, &ctx(&[(k, &["TRUE"])])), Allow);
        assert_eq!(cond(c, &ctx(&[(k, &["false"])])), NotApplicable);
        assert_eq!(cond(c, &Context::new()), NotApplicable);
        let c = r#"{"Bool":{"aws:SecureTransport":"false"}}"#;
        assert_eq!(cond(c, &ctx(&[(k, &["false"])])), Allow);
    }

    #[test]
    fn arn_operators() {
        let k = "aws:SourceArn";
        let arn = "arn:aws:iam::123456789012:role/app";
        let c = r#"{"ArnLike":{"aws:SourceArn":"arn:aws:iam::*:role/*"}}"#;
        assert_eq!(cond(c, &ctx(&[(k, &[arn])])), Allow);
        let c = r#"{"ArnEquals":{"aws:SourceArn":"arn:aws:iam::123456789012:role/app"}}"#;
        assert_eq!(cond(c, &ctx(&[(k, &[arn])])), Allow);
        let c = r#"{"ArnNotEquals":{"aws:SourceArn":"arn:aws:iam::123456789012:role/app"}}"#;
        assert_eq!(cond(c, &ctx(&[(k, &[arn])])), NotApplicable);
        let c = r#"{"ArnNotLike":{"aws:SourceArn":"arn:aws:iam::999:*"}}"#;
        assert_eq!(cond(c, &ctx(&[(k, &[arn])])), Allow);
        assert_eq!(cond(c, &Context::new()), Allow);
    }

    // ---- IfExists / Null / ViaService ----------------------------------------------------------

    #[test]
    fn if_exists() {
        let c = r#"{"StringEqualsIfExists":{"kms:EncryptionContext:Department":"Finance"}}"#;
        let k = "kms:EncryptionContext:Department";
        assert_eq!(cond(c, &Context::new()), Allow);
        assert_eq!(cond(c, &ctx(&[(k, &["Finance"])])), Allow);
        assert_eq!(cond(c, &ctx(&[(k, &["Legal"])])), NotApplicable);
        let c = r#"{"ForAnyValue:StringEqualsIfExists":{"kms:EncryptionContextKeys":"a"}}"#;
        assert_eq!(cond(c, &Context::new()), Allow);
        let c = r#"{"IpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"}}"#;
        assert_eq!(cond(c, &Context::new()), Allow);
        assert_eq!(
            cond(c, &ctx(&[("aws:SourceIp", &["11.0.0.1"])])),
            NotApplicable
        );
    }

    #[test]
    fn null_operator() {
        let must_be_absent = r#"{"Null":{"kms:EncryptionContext:Department":"true"}}"#;
        let must_exist = r#"{"Null":{"kms:EncryptionContext:Department":false}}"#;
        let present = ctx(&[("kms:encryptioncontext:department", &["x"])]);
        assert_eq!(cond(must_be_absent, &Context::new()), Allow);
        assert_eq!(cond(must_be_absent, &present), NotApplicable);
        assert_eq!(cond(must_exist, &present), Allow);
        assert_eq!(cond(must_exist, &Context::new()), NotApplicable);
    }

    #[test]
    fn via_service_is_ignored() {
        let c = r#"{"StringEquals":{"kms:ViaService":"ec2.us-east-1.amazonaws.com"}}"#;
        assert_eq!(cond(c, &Context::new()), Allow);
        let other = ctx(&[("kms:ViaService", &["s3.amazonaws.com"])]);
        assert_eq!(cond(c, &other), Allow);
        let c = r#"{"StringNotLike":{"KMS:VIASERVICE":"*"},
                    "StringEquals":{"kms:CallerAccount":"123"}}"#;
        assert_eq!(cond(c, &Context::new()), NotApplicable);
        assert_eq!(cond(c, &ctx(&[("kms:CallerAccount", &["123"])])), Allow);
    }

    // ---- principals --------------------------------------------------------------------------

    fn decide_as(policy: &str, principals: &[&str]) -> Decision {
        let principals = strings(principals);
        let resources = strings(&[KEY_HZ]);
        let c = Context::new();
        let req = Request {
            action: "kms:Encrypt",
            resources: &resources,
            principals: &principals,
            context: &c,
        };
        evaluate(&doc(policy), &req)
    }

    fn key_policy(principal: &str) -> String {
        format!(
            r#"{{"Statement":[{{"Effect":"Allow","Principal":{principal},"Action":"kms:*"}}]}}"#
        )
    }

    const APP: &str = "arn:aws:iam::123456789012:user/app";
    const APP_RAM: &str = "acs:ram::123456789012:user/app";

    #[test]
    fn principal_star() {
        assert_eq!(decide_as(&key_policy(r#""*""#), &[APP]), Allow);
        assert_eq!(decide_as(&key_policy(r#"{"AWS":"*"}"#), &[APP]), Allow);
        assert_eq!(
            decide_as(&key_policy(r#"{"AWS":["*"]}"#), &[APP_RAM]),
            Allow
        );
    }

    #[test]
    fn principal_aws_list() {
        let p = key_policy(&format!(r#"{{"AWS":["arn:aws:iam::999:root","{APP}"]}}"#));
        assert_eq!(decide_as(&p, &[APP_RAM, APP]), Allow);
        assert_eq!(
            decide_as(&p, &["arn:aws:iam::123456789012:user/other"]),
            NotApplicable
        );
        // Principal names are literal: no wildcard or case folding.
        let wild = key_policy(r#"{"AWS":"arn:aws:iam::123456789012:user/*"}"#);
        assert_eq!(decide_as(&wild, &[APP]), NotApplicable);
        let upper = key_policy(&format!(r#"{{"AWS":"{}"}}"#, APP.to_uppercase()));
        assert_eq!(decide_as(&upper, &[APP]), NotApplicable);
    }

    #[test]
    fn principal_ram_form_and_account_root() {
        let p = key_policy(r#"{"RAM":["acs:ram::123456789012:root"]}"#);
        assert_eq!(
            decide_as(&p, &[APP_RAM, "acs:ram::123456789012:root"]),
            Allow
        );
        assert_eq!(decide_as(&p, &[APP_RAM]), NotApplicable);
        let account = key_policy(r#"{"AWS":"123456789012"}"#);
        assert_eq!(decide_as(&account, &[APP, "123456789012"]), Allow);
        let service = key_policy(r#"{"Service":"ecs.aliyuncs.com","Federated":"x"}"#);
        assert_eq!(decide_as(&service, &["ecs.aliyuncs.com"]), Allow);
    }

    #[test]
    fn not_principal() {
        let p = format!(
            r#"{{"Statement":[{{"Sid":"OnlyApp","Effect":"Deny","NotPrincipal":{{"AWS":"{APP}"}},
                "Action":"kms:*","Resource":"*"}}]}}"#
        );
        assert_eq!(decide_as(&p, &[APP]), NotApplicable);
        assert_eq!(decide_as(&p, &["arn:aws:iam::1:user/x"]), deny("OnlyApp"));
    }

    #[test]
    fn principal_statement_needs_principals() {
        assert_eq!(decide_as(&key_policy(r#""*""#), &[]), NotApplicable);
        let not = r#"{"Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":"x"},"Action":"*"}]}"#;
        assert_eq!(decide_as(not, &[]), NotApplicable);
        // A statement without Principal ignores whatever principals are supplied.
        assert_eq!(decide_as(&allow(r#""*""#, r#""*""#), &[APP]), Allow);
    }

    // ---- parsing -----------------------------------------------------------------------------

    #[test]
    fn parse_single_statement_object_and_lenient_version() {
        let d = doc(r#"{"Statement":{"Effect":"Allow","Action":"kms:*","Resource":"*"}}"#);
        assert_eq!(d.len(), 1);
        assert!(!d.is_empty());
        let d =
            doc(r#"{"Version":"whatever","Id":"x","Statement":[{"Effect":"Deny","Action":"*"}]}"#);
        assert_eq!(d.len(), 1);
        let v: Value = serde_json::from_str(r#"{"Statement":[]}"#).unwrap();
        assert!(PolicyDoc::from_value(&v).unwrap().is_empty());
    }

    #[test]
    fn parse_error_bad_effect() {
        let e = parse_err(r#"{"Statement":[{"Effect":"allow","Action":"*"}]}"#);
        assert!(e.contains("Effect"), "{e}");
        let e = parse_err(r#"{"Statement":[{"Action":"*"}]}"#);
        assert!(e.contains("Effect"), "{e}");
    }

    #[test]
    fn parse_error_unknown_member() {
        let e = parse_err(
            r#"{"Statement":[{"Sid":"S1","Effect":"Allow","Action":"*","Resources":"*"}]}"#,
        );
        assert!(e.contains("Resources") && e.contains("S1"), "{e}");
    }

    #[test]
    fn parse_error_unknown_operator() {
        let e = parse_err(&allow_if(r#"{"StringEqual":{"a":"b"}}"#));
        assert!(e.contains("StringEqual"), "{e}");
        let e = parse_err(&allow_if(r#"{"ForSomeValues:StringEquals":{"a":"b"}}"#));
        assert!(e.contains("ForSomeValues"), "{e}");
        let e = parse_err(&allow_if(r#"{"NullIfExists":{"a":"true"}}"#));
        assert!(e.contains("IfExists"), "{e}");
    }

    #[test]
    fn parse_error_action_and_not_action() {
        let e = parse_err(r#"{"Statement":[{"Effect":"Allow","Action":"*","NotAction":"x"}]}"#);
        assert!(e.contains("NotAction"), "{e}");
        let e = parse_err(r#"{"Statement":[{"Effect":"Allow","Resource":"*"}]}"#);
        assert!(e.contains("Action"), "{e}");
        let e = parse_err(r#"{"Statement":[{"Effect":"Allow","Action":[]}]}"#);
        assert!(e.contains("empty"), "{e}");
        let e = parse_err(r#"{"Statement":[{"Effect":"Allow","Action":[1]}]}"#);
        assert!(e.contains("strings"), "{e}");
    }

    #[test]
    fn parse_error_other_pairs_and_values() {
        let both_res =
            r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","NotResource":"*"}]}"#;
        assert!(parse_err(both_res).contains("NotResource"));
        let both_pr =
            r#"{"Statement":[{"Effect":"Allow","Action":"*","Principal":"*","NotPrincipal":"*"}]}"#;
        assert!(parse_err(both_pr).contains("NotPrincipal"));
        let bad_type = r#"{"Statement":[{"Effect":"Allow","Action":"*","Principal":{"Aws":"*"}}]}"#;
        assert!(parse_err(bad_type).contains("Aws"));
        assert!(
            parse_err(&allow_if(r#"{"IpAddress":{"aws:SourceIp":"10.0.0.0/33"}}"#)).contains("IP")
        );
        assert!(
            parse_err(&allow_if(r#"{"DateLessThan":{"aws:CurrentTime":"soon"}}"#)).contains("date")
        );
        assert!(parse_err(&allow_if(r#"{"NumericEquals":{"n":"x"}}"#)).contains("number"));
        assert!(parse_err(&allow_if(r#"{"Bool":{"b":"yes"}}"#)).contains("boolean"));
        assert!(parse_err(&allow_if(r#"{"StringEquals":{"k":null}}"#)).contains("null"));
        assert!(parse_err(&allow_if(r#"{"StringEquals":"k"}"#)).contains("object"));
        assert!(parse_err(&allow_if(r#"["x"]"#)).contains("Condition"));
    }

    #[test]
    fn parse_error_document_shape() {
        assert!(parse_err("{not json").contains("not valid JSON"));
        assert!(parse_err("[]").contains("object"));
        assert!(parse_err(r#"{"Version":1,"Statement":[]}"#).contains("Version"));
        assert!(parse_err(r#"{"Statement":"x"}"#).contains("Statement"));
        assert!(parse_err(r#"{"Statement":["x"]}"#).contains("statement 1"));
        let second =
            r#"{"Statement":[{"Effect":"Allow","Action":"*"},{"Effect":"Maybe","Action":"*"}]}"#;
        assert!(parse_err(second).contains("statement 2"));
    }

    // ---- wildcard engine ---------------------------------------------------------------------

    #[test]
    fn glob_engine() {
        let m = |p: &str, t: &str| Pattern::compile(p, false).matches(t.as_bytes());
        assert!(m("a*b*c", "abc"));
        assert!(m("a*b*c", "aXXbYYc"));
        assert!(!m("a*b*c", "aXXcYYb"));
        assert!(m("*key/*", "acs:kms:x:1:key/abc"));
        assert!(m("*abc", "abcabc"));
        assert!(!m("ab*ba", "aba"));
        assert!(m("a?c", "abc"));
        assert!(!m("a?c", "abbc"));
        assert!(m("??", "éx"));
        assert!(m("*", ""));
        assert!(m("**", ""));
        assert!(m("", ""));
        assert!(!m("", "a"));
        assert!(m("x*", "x"));
        let ci = |p: &str, t: &str| with_folded_action(t, |t| Pattern::compile(p, true).matches(t));
        assert!(ci("KMS:*CRYPT", "kms:ReEncrypt"));
        // Action folding is ASCII-only (action names are ASCII); other characters compare exactly.
        assert!(!ci("Ä*", "äx"));
        assert!(ci("é*X", "éabcx"));
        // `?` consumes whole UTF-8 characters, wherever it stands.
        assert!(m("*é", "caté"));
        assert!(m("?é", "éé"));
        assert!(m("a*?", "aé"));
        assert!(m("*?x", "éx"));
        assert!(m("*?é?", "abéé"));
        assert!(!m("?", "éé"));
        assert!(m("*日*", "x日本"));
        assert!(!m("*本?", "x日本"));
        assert!(!ci("kms:a*", "kms:b"));
    }

    // ---- a larger document -------------------------------------------------------------------

    fn twenty_statements() -> PolicyDoc {
        let mut stmts: Vec<String> = (0..19)
            .map(|i| {
                format!(
                    r#"{{"Sid":"S{i}","Effect":"Allow","Action":["kms:Get*","kms:Describe{i}"],
                        "Resource":"acs:kms:cn-region{i}:*:key/*",
                        "Condition":{{"StringEquals":{{"kms:EncryptionContext:Team":"team{i}"}},
                                      "IpAddress":{{"acs:SourceIp":"10.{i}.0.0/16"}}}}}}"#
                )
            })
            .collect();
        stmts.push(
            r#"{"Sid":"DenyOldKeys","Effect":"Deny","Action":"kms:Encrypt",
                "Resource":"acs:kms:*:*:key/old-*"}"#
                .to_owned(),
        );
        doc(&format!(
            r#"{{"Version":"1","Statement":[{}]}}"#,
            stmts.join(",")
        ))
    }

    #[test]
    fn twenty_statement_document() {
        let d = twenty_statements();
        assert_eq!(d.len(), 20);
        let c = ctx(&[
            ("kms:EncryptionContext:Team", &["team7"]),
            ("acs:SourceIp", &["10.7.1.2"]),
        ]);
        let run = |action: &str, resource: &str| {
            let resources = strings(&[resource]);
            let req = Request {
                action,
                resources: &resources,
                principals: &[],
                context: &c,
            };
            evaluate(&d, &req)
        };
        assert_eq!(
            run("kms:Encrypt", "acs:kms:cn-region7:1:key/k"),
            NotApplicable
        );
        assert_eq!(
            run("kms:GetPublicKey", "acs:kms:cn-region8:1:key/k"),
            NotApplicable
        );
        assert_eq!(run("kms:GetPublicKey", "acs:kms:cn-region7:1:key/k"), Allow);
        assert_eq!(run("kms:Describe7", "acs:kms:cn-region7:1:key/k"), Allow);
        assert_eq!(
            run("kms:Encrypt", "acs:kms:cn-region7:1:key/old-1"),
            deny("DenyOldKeys")
        );
    }
}
