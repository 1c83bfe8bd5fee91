//! One copy of each repeated sentence. Hop details, hop `via`s and edge labels are formatted per
//! hop, but on a large estate most of them repeat word for word (every caller of one Service
//! port reaches it "via" the same words; every plaintext hop into one workload has the same
//! detail). An [`Interner`] keeps the first copy of each text and hands out that one, so the
//! duplicates are freed as soon as they are made.

use rustc_hash::FxHashSet;
use ztpath_reports::SharedStr;

#[derive(Default)]
pub struct Interner {
    seen: FxHashSet<SharedStr>,
}

impl Interner {
    /// Replaces `s` with the first copy of the same text, keeping `s` as that copy if it is new.
    pub fn share(&mut self, s: &mut SharedStr) {
        match self.seen.get(s.as_str()) {
            Some(first) => *s = first.clone(),
            None => {
                self.seen.insert(s.clone());
            }
        }
    }

    /// The shared copy of `text`, allocated only when the text is new.
    pub fn get(&mut self, text: &str) -> SharedStr {
        if let Some(first) = self.seen.get(text) {
            return first.clone();
        }
        let s = SharedStr::from(text);
        self.seen.insert(s.clone());
        s
    }
}
