//! `punctuation:no_comma`: no ASCII comma anywhere.

use super::{Checker, no_kwargs};

pub struct NoComma;

no_kwargs!(NoComma);

impl Checker for NoComma {
    fn check(&self, response: &str) -> bool {
        !response.contains(',')
    }
}
