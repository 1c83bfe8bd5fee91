//! The auth paths found so far, indexed by id and by the workload each ends at. Phases add to it
//! in a fixed order (cluster paths, then paths through proxies); the rules read it through
//! [`crate::analysis::Analysis`].
//!
//! Each id is stored once, in its path. While phases add paths, the index maps a hash of the id
//! to the first path with that hash, and paths whose ids share a hash are chained. On a large
//! estate a second copy of every id was a sixth of the heap. Once the last phase has added its
//! paths the set is sealed: the hash index (36 bytes a path with its table's spare room) gives
//! way to the positions in id order (4 bytes a path), searched by bisection.

use std::collections::hash_map::Entry;
use std::ops::Index;

use rayon::slice::ParallelSliceMut;
use rustc_hash::FxHashMap as HashMap;
use ztpath_reports::{AuthPath, PathId};

use crate::intern::Interner;
use crate::resolve::estate::Estate;

/// No further path with the same hash.
const END: u32 = u32::MAX;

pub struct PathSet {
    paths: Vec<AuthPath>,
    /// Hash of an id → position of the first path with that hash (until sealed).
    index: HashMap<u64, u32>,
    /// Per path: the next path whose id has the same hash, or [`END`] (until sealed).
    chain: Vec<u32>,
    /// Once sealed: every position, in id order.
    by_id: Option<Vec<u32>>,
    /// Paths ending at each workload (by workload index).
    into: Vec<Vec<usize>>,
    /// One copy of each hop detail and `via` (most repeat across paths).
    texts: Interner,
}

fn hash(id: &PathId) -> u64 {
    id.text_hash()
}

impl PathSet {
    /// An empty set for the workloads of `est`.
    pub fn new(est: &Estate<'_>) -> PathSet {
        PathSet {
            paths: Vec::new(),
            index: HashMap::default(),
            chain: Vec::new(),
            by_id: None,
            into: vec![Vec::new(); est.workloads.len()],
            texts: Interner::default(),
        }
    }

    /// Adds a path (or returns the one with the same id) and indexes it; returns its position.
    /// Its hops' details and `via`s become the set's shared copies of those texts.
    ///
    /// # Panics
    /// After [`PathSet::seal`].
    pub fn add(&mut self, est: &Estate<'_>, mut path: AuthPath) -> usize {
        assert!(self.by_id.is_none(), "a path added to a sealed path set");
        let h = hash(&path.id);
        if let Some(i) = self.find(h, &path.id) {
            return i;
        }
        for hop in &mut path.hops {
            self.texts.share(&mut hop.detail);
            if let Some(via) = &mut hop.via {
                self.texts.share(via);
            }
        }
        let i = self.paths.len();
        self.paths.push(path);
        self.link(est, i, h);
        i
    }

    /// Indexes the path at position `i`, the last one indexed so far: by the hash of its id
    /// (at the end of that hash's chain) and by the workload it ends at.
    fn link(&mut self, est: &Estate<'_>, i: usize, h: u64) {
        let slot = u32::try_from(i).ok().filter(|&n| n < END).expect("more auth paths than the index holds");
        let path = &self.paths[i];
        self.chain.push(END);
        match self.index.entry(h) {
            Entry::Vacant(v) => {
                v.insert(slot);
            }
            Entry::Occupied(o) => {
                let mut at = *o.get();
                while self.chain[at as usize] != END {
                    at = self.chain[at as usize];
                }
                self.chain[at as usize] = slot;
            }
        }
        if let Some(&wi) = est.workload_index.get(path.to.as_str()) {
            self.into[wi].push(i);
        }
    }

    /// Makes room for `additional` more paths at once, so that a phase that knows how many it
    /// adds does not double a vector of a million paths (and hold both copies while it moves).
    pub fn reserve(&mut self, additional: usize) {
        self.paths.reserve_exact(additional);
        self.chain.reserve_exact(additional);
        self.index.reserve(additional);
    }

    /// Whether a path with this id is in the set.
    pub fn contains(&self, id: &PathId) -> bool {
        self.position(id).is_some()
    }

    /// Ends adding: the hash index and the texts' table are freed, and lookups bisect the
    /// positions in id order instead. Positions do not change.
    pub fn seal(&mut self) {
        // `link` has checked that every position fits.
        let count = u32::try_from(self.paths.len()).expect("more auth paths than the index holds");
        let mut order: Vec<u32> = (0..count).collect();
        let paths = &self.paths;
        order.par_sort_unstable_by(|&x, &y| paths[x as usize].id.cmp(&paths[y as usize].id));
        self.by_id = Some(order);
        self.index = HashMap::default();
        self.chain = Vec::new();
        self.texts = Interner::default();
    }

    /// Sorts the paths by id (positions change) and rebuilds the indexes, in place: the paths
    /// stay where they are (ids are unique, so an unstable sort gives one order).
    pub fn sort_by_id(&mut self, est: &Estate<'_>) {
        assert!(self.by_id.is_none(), "a sealed path set sorted");
        self.paths.sort_unstable_by(|x, y| x.id.cmp(&y.id));
        self.index.clear();
        self.chain.clear();
        self.into.iter_mut().for_each(Vec::clear);
        for i in 0..self.paths.len() {
            let h = hash(&self.paths[i].id);
            self.link(est, i, h);
        }
    }

    pub fn get(&self, id: &PathId) -> Option<&AuthPath> {
        self.position(id).map(|i| &self.paths[i])
    }

    /// Position of a path.
    pub fn position(&self, id: &PathId) -> Option<usize> {
        if let Some(order) = &self.by_id {
            let paths = &self.paths;
            return order.binary_search_by(|&i| paths[i as usize].id.cmp(id)).ok().map(|k| order[k] as usize);
        }
        self.find(hash(id), id)
    }

    /// Position of the path with this id, whose hash is `h`, while the hash index is kept.
    fn find(&self, h: u64, id: &PathId) -> Option<usize> {
        let mut at = *self.index.get(&h)?;
        while at != END {
            if self.paths[at as usize].id == *id {
                return Some(at as usize);
            }
            at = self.chain[at as usize];
        }
        None
    }

    /// The path at a position, to add evidence to its hops. Its id, ends and hops' nodes must not
    /// change: the index is built on them.
    pub fn at_mut(&mut self, position: usize) -> &mut AuthPath {
        &mut self.paths[position]
    }

    pub fn iter(&self) -> std::slice::Iter<'_, AuthPath> {
        self.paths.iter()
    }

    pub fn len(&self) -> usize {
        self.paths.len()
    }

    pub fn is_empty(&self) -> bool {
        self.paths.is_empty()
    }

    /// Positions of the paths ending at workload `wi`.
    pub fn into_workload(&self, wi: usize) -> &[usize] {
        self.into.get(wi).map_or(&[], Vec::as_slice)
    }

    /// The paths in id order, for the report. The set is empty afterwards: look positions up
    /// before.
    pub fn take(&mut self) -> Vec<AuthPath> {
        let mut paths = std::mem::take(&mut self.paths);
        match self.by_id.take() {
            Some(order) => into_order(&mut paths, &order),
            None => paths.sort_unstable_by(|x, y| x.id.cmp(&y.id)),
        }
        self.index = HashMap::default();
        self.chain = Vec::new();
        self.texts = Interner::default();
        self.into.iter_mut().for_each(Vec::clear);
        paths
    }
}

/// Moves `items[order[k]]` to position `k` for every `k`, in place: each cycle of the
/// permutation is followed once, swapping as it goes.
fn into_order<T>(items: &mut [T], order: &[u32]) {
    let mut done = vec![false; items.len()];
    for start in 0..items.len() {
        let mut k = start;
        while !done[k] {
            done[k] = true;
            let from = order[k] as usize;
            if from == start {
                break;
            }
            items.swap(k, from);
            k = from;
        }
    }
}

impl Index<usize> for PathSet {
    type Output = AuthPath;
    fn index(&self, i: usize) -> &AuthPath {
        &self.paths[i]
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn into_order_moves_each_item_to_its_rank() {
        let items: Vec<u32> = vec![50, 10, 40, 30, 20, 60, 0];
        let mut order: Vec<u32> = (0..7).collect();
        order.sort_by_key(|&i| items[i as usize]);
        let mut sorted = items.clone();
        super::into_order(&mut sorted, &order);
        assert_eq!(sorted, [0, 10, 20, 30, 40, 50, 60]);
        let mut same = items.clone();
        super::into_order(&mut same, &(0..7).collect::<Vec<u32>>());
        assert_eq!(same, items);
    }
}
