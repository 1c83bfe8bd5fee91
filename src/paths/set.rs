//! The auth paths found so far, indexed by id and by the workload each ends at. Phases add to it
//! in a fixed order (cluster paths, then paths through proxies); the rules read it through
//! [`crate::analysis::Analysis`].

use std::collections::BTreeMap;
use std::ops::Index;

use rustc_hash::FxHashMap as HashMap;
use ztpath_reports::AuthPath;

use crate::resolve::estate::Estate;

pub struct PathSet {
    paths: Vec<AuthPath>,
    index: HashMap<String, usize>,
    /// Paths ending at each workload (by workload index).
    into: Vec<Vec<usize>>,
}

impl PathSet {
    /// The paths of `sorted`, in its (id) order.
    pub fn from_sorted(est: &Estate<'_>, sorted: BTreeMap<String, AuthPath>) -> PathSet {
        let mut set = PathSet {
            paths: Vec::with_capacity(sorted.len()),
            index: HashMap::default(),
            into: vec![Vec::new(); est.workloads.len()],
        };
        set.index.reserve(sorted.len());
        for (id, p) in sorted {
            let i = set.paths.len();
            if let Some(&wi) = est.workload_index.get(p.to.as_str()) {
                set.into[wi].push(i);
            }
            set.index.insert(id, i);
            set.paths.push(p);
        }
        set
    }

    /// Adds a path (or returns the one with the same id) and indexes it; returns its position.
    pub fn add(&mut self, est: &Estate<'_>, path: AuthPath) -> usize {
        if let Some(&i) = self.index.get(&path.id) {
            return i;
        }
        let i = self.paths.len();
        if let Some(&wi) = est.workload_index.get(&path.to) {
            self.into[wi].push(i);
        }
        self.index.insert(path.id.clone(), i);
        self.paths.push(path);
        i
    }

    pub fn get(&self, id: &str) -> Option<&AuthPath> {
        self.index.get(id).map(|&i| &self.paths[i])
    }

    /// Position of a path.
    pub fn position(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
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

    /// The paths, for the report (the index stays for [`PathSet::position`]).
    pub fn take(&mut self) -> Vec<AuthPath> {
        std::mem::take(&mut self.paths)
    }
}

impl Index<usize> for PathSet {
    type Output = AuthPath;
    fn index(&self, i: usize) -> &AuthPath {
        &self.paths[i]
    }
}
