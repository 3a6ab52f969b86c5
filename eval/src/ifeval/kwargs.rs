//! Typed access to an instruction's kwargs object.
//!
//! The reference passes kwargs straight to `build_description(**kwargs)`: an
//! unknown name is a `TypeError`, and a missing, `null` or out-of-range value
//! is mostly replaced by a *random* draw. A random instruction cannot be
//! scored reproducibly, so those cases are errors here, naming the kwarg.

use serde_json::{Map, Value};

/// Why an instruction's kwargs cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum KwargsError {
    #[error("unexpected kwarg `{0}`")]
    Unknown(String),
    #[error("kwarg `{0}` is missing or null (the reference would draw a random value)")]
    Missing(&'static str),
    #[error("kwarg `{name}` must be {expected}, got {got}")]
    WrongType {
        name: &'static str,
        expected: &'static str,
        got: String,
    },
    #[error("kwarg `{name}` is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
}

/// The comparison of `relation`-style kwargs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    LessThan,
    AtLeast,
}

impl Relation {
    pub fn holds(self, actual: usize, threshold: i64) -> bool {
        let actual = i64::try_from(actual).unwrap_or(i64::MAX);
        match self {
            Relation::LessThan => actual < threshold,
            Relation::AtLeast => actual >= threshold,
        }
    }
}

/// The kwargs of one instruction, checked against the names it accepts.
pub struct Kwargs<'a> {
    map: &'a Map<String, Value>,
}

impl<'a> Kwargs<'a> {
    pub fn new(map: &'a Map<String, Value>, accepted: &[&str]) -> Result<Self, KwargsError> {
        match map.keys().find(|name| !accepted.contains(&name.as_str())) {
            Some(name) => Err(KwargsError::Unknown(name.clone())),
            None => Ok(Kwargs { map }),
        }
    }

    /// A present, non-null value.
    fn value(&self, name: &'static str) -> Result<&'a Value, KwargsError> {
        match self.map.get(name) {
            None | Some(Value::Null) => Err(KwargsError::Missing(name)),
            Some(value) => Ok(value),
        }
    }

    /// Any integer.
    pub fn int(&self, name: &'static str) -> Result<i64, KwargsError> {
        let value = self.value(name)?;
        value
            .as_i64()
            .ok_or_else(|| wrong_type(name, "an integer", value))
    }

    /// A non-negative integer: the reference draws a random one for negatives.
    pub fn count(&self, name: &'static str) -> Result<i64, KwargsError> {
        let n = self.int(name)?;
        if n < 0 {
            return Err(KwargsError::Invalid {
                name,
                reason: format!("{n} is negative (the reference would draw a random value)"),
            });
        }
        Ok(n)
    }

    /// Any number, integer or float (IFBench's are floats such as `13.0`,
    /// which its reference compares as they are).
    pub fn number(&self, name: &'static str) -> Result<f64, KwargsError> {
        let value = self.value(name)?;
        value
            .as_f64()
            .ok_or_else(|| wrong_type(name, "a number", value))
    }

    pub fn string(&self, name: &'static str) -> Result<&'a str, KwargsError> {
        let value = self.value(name)?;
        value
            .as_str()
            .ok_or_else(|| wrong_type(name, "a string", value))
    }

    /// A non-empty string (the reference draws a random one, or raises, for `""`).
    pub fn non_empty_string(&self, name: &'static str) -> Result<&'a str, KwargsError> {
        let s = self.string(name)?;
        if s.is_empty() {
            return Err(KwargsError::Invalid {
                name,
                reason: "must not be empty".into(),
            });
        }
        Ok(s)
    }

    /// A non-empty list of strings (the reference draws random words for `[]`).
    pub fn strings(&self, name: &'static str) -> Result<Vec<&'a str>, KwargsError> {
        let value = self.value(name)?;
        let items = value
            .as_array()
            .ok_or_else(|| wrong_type(name, "a list of strings", value))?;
        if items.is_empty() {
            return Err(KwargsError::Invalid {
                name,
                reason: "empty (the reference would draw random words)".into(),
            });
        }
        items
            .iter()
            .map(|item| {
                item.as_str()
                    .ok_or_else(|| wrong_type(name, "a list of strings", value))
            })
            .collect()
    }

    /// `"less than"` or `"at least"`; anything else is a `ValueError` in the reference.
    pub fn relation(&self, name: &'static str) -> Result<Relation, KwargsError> {
        match self.string(name)? {
            "less than" => Ok(Relation::LessThan),
            "at least" => Ok(Relation::AtLeast),
            other => Err(KwargsError::Invalid {
                name,
                reason: format!("{other:?} is not \"less than\" or \"at least\""),
            }),
        }
    }
}

fn wrong_type(name: &'static str, expected: &'static str, got: &Value) -> KwargsError {
    KwargsError::WrongType {
        name,
        expected,
        got: got.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn typed_access_and_errors() {
        let m = map(json!({"n": 3, "s": "x", "r": "at least", "l": ["a"], "neg": -1, "z": null}));
        let k = Kwargs::new(&m, &["n", "s", "r", "l", "neg", "z"]).unwrap();
        assert_eq!(k.int("n"), Ok(3));
        assert_eq!(k.relation("r"), Ok(Relation::AtLeast));
        assert_eq!(k.strings("l"), Ok(vec!["a"]));
        assert!(matches!(k.string("n"), Err(KwargsError::WrongType { .. })));
        assert!(matches!(k.count("neg"), Err(KwargsError::Invalid { .. })));
        assert_eq!(k.int("z"), Err(KwargsError::Missing("z")));
        assert!(matches!(
            Kwargs::new(&m, &["n"]),
            Err(KwargsError::Unknown(_))
        ));
        assert!(Relation::LessThan.holds(2, 3) && !Relation::AtLeast.holds(2, 3));
    }
}
