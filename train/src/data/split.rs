//! A seeded train/validation split, for when no separate validation file is given.

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

/// Shuffles `items` with `seed` and moves `fraction` of them (at least one, and never all) into
/// the second vector.
pub fn split<T>(mut items: Vec<T>, fraction: f64, seed: u64) -> anyhow::Result<(Vec<T>, Vec<T>)> {
    anyhow::ensure!(
        (0.0..1.0).contains(&fraction),
        "the validation fraction must be in [0, 1), got {fraction}"
    );
    anyhow::ensure!(
        items.len() >= 2,
        "{} examples cannot be split into training and validation",
        items.len()
    );
    items.shuffle(&mut StdRng::seed_from_u64(seed));
    let n_valid = ((items.len() as f64 * fraction).round() as usize).clamp(1, items.len() - 1);
    let valid = items.split_off(items.len() - n_valid);
    Ok((items, valid))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_is_seeded_and_disjoint() {
        let (a, b) = split((0..10).collect(), 0.2, 7).unwrap();
        assert_eq!((a.len(), b.len()), (8, 2));
        assert_eq!(
            split((0..10).collect(), 0.2, 7).unwrap(),
            (a.clone(), b.clone())
        );
        let mut all: Vec<i32> = a.into_iter().chain(b).collect();
        all.sort();
        assert_eq!(all, (0..10).collect::<Vec<_>>());
    }
}
