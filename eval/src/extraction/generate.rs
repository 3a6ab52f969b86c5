//! The demo task: extract a contact (name, company, email, phone, city) from a short message in
//! varied phrasing, as one line of JSON with fixed keys and `null` for what the message lacks.
//! Deterministic for a seed, and licence-clean: every word comes from [`super::words`].

use anyhow::Context;
use rand::rngs::StdRng;
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::HashSet;
use std::io::Write;
use std::path::Path;

use super::words::*;
use crate::records::Record;

pub const INSTRUCTION: &str =
    "Extract name, company, email, phone, city as JSON (null if missing).";

/// The answer, in key order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub name: String,
    pub company: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub city: Option<String>,
}

/// The prompt for a message (the completion follows it after a space).
pub fn prompt(message: &str) -> String {
    format!("{INSTRUCTION}\nText: {message}\nJSON:")
}

fn pick<'a>(rng: &mut StdRng, list: &[&'a str]) -> &'a str {
    list.choose(rng).expect("word lists are not empty")
}

fn contact(rng: &mut StdRng) -> Contact {
    let (first, last) = (pick(rng, FIRST_NAMES), pick(rng, LAST_NAMES));
    let company = rng.random_bool(0.85).then(|| {
        (
            pick(rng, COMPANY_HEADS),
            pick(rng, COMPANY_TAILS),
            pick(rng, COMPANY_KINDS),
        )
    });
    let email = rng.random_bool(0.8).then(|| {
        let (f, l) = (first.to_lowercase(), last.to_lowercase());
        let local = match rng.random_range(0..5) {
            0 => format!("{f}.{l}"),
            1 => format!("{}{l}", &f[..1]),
            2 => f.clone(),
            3 => format!("{l}.{f}"),
            _ => format!("{f}_{l}"),
        };
        let domain = match company {
            Some((head, tail, _)) => format!("{}{tail}.{}", head.to_lowercase(), pick(rng, TLDS)),
            None => pick(rng, MAIL_DOMAINS).to_string(),
        };
        format!("{local}@{domain}")
    });
    let phone = rng.random_bool(0.75).then(|| {
        pick(rng, PHONE_FORMATS)
            .chars()
            .map(|c| {
                if c == '#' {
                    char::from(b'0' + rng.random_range(0..10u8))
                } else {
                    c
                }
            })
            .collect()
    });
    let city = rng.random_bool(0.8).then(|| pick(rng, CITIES).to_string());
    Contact {
        name: format!("{first} {last}"),
        company: company.map(|(h, t, k)| format!("{h}{t} {k}")),
        email,
        phone,
        city,
    }
}

/// The message that mentions `c`, in one of three styles.
fn message(c: &Contact, rng: &mut StdRng) -> String {
    let style = rng.random_range(0..20);
    if style < 12 {
        prose(c, rng)
    } else if style < 17 {
        signature(c, rng)
    } else {
        note(c)
    }
}

/// One of `options`, at random.
fn one<const N: usize>(rng: &mut StdRng, options: [String; N]) -> String {
    let i = rng.random_range(0..N);
    options.into_iter().nth(i).expect("index below N")
}

fn prose(c: &Contact, rng: &mut StdRng) -> String {
    let n = &c.name;
    let intro = match &c.company {
        Some(co) => one(
            rng,
            [
                format!("Hi, this is {n} from {co}."),
                format!("My name is {n} and I work at {co}."),
                format!("{n} ({co}) asked us to get in touch."),
                format!("Message from {n} of {co}:"),
                format!("I'm {n}, account manager at {co}."),
            ],
        ),
        None => one(
            rng,
            [
                format!("Hi, this is {n}."),
                format!("My name is {n}."),
                format!("{n} asked us to get in touch."),
                format!("Message from {n}:"),
            ],
        ),
    };
    let mut clauses: Vec<String> = Vec::new();
    if let Some(e) = &c.email {
        clauses.push(one(
            rng,
            [
                format!("Email me at {e}."),
                format!("My email is {e}."),
                format!("You can write to {e}."),
                format!("E-mail: {e}"),
            ],
        ));
    }
    if let Some(p) = &c.phone {
        clauses.push(one(
            rng,
            [
                format!("Call me on {p}."),
                format!("My number is {p}."),
                format!("Phone: {p}"),
                format!("Reach me at {p} any weekday."),
            ],
        ));
    }
    if let Some(x) = &c.city {
        clauses.push(one(
            rng,
            [
                format!("I'm based in {x}."),
                format!("Our office is in {x}."),
                format!("Location: {x}."),
                format!("We are located in {x}."),
            ],
        ));
    }
    // Small talk only in shorter messages, to keep examples within 128 tokens.
    if clauses.len() < 3 && rng.random_bool(0.5) {
        clauses.push(pick(rng, FILLERS).to_string());
    }
    clauses.shuffle(rng);
    std::iter::once(intro)
        .chain(clauses)
        .collect::<Vec<_>>()
        .join(" ")
}

fn signature(c: &Contact, rng: &mut StdRng) -> String {
    let mut lines = Vec::new();
    if rng.random_bool(0.5) {
        lines.extend([pick(rng, FILLERS).to_string(), String::new()]);
    }
    lines.extend([
        pick(rng, &["Best regards,", "Kind regards,", "Cheers,", "Best,"]).to_string(),
        c.name.clone(),
    ]);
    lines.extend(c.company.iter().cloned());
    lines.extend(c.city.iter().cloned());
    if let Some(p) = &c.phone {
        lines.push(format!(
            "{}{p}",
            pick(rng, &["Tel: ", "Phone: ", "Mobile: ", ""])
        ));
    }
    lines.extend(c.email.iter().cloned());
    lines.join("\n")
}

fn note(c: &Contact) -> String {
    let fields = [
        Some(&c.name),
        c.company.as_ref(),
        c.city.as_ref(),
        c.phone.as_ref(),
        c.email.as_ref(),
    ];
    format!(
        "New lead: {}",
        fields
            .into_iter()
            .flatten()
            .cloned()
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// One example as a prompt/completion record.
pub fn example(rng: &mut StdRng) -> Record {
    let c = contact(rng);
    Record::Completion {
        prompt: prompt(&message(&c, rng)),
        completion: format!(
            " {}",
            serde_json::to_string(&c).expect("a contact serialises")
        ),
    }
}

/// `n` distinct examples from `seed`.
pub fn examples(seed: u64, n: usize) -> Vec<Record> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let ex = example(&mut rng);
        if let Record::Completion { prompt, .. } = &ex
            && seen.insert(prompt.clone())
        {
            out.push(ex);
        }
    }
    out
}

/// Writes `train.jsonl`, `valid.jsonl` and `test.jsonl` (disjoint) to `dir`.
pub fn write_splits(
    dir: &Path,
    seed: u64,
    n_train: usize,
    n_val: usize,
    n_test: usize,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut all = examples(seed, n_train + n_val + n_test).into_iter();
    for (name, n) in [("train", n_train), ("valid", n_val), ("test", n_test)] {
        let path = dir.join(format!("{name}.jsonl"));
        let mut f = std::io::BufWriter::new(
            std::fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?,
        );
        for r in all.by_ref().take(n) {
            if let Record::Completion { prompt, completion } = r {
                writeln!(f, "{}", json!({"prompt": prompt, "completion": completion}))?;
            }
        }
        f.flush()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generation_is_deterministic_and_the_answer_is_in_the_text() {
        let a = examples(5, 50);
        assert_eq!(a, examples(5, 50));
        assert_ne!(a, examples(6, 50));
        for r in &a {
            let Record::Completion { prompt, completion } = r else {
                panic!("completion records")
            };
            let c: Contact = serde_json::from_str(completion.trim()).unwrap();
            for v in [
                Some(&c.name),
                c.company.as_ref(),
                c.email.as_ref(),
                c.phone.as_ref(),
                c.city.as_ref(),
            ]
            .into_iter()
            .flatten()
            {
                assert!(prompt.contains(v.as_str()), "{v:?} not in {prompt:?}");
            }
        }
    }
}
