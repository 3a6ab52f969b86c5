//! Right-padded batches for teacher forcing. Attention is causal, so the pads after a row's
//! tokens change nothing for them, and every row starts at position 0; the loss reads only the
//! positions whose next token is a target.

use model::tokenizer::PAD_ID;

use super::encode::Example;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Batch {
    /// `[rows, len]` row-major input ids (each example without its last token).
    pub tokens: Vec<u32>,
    pub rows: usize,
    pub len: usize,
    /// Flat `row * len + col` input positions whose next token is a target...
    pub positions: Vec<usize>,
    /// ...and those next tokens.
    pub labels: Vec<u32>,
}

impl Batch {
    pub fn new(examples: &[&Example]) -> Self {
        let len = examples.iter().map(|e| e.ids.len() - 1).max().unwrap_or(0);
        let mut batch = Batch {
            tokens: Vec::with_capacity(examples.len() * len),
            rows: examples.len(),
            len,
            positions: vec![],
            labels: vec![],
        };
        for (row, ex) in examples.iter().enumerate() {
            let input = &ex.ids[..ex.ids.len() - 1];
            batch.tokens.extend_from_slice(input);
            batch
                .tokens
                .extend(std::iter::repeat_n(PAD_ID, len - input.len()));
            for (i, (&next, &trained)) in ex.ids.iter().zip(&ex.targets).enumerate().skip(1) {
                if trained {
                    batch.positions.push(row * len + i - 1);
                    batch.labels.push(next);
                }
            }
        }
        batch
    }

    pub fn num_targets(&self) -> usize {
        self.labels.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_right_padded_and_targets_point_at_the_previous_position() {
        let a = Example {
            ids: vec![2, 5, 6, 7],
            targets: vec![false, false, true, true],
        };
        let b = Example {
            ids: vec![2, 9],
            targets: vec![false, true],
        };
        let batch = Batch::new(&[&a, &b]);
        assert_eq!((batch.rows, batch.len), (2, 3));
        assert_eq!(batch.tokens, [2, 5, 6, 2, PAD_ID, PAD_ID]);
        // a: 6 is predicted at col 1, 7 at col 2; b: 9 at col 0 of row 1.
        assert_eq!(batch.positions, [1, 2, 3]);
        assert_eq!(batch.labels, [6, 7, 9]);
    }
}
