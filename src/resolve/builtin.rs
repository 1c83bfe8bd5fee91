//! Definitions the engine knows without any input holding them: the Kubernetes default
//! ClusterRoles a binding names without the input defining them, and a few AWS-managed policies
//! attached by ARN. Their [`Source`] names them in words (`(built-in ClusterRole)`), which reads
//! well in a chain of steps but is no place in the input, so findings leave it out of their
//! evidence.
//!
//! A built-in source is told apart by identity, not by its text: [`source`] hands out one shared
//! file name per definition, and [`is_builtin`] recognises those names only, so an input file
//! whose name happens to look the same is still evidence.

use std::sync::{Arc, LazyLock, PoisonError, RwLock};

use ztpath_probes::Source;

/// Every file name [`source`] has handed out.
static NAMES: LazyLock<RwLock<Vec<Arc<str>>>> = LazyLock::new(RwLock::default);

/// The source of a built-in definition, `what` saying which (`built-in ClusterRole`).
pub fn source(what: &str) -> Source {
    let label = format!("({what})");
    if let Some(file) = find(&NAMES.read().unwrap_or_else(PoisonError::into_inner), &label) {
        return Source { file, line: 0 };
    }
    let mut names = NAMES.write().unwrap_or_else(PoisonError::into_inner);
    let file = find(&names, &label).unwrap_or_else(|| {
        let file: Arc<str> = label.into();
        names.push(Arc::clone(&file));
        file
    });
    Source { file, line: 0 }
}

/// Whether a source is one that [`source`] made (and not a place in the input).
pub fn is_builtin(s: &Source) -> bool {
    s.line == 0
        && NAMES.read().unwrap_or_else(PoisonError::into_inner).iter().any(|n| Arc::ptr_eq(n, &s.file))
}

fn find(names: &[Arc<str>], label: &str) -> Option<Arc<str>> {
    names.iter().find(|n| ***n == *label).cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_sources_are_known_by_identity_not_by_text() {
        let role = source("built-in ClusterRole");
        assert_eq!(role.to_string(), "(built-in ClusterRole)");
        assert!(is_builtin(&role) && is_builtin(&role.clone()));
        assert!(Arc::ptr_eq(&role.file, &source("built-in ClusterRole").file), "one name per definition");
        let look_alike = Source { file: "(built-in ClusterRole)".into(), line: 0 };
        assert!(!is_builtin(&look_alike), "an input file named like it is evidence");
    }
}
