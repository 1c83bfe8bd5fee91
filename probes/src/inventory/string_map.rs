//! [`StringMap`]: labels, annotations, selectors and attributes as a small sorted list.
//!
//! Kubernetes objects carry a handful of labels and annotations each, and an estate has hundreds
//! of thousands of objects. A B-tree map allocates a node of eleven slots for the first entry; a
//! sorted vector holds exactly what it has. Lookups are a binary search, and iteration is in key
//! order, as before.

use std::fmt;

/// A map of strings to strings, in key order, each key once.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StringMap(Vec<(String, String)>);

type Pair = (String, String);

/// Iterator over the entries of a [`StringMap`], in key order.
pub type Iter<'a> = std::iter::Map<std::slice::Iter<'a, Pair>, fn(&'a Pair) -> (&'a String, &'a String)>;

fn as_refs(p: &Pair) -> (&String, &String) {
    (&p.0, &p.1)
}

impl StringMap {
    pub const fn new() -> StringMap {
        StringMap(Vec::new())
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn find(&self, key: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| k.as_str().cmp(key))
    }

    pub fn get(&self, key: &str) -> Option<&String> {
        self.find(key).ok().map(|i| &self.0[i].1)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.find(key).is_ok()
    }

    /// Sets `key` to `value`; returns the value it replaces.
    pub fn insert(&mut self, key: String, value: String) -> Option<String> {
        match self.find(&key) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, value)),
            Err(i) => {
                self.0.insert(i, (key, value));
                None
            }
        }
    }

    /// The value of `key`, set to `make()` first if the key is absent.
    pub fn get_or_insert_with(&mut self, key: String, make: impl FnOnce() -> String) -> &mut String {
        let i = match self.find(&key) {
            Ok(i) => i,
            Err(i) => {
                self.0.insert(i, (key, make()));
                i
            }
        };
        &mut self.0[i].1
    }

    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut String> {
        self.0.iter_mut().map(|(_, v)| v)
    }

    pub fn remove(&mut self, key: &str) -> Option<String> {
        self.find(key).ok().map(|i| self.0.remove(i).1)
    }

    pub fn iter(&self) -> Iter<'_> {
        self.0.iter().map(as_refs as fn(&Pair) -> (&String, &String))
    }

    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.0.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl Iterator<Item = &String> {
        self.0.iter().map(|(_, v)| v)
    }
}

impl FromIterator<Pair> for StringMap {
    /// A later entry for a key replaces an earlier one, as in a map.
    fn from_iter<I: IntoIterator<Item = Pair>>(iter: I) -> StringMap {
        let mut v: Vec<Pair> = iter.into_iter().collect();
        // Stable: among equal keys the last one written is kept.
        v.sort_by(|a, b| a.0.cmp(&b.0));
        let mut out: Vec<Pair> = Vec::with_capacity(v.len());
        for p in v {
            match out.last_mut() {
                Some(last) if last.0 == p.0 => *last = p,
                _ => out.push(p),
            }
        }
        out.shrink_to_fit();
        StringMap(out)
    }
}

impl<const N: usize> From<[Pair; N]> for StringMap {
    fn from(pairs: [Pair; N]) -> StringMap {
        pairs.into_iter().collect()
    }
}

impl std::ops::Index<&str> for StringMap {
    type Output = String;
    /// The value of a key that is there; panics otherwise, as a map's index does.
    fn index(&self, key: &str) -> &String {
        self.get(key).unwrap_or_else(|| panic!("no key {key:?} in the map"))
    }
}

impl Extend<Pair> for StringMap {
    fn extend<I: IntoIterator<Item = Pair>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

impl<'a> IntoIterator for &'a StringMap {
    type Item = (&'a String, &'a String);
    type IntoIter = Iter<'a>;
    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

impl IntoIterator for StringMap {
    type Item = Pair;
    type IntoIter = std::vec::IntoIter<Pair>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl fmt::Debug for StringMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> String {
        x.to_owned()
    }

    #[test]
    fn behaves_as_a_map_in_key_order() {
        let mut m: StringMap = [(s("b"), s("2")), (s("a"), s("1")), (s("b"), s("3"))].into();
        assert_eq!(m.len(), 2);
        assert_eq!(m.get("b").map(String::as_str), Some("3"), "the last entry for a key wins");
        assert_eq!(m.keys().map(String::as_str).collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(m.insert(s("a"), s("9")), Some(s("1")));
        assert_eq!(m.insert(s("0"), s("z")), None);
        assert_eq!(m.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>(), ["0=z", "a=9", "b=3"]);
        assert!(m.contains_key("0") && !m.contains_key("c"));
        assert_eq!(m.remove("0"), Some(s("z")));
        assert_eq!(format!("{m:?}"), r#"{"a": "9", "b": "3"}"#);
        assert!(StringMap::new().is_empty());
    }
}
