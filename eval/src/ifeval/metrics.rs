//! Accuracy metrics under lm-eval's names, and the per-type breakdown of
//! `evaluation_lib.print_report`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::scoring::PromptResult;

/// A count of followed items.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Accuracy {
    pub correct: usize,
    pub total: usize,
}

impl Accuracy {
    /// The fraction followed (0 when there is nothing to count).
    pub fn value(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.correct as f64 / self.total as f64
        }
    }

    fn add(&mut self, followed: bool) {
        self.total += 1;
        self.correct += usize::from(followed);
    }
}

/// Strict and loose counts for one instruction type.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct TypeAccuracy {
    pub strict: Accuracy,
    pub loose: Accuracy,
}

/// The four IFEval accuracies, their strict average and the per-type table.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Metrics {
    pub prompt_level_strict_acc: Accuracy,
    pub inst_level_strict_acc: Accuracy,
    pub prompt_level_loose_acc: Accuracy,
    pub inst_level_loose_acc: Accuracy,
    /// Instruction type (`family:name`) to its accuracies.
    pub per_type: BTreeMap<String, TypeAccuracy>,
}

impl Metrics {
    pub fn compute(results: &[PromptResult]) -> Self {
        let mut m = Metrics::default();
        for r in results {
            m.prompt_level_strict_acc.add(r.strict.iter().all(|&f| f));
            m.prompt_level_loose_acc.add(r.loose.iter().all(|&f| f));
            for ((id, &strict), &loose) in r.instruction_id_list.iter().zip(&r.strict).zip(&r.loose)
            {
                m.inst_level_strict_acc.add(strict);
                m.inst_level_loose_acc.add(loose);
                let per_type = m.per_type.entry(id.clone()).or_default();
                per_type.strict.add(strict);
                per_type.loose.add(loose);
            }
        }
        m
    }

    /// The mean of prompt-level and instruction-level strict accuracy, the
    /// single number often quoted for IFEval.
    pub fn strict_average(&self) -> f64 {
        (self.prompt_level_strict_acc.value() + self.inst_level_strict_acc.value()) / 2.0
    }

    /// The headline metrics by lm-eval name, in lm-eval's order.
    pub fn headline(&self) -> [(&'static str, Accuracy); 4] {
        [
            ("prompt_level_strict_acc", self.prompt_level_strict_acc),
            ("inst_level_strict_acc", self.inst_level_strict_acc),
            ("prompt_level_loose_acc", self.prompt_level_loose_acc),
            ("inst_level_loose_acc", self.inst_level_loose_acc),
        ]
    }
}
