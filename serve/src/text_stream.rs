//! A completion's text as it grows: only whole characters are released, the stop string and what
//! follows it never are, and a tail that may still become a stop string waits.

use model::GemmaTokenizer;
use model::tokenizer::STOP_IDS;

pub struct TextStream {
    stops: Vec<String>,
    /// Generated ids, without stop ids.
    ids: Vec<u32>,
    /// Bytes of the text already released.
    sent: usize,
}

impl TextStream {
    pub fn new(stops: Vec<String>) -> Self {
        Self {
            stops,
            ids: Vec::new(),
            sent: 0,
        }
    }

    /// Adds a token and returns the text it releases (often empty).
    pub fn push(&mut self, tok: &GemmaTokenizer, id: u32) -> anyhow::Result<String> {
        if !STOP_IDS.contains(&id) {
            self.ids.push(id);
        }
        let text = tok.decode(&self.ids, false)?;
        if text.ends_with('\u{FFFD}') {
            // A byte-fallback piece may end mid-character.
            return Ok(String::new());
        }
        let (visible, stopped) = self.cut(&text);
        let end = if stopped {
            visible.len()
        } else {
            visible.len() - self.pending_stop_prefix(visible)
        };
        Ok(self.release(&text, end))
    }

    /// Everything not yet released, up to a stop string: call once the sequence has ended.
    pub fn finish(&mut self, tok: &GemmaTokenizer) -> anyhow::Result<String> {
        let text = tok.decode(&self.ids, false)?;
        let end = self.cut(&text).0.len();
        Ok(self.release(&text, end))
    }

    fn release(&mut self, text: &str, end: usize) -> String {
        if end <= self.sent {
            return String::new();
        }
        let out = text[self.sent..end].to_owned();
        self.sent = end;
        out
    }

    /// The text before the first stop string, and whether there was one.
    fn cut<'t>(&self, text: &'t str) -> (&'t str, bool) {
        match self
            .stops
            .iter()
            .filter_map(|s| text.find(s.as_str()))
            .min()
        {
            Some(at) => (&text[..at], true),
            None => (text, false),
        }
    }

    /// Bytes at the end of `text` that begin some stop string.
    fn pending_stop_prefix(&self, text: &str) -> usize {
        text.char_indices()
            .map(|(i, _)| i)
            .filter(|&i| i >= self.sent)
            .find(|&i| self.stops.iter().any(|s| s.starts_with(&text[i..])))
            .map_or(0, |i| text.len() - i)
    }
}
