//! Request parameters: the query string and an `application/x-www-form-urlencoded` body,
//! decoded (`+` is a space, `%XX` a byte, UTF-8) and kept in the order received, because
//! the v1 signature signs exactly what was sent.

use std::collections::HashMap;

use super::error::AliyunError;

/// Decoded parameters.
#[derive(Debug, Clone, Default)]
pub struct Params {
    /// Query-string pairs, in order.
    pub query: Vec<(String, String)>,
    /// Form-body pairs, in order.
    pub form: Vec<(String, String)>,
    /// Lookup by name over both (a repeated name has one value; see [`Params::new`]).
    map: HashMap<String, String>,
}

/// Decodes one `application/x-www-form-urlencoded` component.
fn decode_component(raw: &[u8]) -> Option<String> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while let Some(&b) = raw.get(i) {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hi = raw.get(i + 1).and_then(|c| (*c as char).to_digit(16));
                let lo = raw.get(i + 2).and_then(|c| (*c as char).to_digit(16));
                match (hi, lo) {
                    (Some(h), Some(l)) => {
                        out.push(u8::try_from(h * 16 + l).ok()?);
                        i += 2;
                    }
                    // A stray '%' is taken literally, as browsers and most servers do.
                    _ => out.push(b'%'),
                }
            }
            _ => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// Parses `a=1&b=2` into decoded pairs.
///
/// # Errors
/// `InvalidParameter` when a name or value is not UTF-8 after decoding.
pub fn parse_urlencoded(raw: &[u8]) -> Result<Vec<(String, String)>, AliyunError> {
    let mut pairs = Vec::new();
    for part in raw.split(|b| *b == b'&') {
        if part.is_empty() {
            continue;
        }
        let (name, value) = match part.iter().position(|b| *b == b'=') {
            Some(eq) => (
                part.get(..eq).unwrap_or_default(),
                part.get(eq + 1..).unwrap_or_default(),
            ),
            None => (part, &[][..]),
        };
        let name = decode_component(name).ok_or_else(|| {
            AliyunError::invalid_because("QueryString", "Parameters must be UTF-8.")
        })?;
        let value = decode_component(value).ok_or_else(|| AliyunError::invalid(&name))?;
        pairs.push((name, value));
    }
    Ok(pairs)
}

impl Params {
    /// Builds the parameter set. A name given twice (in the query, the body or both) must
    /// have the same value each time: otherwise which one counts would be a guess.
    ///
    /// # Errors
    /// `InvalidParameter` naming a parameter given twice with different values.
    pub fn new(
        query: Vec<(String, String)>,
        form: Vec<(String, String)>,
    ) -> Result<Self, AliyunError> {
        let mut map: HashMap<String, String> = HashMap::with_capacity(query.len() + form.len());
        for (k, v) in query.iter().chain(form.iter()) {
            match map.get(k) {
                Some(seen) if seen != v => {
                    return Err(AliyunError::invalid_because(
                        k,
                        "It is given more than once, with different values.",
                    ));
                }
                Some(_) => {}
                None => {
                    map.insert(k.clone(), v.clone());
                }
            }
        }
        Ok(Self { query, form, map })
    }

    /// A parameter's value.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&str> {
        self.map.get(name).map(String::as_str)
    }

    /// All `(name, value)` pairs whose name starts with `prefix`, prefix stripped.
    pub fn with_prefix<'a>(
        &'a self,
        prefix: &'a str,
    ) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        self.map
            .iter()
            .filter_map(move |(k, v)| k.strip_prefix(prefix).map(|rest| (rest, v.as_str())))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn decodes_plus_percent_and_utf8() {
        let pairs =
            parse_urlencoded(b"Description=mock+key%3A+a%2Ab~c%20%C3%A9&Empty=&Flag&x=a%2Bb")
                .unwrap();
        assert_eq!(
            pairs,
            vec![
                ("Description".into(), "mock key: a*b~c é".into()),
                ("Empty".into(), String::new()),
                ("Flag".into(), String::new()),
                ("x".into(), "a+b".into()),
            ]
        );
    }

    #[test]
    fn rejects_invalid_utf8() {
        assert!(parse_urlencoded(b"a=%FF%FE").is_err());
    }

    #[test]
    fn stray_percent_is_literal() {
        assert_eq!(
            parse_urlencoded(b"a=50%").unwrap(),
            vec![("a".into(), "50%".into())]
        );
    }

    #[test]
    fn a_name_given_twice_must_have_one_value() {
        let pair = |k: &str, v: &str| (k.to_owned(), v.to_owned());
        let err = Params::new(
            vec![pair("KeyId", "alias/other"), pair("KeyId", "real")],
            vec![],
        )
        .unwrap_err();
        assert!(err.message.contains("\"KeyId\""), "{}", err.message);
        assert!(Params::new(vec![pair("KeyId", "a")], vec![pair("KeyId", "b")]).is_err());
        let same = Params::new(vec![pair("KeyId", "a")], vec![pair("KeyId", "a")]).unwrap();
        assert_eq!(same.get("KeyId"), Some("a"));
    }

    proptest! {
        #[test]
        fn round_trips_any_text(name in "[A-Za-z.]{1,12}", value in any::<String>()) {
            let encoded = format!(
                "{}={}",
                crate::sign::aliyun::percent_encode(&name),
                crate::sign::aliyun::percent_encode(&value)
            );
            let pairs = parse_urlencoded(encoded.as_bytes()).unwrap();
            prop_assert_eq!(pairs, vec![(name, value)]);
        }

        #[test]
        fn never_panics(raw in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = parse_urlencoded(&raw);
        }
    }
}
