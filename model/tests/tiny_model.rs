//! The tiny random Gemma 3 in HF layout (`fixtures/tiny-gemma3`) against HF transformers'
//! logits and greedy continuations, on every compiled backend. It exercises the sliding window
//! (8), the global layer, GQA, QK-norm, both RoPE bases, the (1 + w) norms and the KV cache.

mod common;

use common::*;
use engine::{GenerationConfig, generate, generate_batch};

const TOL: f32 = 1e-4;

fn sequences() -> Vec<serde_json::Value> {
    read_json("tiny-gemma3/reference.json")["sequences"]
        .as_array()
        .unwrap()
        .clone()
}

fn greedy_cfg(n: usize) -> GenerationConfig {
    GenerationConfig {
        max_new_tokens: n,
        stop_ids: vec![],
        ..Default::default()
    }
}

#[test]
fn logits_match_hf_at_every_position() {
    for (backend, device) in backends() {
        let model = tiny(&device);
        for seq in sequences() {
            let ids = ids(&seq["input_ids"]);
            let got = all_logits(&model, &ids);
            for (pos, want) in seq["logits"].as_array().unwrap().iter().enumerate() {
                let diff = max_abs_diff(&got[pos], &floats(want));
                assert!(
                    diff <= TOL,
                    "{backend} {} position {pos}: max |Δ| {diff}",
                    seq["name"]
                );
            }
        }
    }
}

#[test]
fn hidden_states_match_hf_layer_by_layer() {
    // The final-norm row pins the whole stack; the logits test covers the rest.
    let hs = read_json("tiny-gemma3/hidden_states.json");
    let device = model::BackendKind::default_kind().device().unwrap();
    let model = tiny(&device);
    for seq in sequences() {
        let ids = ids(&seq["input_ids"]);
        let mut cache = model.new_cache(1);
        let hidden =
            model::host::to_vec(model.forward(model::host::tokens(&ids, 1, &device), &mut cache))
                .unwrap();
        let name = seq["name"].as_str().unwrap();
        let entry = hs["sequences"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .unwrap();
        let want: Vec<f32> = entry["hidden"]["final_norm"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(floats)
            .collect();
        assert!(
            max_abs_diff(&hidden, &want) <= TOL,
            "{name}: final-norm hidden states differ"
        );
    }
}

#[test]
fn greedy_with_and_without_cache_matches_hf() {
    for (backend, device) in backends() {
        let model = tiny(&device);
        for seq in sequences() {
            let prompt = ids(&seq["input_ids"]);
            let want = ids(&seq["greedy"]["ids"]);
            let (out, _) =
                generate(&model, None, &prompt, &greedy_cfg(want.len()), |_| {}).unwrap();
            assert_eq!(out.tokens, want, "{backend} {} with KV cache", seq["name"]);
            assert_eq!(
                greedy_no_cache(&model, &prompt, want.len()),
                want,
                "{backend} {} without cache",
                seq["name"]
            );
        }
    }
}

#[test]
fn sliding_cache_stays_within_the_window() {
    let device = model::BackendKind::default_kind().device().unwrap();
    let model = tiny(&device);
    let prompt = ids(&sequences()[2]["input_ids"]); // 41 tokens, window 8
    let mut cache = model.new_cache(1);
    let _ = model.forward(model::host::tokens(&prompt, 1, &device), &mut cache);
    let slots: Vec<usize> = cache.layers().iter().map(|l| l.slots()).collect();
    assert!(
        (41..=64).contains(&slots[5]),
        "the global layer holds every position, in blocks of 64: {slots:?}"
    );
    assert!(
        slots[..5].iter().all(|&l| l == 8),
        "sliding layers hold exactly their window of 8: {slots:?}"
    );
}

#[test]
fn batch_of_mixed_lengths_equals_each_sequence_alone() {
    for (backend, device) in backends() {
        let model = tiny(&device);
        let prompts: Vec<Vec<u32>> = sequences().iter().map(|s| ids(&s["input_ids"])).collect();
        let want: Vec<Vec<u32>> = sequences()
            .iter()
            .map(|s| ids(&s["greedy"]["ids"]))
            .collect();
        let (outs, _) = generate_batch(&model, None, &prompts, &greedy_cfg(12), |_, _| {}).unwrap();
        let got: Vec<Vec<u32>> = outs.into_iter().map(|g| g.tokens).collect();
        assert_eq!(
            got, want,
            "{backend}: batched greedy differs from the reference"
        );
    }
}

#[test]
fn prompt_longer_than_the_context_is_an_error() {
    let device = model::BackendKind::default_kind().device().unwrap();
    let model = tiny(&device);
    let err = generate(&model, None, &vec![5; 250], &greedy_cfg(10), |_| {})
        .unwrap_err()
        .to_string();
    assert!(err.contains("exceeds the context of 256"), "{err}");
}

#[test]
fn a_token_id_outside_the_vocabulary_is_an_error() {
    let device = model::BackendKind::default_kind().device().unwrap();
    let model = tiny(&device);
    let vocab = model.config.vocab_size as u32;
    let err = generate(&model, None, &[2, 5, vocab], &greedy_cfg(4), |_| {})
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&format!(
            "token id {vocab} is outside the model's vocabulary"
        )),
        "{err}"
    );
}

fn request(id: u64, prompt: Vec<u32>, max_new_tokens: usize) -> engine::Request {
    engine::Request {
        id,
        prompt,
        config: greedy_cfg(max_new_tokens),
    }
}

#[test]
fn the_scheduler_refuses_bad_requests_and_frees_cancelled_rows() {
    use engine::{EngineConfig, Event, Scheduler};
    let device = model::BackendKind::default_kind().device().unwrap();
    let model = tiny(&device);
    let prompts: Vec<Vec<u32>> = sequences().iter().map(|s| ids(&s["input_ids"])).collect();
    let cfg = EngineConfig {
        max_seqs: 2,
        prefill_chunk: 4,
    };
    let mut s = Scheduler::new(&model, None, cfg).unwrap();
    let err = s.submit(request(9, vec![], 4)).unwrap_err().to_string();
    assert!(err.contains("request 9: the prompt has no tokens"), "{err}");
    let err = s
        .submit(request(8, vec![5; 200], 100))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("request 8: prompt of 200 tokens plus 100"),
        "{err}"
    );

    // Request 0 is cancelled mid-run; 1 and 2 then share the rows and still give the reference.
    for (i, p) in prompts.iter().take(3).enumerate() {
        s.submit(request(i as u64, p.clone(), 12)).unwrap();
    }
    s.submit(request(3, prompts[0].clone(), 0)).unwrap();
    let mut finished = std::collections::HashMap::new();
    let mut steps = 0;
    while !s.is_idle() {
        s.step(&mut |e| {
            if let Event::Finished { id, generation } = e {
                finished.insert(id, generation.tokens);
            }
            Ok(())
        })
        .unwrap();
        steps += 1;
        if steps == 5 {
            s.cancel(0);
        }
        assert!(s.in_flight() <= 2 + 1, "two rows plus one prefill");
    }
    assert!(
        !finished.contains_key(&0),
        "a cancelled request does not finish"
    );
    assert_eq!(
        finished[&3],
        Vec::<u32>::new(),
        "a zero token limit finishes at once"
    );
    for i in [1, 2] {
        assert_eq!(
            finished[&(i as u64)],
            ids(&sequences()[i]["greedy"]["ids"])[..12],
            "sequence {i}"
        );
    }
}
