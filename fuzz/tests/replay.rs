//! Every target on its seed corpus (each valid seed must be accepted, so the harness reaches past
//! the parser) and on every input a fuzzer ever crashed (`regressions/<target>/`), in the suite.

use std::path::Path;

fn target(name: &str) -> fuzz::Target {
    fuzz::TARGETS
        .iter()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("no fuzz target named {name}"))
        .1
}

#[test]
fn every_seed_runs_and_every_valid_seed_is_accepted() {
    let real = gemma::paths::real_model_for_tests();
    let seeds = fuzz::seeds::all(&gemma::paths::data_dir(), real.as_deref()).unwrap();
    for (name, _) in fuzz::TARGETS {
        let n = seeds.iter().filter(|s| s.target == name).count();
        assert!(n > 0, "no seed for {name}");
        println!("{name}: {n} seeds");
    }
    for seed in &seeds {
        assert!(
            seed.bytes.len() <= fuzz::seeds::MAX_SEED_BYTES,
            "{}/{}",
            seed.target,
            seed.name
        );
        let accepted = target(seed.target)(&seed.bytes);
        assert!(
            accepted || !seed.valid,
            "{}/{}: a valid seed was rejected",
            seed.target,
            seed.name
        );
    }
}

#[test]
fn every_past_crash_is_handled() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("regressions");
    let mut n = 0;
    for (name, run) in fuzz::TARGETS {
        let Ok(entries) = std::fs::read_dir(dir.join(name)) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            println!("{}", path.display());
            run(&std::fs::read(&path).unwrap());
            n += 1;
        }
    }
    println!("{n} regression inputs replayed");
}
