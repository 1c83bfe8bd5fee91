//! [`PathId`]: the id of an auth path, held as the parts it is made of.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::shared::SharedStr;

/// The id of an auth path: `path:<from>-><to>` for a path of one hop, and
/// `path:<from>-><between><to>` for a path through proxies, where `<between>` names the proxy,
/// listener and route (and the further hops of a chain of proxies).
///
/// A dense estate has a million paths, and a million id strings were a tenth of the scan's
/// memory. So an id is kept as its parts: the two node ids, which the path's hops and the
/// graph already share, and the text between them when there is one. It is written, compared,
/// ordered and hashed as the one string it stands for, so an id read back from a report (kept
/// whole, as read) equals the id the engine built.
#[derive(Clone, Default)]
pub struct PathId {
    /// The caller's node id; for an id kept whole, the whole text.
    from: SharedStr,
    /// The text between `->` and the target, if any.
    between: Option<SharedStr>,
    /// The target's node id; empty for an id kept whole.
    to: SharedStr,
}

const PREFIX: &str = "path:";
const ARROW: &str = "->";

impl PathId {
    /// `path:<from>-><to>`. `to` is a node id, never empty.
    pub fn between(from: SharedStr, to: SharedStr) -> PathId {
        debug_assert!(!to.is_empty(), "a path to an empty node id");
        PathId { from, between: None, to }
    }

    /// `path:<from>-><between><to>`.
    pub fn through(from: SharedStr, between: impl Into<SharedStr>, to: SharedStr) -> PathId {
        debug_assert!(!to.is_empty(), "a path to an empty node id");
        let between: SharedStr = between.into();
        PathId { from, between: Some(between).filter(|b| !b.is_empty()), to }
    }

    /// An id kept whole, as read from a report.
    pub fn whole(text: impl Into<SharedStr>) -> PathId {
        PathId { from: text.into(), between: None, to: SharedStr::default() }
    }

    /// The path that follows this one with `next` (which starts where this one ends):
    /// `<this id>=><next id without "path:">`.
    pub fn then(&self, next: &PathId) -> PathId {
        if self.is_whole() || next.is_whole() {
            return PathId::whole(format!("{self}=>{}", next.to_string().trim_start_matches(PREFIX)));
        }
        let between = format!(
            "{}{}=>{}{ARROW}{}",
            self.between.as_deref().unwrap_or(""),
            self.to,
            next.from,
            next.between.as_deref().unwrap_or("")
        );
        PathId::through(self.from.clone(), between, next.to.clone())
    }

    /// The text: borrowed for an id kept whole, built for one held in parts.
    pub fn as_text(&self) -> std::borrow::Cow<'_, str> {
        if self.is_whole() { std::borrow::Cow::Borrowed(&self.from) } else { self.to_string().into() }
    }

    fn is_whole(&self) -> bool {
        self.to.is_empty()
    }

    /// The pieces of the text, in order.
    fn pieces(&self) -> [&str; 5] {
        if self.is_whole() {
            [&self.from, "", "", "", ""]
        } else {
            [PREFIX, &self.from, ARROW, self.between.as_deref().unwrap_or(""), &self.to]
        }
    }
}

/// Compares two texts given in pieces, as the concatenated texts compare, without building them.
fn compare(a: &[&str], b: &[&str]) -> Ordering {
    let (mut ai, mut bi) = (0, 0);
    let (mut ao, mut bo) = (0, 0);
    loop {
        while ai < a.len() && ao == a[ai].len() {
            ai += 1;
            ao = 0;
        }
        while bi < b.len() && bo == b[bi].len() {
            bi += 1;
            bo = 0;
        }
        match (ai < a.len(), bi < b.len()) {
            (false, false) => return Ordering::Equal,
            (false, true) => return Ordering::Less,
            (true, false) => return Ordering::Greater,
            (true, true) => {}
        }
        let (x, y) = (&a[ai].as_bytes()[ao..], &b[bi].as_bytes()[bo..]);
        let n = x.len().min(y.len());
        match x[..n].cmp(&y[..n]) {
            Ordering::Equal => {
                ao += n;
                bo += n;
            }
            other => return other,
        }
    }
}

impl PartialEq for PathId {
    fn eq(&self, other: &PathId) -> bool {
        (self.from == other.from && self.to == other.to && self.between == other.between)
            || compare(&self.pieces(), &other.pieces()) == Ordering::Equal
    }
}

impl Eq for PathId {}

impl PartialEq<str> for PathId {
    fn eq(&self, other: &str) -> bool {
        compare(&self.pieces(), &[other]) == Ordering::Equal
    }
}

impl PartialEq<String> for PathId {
    fn eq(&self, other: &String) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<&str> for PathId {
    fn eq(&self, other: &&str) -> bool {
        self == *other
    }
}

impl Ord for PathId {
    fn cmp(&self, other: &PathId) -> Ordering {
        if !self.is_whole() && !other.is_whole() && self.from == other.from {
            // Both start with `path:<from>->`: the rest decides.
            let x = [self.between.as_deref().unwrap_or(""), self.to.as_str()];
            let y = [other.between.as_deref().unwrap_or(""), other.to.as_str()];
            return compare(&x, &y);
        }
        compare(&self.pieces(), &other.pieces())
    }
}

impl PartialOrd for PathId {
    fn partial_cmp(&self, other: &PathId) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PathId {
    /// A 64-bit hash of the text, the same however the text is held (whole or in parts): the
    /// bytes are taken eight at a time across the pieces.
    pub fn text_hash(&self) -> u64 {
        const K: u64 = 0xf135_7aea_2e62_a9c5;
        let (mut h, mut word, mut filled) = (0u64, 0u64, 0u32);
        let mut mix = |w: u64| h = (h.rotate_left(26) ^ w).wrapping_mul(K);
        for piece in self.pieces() {
            let mut bytes = piece.as_bytes();
            // Top up a word left part-filled by the last piece, then whole words, then the tail.
            while filled != 0 && !bytes.is_empty() {
                word |= u64::from(bytes[0]) << (8 * filled);
                bytes = &bytes[1..];
                filled = (filled + 1) % 8;
                if filled == 0 {
                    mix(word);
                    word = 0;
                }
            }
            let mut words = bytes.chunks_exact(8);
            for w in &mut words {
                mix(u64::from_le_bytes(w.try_into().expect("eight bytes")));
            }
            for &b in words.remainder() {
                word |= u64::from(b) << (8 * filled);
                filled += 1;
            }
        }
        mix(word ^ (u64::from(filled) << 59));
        h
    }
}

impl Hash for PathId {
    /// [`PathId::text_hash`], so that an id kept whole and one held in parts hash alike.
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.text_hash());
    }
}

impl fmt::Display for PathId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for piece in self.pieces() {
            f.write_str(piece)?;
        }
        Ok(())
    }
}

impl fmt::Debug for PathId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.to_string(), f)
    }
}

impl From<&str> for PathId {
    fn from(text: &str) -> PathId {
        PathId::whole(text)
    }
}

impl From<String> for PathId {
    fn from(text: String) -> PathId {
        PathId::whole(text)
    }
}

impl Serialize for PathId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for PathId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<PathId, D::Error> {
        SharedStr::deserialize(deserializer).map(PathId::whole)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(t: &str) -> SharedStr {
        t.into()
    }

    #[test]
    fn parts_and_whole_texts_agree() {
        let a = PathId::between(s("workload:shop/Deployment/cart"), s("workload:shop/Deployment/api"));
        let whole = PathId::whole("path:workload:shop/Deployment/cart->workload:shop/Deployment/api");
        assert_eq!(a.to_string(), whole.to_string());
        assert_eq!(a, whole);
        assert_eq!(a.cmp(&whole), Ordering::Equal);
        let hash = |p: &PathId| {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            p.hash(&mut h);
            h.finish()
        };
        assert_eq!(hash(&a), hash(&whole));
        assert_eq!(a.text_hash(), whole.text_hash());
        assert_eq!(serde_json::to_string(&a).unwrap(), serde_json::to_string(&whole.to_string()).unwrap());
    }

    #[test]
    fn orders_as_the_texts_order() {
        // Ids whose node ids are prefixes of one another, with `->` and `=>` between: the order of
        // the parts must be the order of the strings, not of (from, to).
        let nodes = ["a", "a+b", "a-b", "a->b", "b", "zone:cluster", "-", "a=>b", ">"];
        let mut ids = Vec::new();
        for f in nodes {
            for t in nodes {
                ids.push(PathId::between(s(f), s(t)));
                ids.push(PathId::through(s(f), "p#l/route-0->", s(t)));
                ids.push(PathId::whole(format!("path:{f}->{t}")));
            }
        }
        let first = PathId::through(s("a"), "p#l/route-0->", s("b"));
        let chained = first.then(&PathId::through(s("b"), "q#m/route-1->", s("c")));
        assert_eq!(chained.to_string(), "path:a->p#l/route-0->b=>b->q#m/route-1->c");
        ids.push(chained);
        for x in &ids {
            for y in &ids {
                assert_eq!(x.cmp(y), x.to_string().cmp(&y.to_string()), "{x} vs {y}");
                let (xs, ys) = (x.to_string(), y.to_string());
                assert_eq!(x == y, xs == ys, "{x} vs {y}");
            }
            assert!(*x == *x.to_string());
            assert_eq!(x.text_hash(), PathId::whole(x.to_string()).text_hash(), "{x}");
        }
    }
}
