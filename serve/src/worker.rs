//! The engine on its own thread. HTTP handlers submit jobs over a channel and read each job's
//! updates from another; a job whose reader is gone is cancelled at once, so a client that
//! disconnects frees its row within one step.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Instant;

use engine::scoring::{LogSoftmax, map_position_logits, top_k};
use engine::{EngineConfig, Event, Request, Scheduler};
use engine::{GenerationConfig, StopReason};
use model::{Gemma3, GemmaTokenizer};
use tokio::sync::mpsc::UnboundedSender;

use crate::error::ApiError;
use crate::metrics::Metrics;

/// One prompt to answer.
pub struct Job {
    pub prompt: Vec<u32>,
    pub config: GenerationConfig,
    /// Report each generated token's log-probability and this many alternatives.
    pub logprobs: Option<usize>,
    /// Score the prompt too (its first token has no log-probability).
    pub echo: bool,
}

/// A token with its log-probability under the model (before any sampling filter), and the
/// most likely alternatives at its position.
#[derive(Clone, Debug)]
pub struct Scored {
    pub token: u32,
    pub logprob: Option<f32>,
    pub top: Vec<(u32, f32)>,
}

pub enum Update {
    Prompt(Vec<Scored>),
    Token(Scored),
    Done(Result<StopReason, String>),
}

/// Updates of the jobs of one HTTP request, tagged with the job's index there.
pub type Updates = UnboundedSender<(usize, Update)>;

enum Command {
    Submit {
        id: u64,
        index: usize,
        job: Job,
        updates: Updates,
    },
    Cancel(Vec<u64>),
    CancelAll(String),
}

/// The handle the HTTP side holds.
pub struct Worker {
    commands: mpsc::Sender<Command>,
    /// Jobs submitted and not yet started.
    waiting: Arc<AtomicUsize>,
    next_id: AtomicUsize,
    max_waiting: usize,
}

/// Submitted jobs; dropping it cancels those still running.
pub struct Tickets {
    ids: Vec<u64>,
    commands: mpsc::Sender<Command>,
}

impl Tickets {
    pub fn first_id(&self) -> u64 {
        self.ids.first().copied().unwrap_or_default()
    }
}

impl Drop for Tickets {
    fn drop(&mut self) {
        let _ = self
            .commands
            .send(Command::Cancel(std::mem::take(&mut self.ids)));
    }
}

impl Worker {
    /// Starts the engine thread on `model`; at most `max_waiting` jobs wait for a row.
    pub fn spawn(
        model: Gemma3,
        tokenizer: Arc<GemmaTokenizer>,
        cfg: EngineConfig,
        max_waiting: usize,
        metrics: Arc<Metrics>,
    ) -> anyhow::Result<Self> {
        let (commands, rx) = mpsc::channel();
        let waiting = Arc::new(AtomicUsize::new(0));
        let counter = waiting.clone();
        // Checked here, so a bad setting fails at start rather than in the thread.
        Scheduler::new(&model, Some(&tokenizer), cfg)?;
        // The engine runs on a rayon worker: see `kernels::threads`.
        let pool = kernels::threads::pool(None)?;
        std::thread::Builder::new()
            .name("engine".into())
            .spawn(move || {
                pool.install(|| Engine::new(&model, &tokenizer, cfg, counter, metrics).run(rx))
            })?;
        Ok(Self {
            commands,
            waiting,
            next_id: AtomicUsize::new(0),
            max_waiting,
        })
    }

    /// Queues `jobs`, all or none: a full queue is a 429.
    pub fn submit(&self, jobs: Vec<Job>, updates: Updates) -> Result<Tickets, ApiError> {
        let n = jobs.len();
        self.waiting
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |w| {
                (w + n <= self.max_waiting).then_some(w + n)
            })
            .map_err(ApiError::overloaded)?;
        let mut ids = Vec::with_capacity(n);
        for (index, job) in jobs.into_iter().enumerate() {
            let id = self.next_id.fetch_add(1, Ordering::Relaxed) as u64;
            ids.push(id);
            self.commands
                .send(Command::Submit {
                    id,
                    index,
                    job,
                    updates: updates.clone(),
                })
                .map_err(|_| ApiError::unavailable("the engine has stopped"))?;
        }
        Ok(Tickets {
            ids,
            commands: self.commands.clone(),
        })
    }

    /// Ends every job with `reason` (the shutdown grace ran out).
    pub fn cancel_all(&self, reason: &str) {
        let _ = self.commands.send(Command::CancelAll(reason.into()));
    }
}

struct Live {
    index: usize,
    updates: Updates,
    logprobs: Option<usize>,
    started: bool,
    submitted: Instant,
    first_token: Option<Instant>,
    tokens: usize,
}

struct Engine<'m> {
    model: &'m Gemma3,
    tokenizer: &'m GemmaTokenizer,
    cfg: EngineConfig,
    scheduler: Scheduler<'m>,
    jobs: HashMap<u64, Live>,
    waiting: Arc<AtomicUsize>,
    metrics: Arc<Metrics>,
}

impl<'m> Engine<'m> {
    fn new(
        model: &'m Gemma3,
        tokenizer: &'m GemmaTokenizer,
        cfg: EngineConfig,
        waiting: Arc<AtomicUsize>,
        metrics: Arc<Metrics>,
    ) -> Self {
        Self {
            model,
            tokenizer,
            cfg,
            scheduler: Scheduler::new(model, Some(tokenizer), cfg).expect("checked in spawn"),
            jobs: HashMap::new(),
            waiting,
            metrics,
        }
    }

    fn run(mut self, commands: mpsc::Receiver<Command>) {
        loop {
            // Block only when there is nothing to step.
            if self.scheduler.is_idle() {
                match commands.recv() {
                    Ok(c) => self.handle(c),
                    Err(_) => return,
                }
            }
            while let Ok(c) = commands.try_recv() {
                self.handle(c);
            }
            if !self.scheduler.is_idle() {
                self.step();
            }
            self.metrics
                .in_flight
                .set(self.scheduler.in_flight() as i64);
            self.metrics
                .queue_depth
                .set(self.waiting.load(Ordering::SeqCst) as i64);
        }
    }

    fn handle(&mut self, command: Command) {
        match command {
            Command::Submit {
                id,
                index,
                job,
                updates,
            } => self.submit(id, index, job, updates),
            Command::Cancel(ids) => {
                for id in ids {
                    if self.jobs.contains_key(&id) {
                        self.metrics.cancelled.inc();
                        self.end(id, None);
                    }
                }
            }
            Command::CancelAll(reason) => {
                let ids: Vec<u64> = self.jobs.keys().copied().collect();
                for id in ids {
                    self.end(id, Some(Err(reason.clone())));
                }
            }
        }
    }

    fn submit(&mut self, id: u64, index: usize, job: Job, updates: Updates) {
        let live = Live {
            index,
            updates,
            logprobs: job.logprobs,
            started: false,
            submitted: Instant::now(),
            first_token: None,
            tokens: 0,
        };
        if job.echo {
            let scored = self.score_prompt(&job.prompt, job.logprobs.unwrap_or(0));
            match scored {
                Ok(s) => {
                    let _ = live.updates.send((index, Update::Prompt(s)));
                }
                Err(e) => {
                    self.waiting.fetch_sub(1, Ordering::SeqCst);
                    let _ = live
                        .updates
                        .send((index, Update::Done(Err(format!("{e:#}")))));
                    return;
                }
            }
        }
        let request = Request {
            id,
            prompt: job.prompt,
            config: job.config,
        };
        if let Err(e) = self.scheduler.submit(request) {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            let _ = live
                .updates
                .send((index, Update::Done(Err(format!("{e:#}")))));
            return;
        }
        self.jobs.insert(id, live);
    }

    /// Each prompt token's log-probability given the ones before it.
    fn score_prompt(&self, prompt: &[u32], k: usize) -> anyhow::Result<Vec<Scored>> {
        let n = prompt.len();
        let mut out = vec![Scored {
            token: prompt[0],
            logprob: None,
            top: vec![],
        }];
        out.extend(map_position_logits(
            self.model,
            prompt,
            0..n - 1,
            |p, logits| scored(logits, prompt[p + 1], k),
        )?);
        Ok(out)
    }

    fn step(&mut self) {
        let mut gone = Vec::new();
        let mut finished = Vec::new();
        let (jobs, waiting, metrics) = (&mut self.jobs, &self.waiting, &self.metrics);
        let result = self.scheduler.step(&mut |event| {
            match event {
                Event::Started { id } => {
                    if let Some(live) = jobs.get_mut(&id) {
                        live.started = true;
                        waiting.fetch_sub(1, Ordering::SeqCst);
                    }
                }
                Event::Token { id, token, logits } => {
                    let Some(live) = jobs.get_mut(&id) else {
                        return Ok(());
                    };
                    let now = Instant::now();
                    if live.first_token.is_none() {
                        live.first_token = Some(now);
                        metrics
                            .time_to_first_token
                            .observe((now - live.submitted).as_secs_f64());
                    }
                    live.tokens += 1;
                    metrics.generation_tokens.inc();
                    let s = match live.logprobs {
                        Some(k) => scored(logits, token, k),
                        None => Scored {
                            token,
                            logprob: None,
                            top: vec![],
                        },
                    };
                    if live.updates.send((live.index, Update::Token(s))).is_err() {
                        gone.push(id);
                    }
                }
                Event::Finished { id, generation } => {
                    finished.push((id, generation.stop_reason));
                }
            }
            Ok(())
        });
        if let Err(e) = result {
            // The engine itself failed: every job ends with the error, and it starts afresh.
            let message = format!("the engine failed: {e:#}");
            eprintln!("{message}");
            let ids: Vec<u64> = self.jobs.keys().copied().collect();
            for id in ids {
                self.end(id, Some(Err(message.clone())));
            }
            self.scheduler = Scheduler::new(self.model, Some(self.tokenizer), self.cfg)
                .expect("the same settings worked before");
            return;
        }
        for id in gone {
            self.metrics.cancelled.inc();
            self.end(id, None);
        }
        for (id, reason) in finished {
            self.end(id, Some(Ok(reason)));
        }
    }

    /// Removes a job, tells its reader `done` if there is one, and frees its row.
    fn end(&mut self, id: u64, done: Option<Result<StopReason, String>>) {
        let Some(live) = self.jobs.remove(&id) else {
            return;
        };
        if !live.started {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
        }
        if let Some(first) = live.first_token
            && live.tokens > 1
        {
            let secs = first.elapsed().as_secs_f64();
            self.metrics
                .tokens_per_second
                .observe((live.tokens - 1) as f64 / secs.max(1e-9));
        }
        self.scheduler.cancel(id);
        if let Some(done) = done {
            let _ = live.updates.send((live.index, Update::Done(done)));
        }
    }
}

/// `token`'s log-probability in `logits` and the `k` most likely tokens'.
fn scored(logits: &[f32], token: u32, k: usize) -> Scored {
    let softmax = LogSoftmax::new(logits);
    let lp = |id: u32| softmax.log_prob(logits[id as usize]) as f32;
    Scored {
        token,
        logprob: Some(lp(token)),
        top: top_k(logits, k)
            .into_iter()
            .map(|id| (id, lp(id)))
            .collect(),
    }
}
