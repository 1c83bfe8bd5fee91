//! Which written values are credentials, and how weak a credential value is.
//!
//! A credential-named variable holds a credential whatever its value looks like, short or a
//! dictionary word: only syntactic stand-ins are not values (`ztpath_probes::k8s::looks_like_placeholder`).
//! Some values are worse than a leaked random secret because anyone can guess them: well-known
//! defaults (`ztpath_probes::k8s::WELL_KNOWN_DEFAULTS`) and a password equal to the user name it
//! goes with. A password and its user name are paired by name (see [`user_variables`]); values are
//! compared by keyed fingerprint, so a Secret's value (known only by fingerprint) is compared too.

use std::collections::BTreeMap;

use ztpath_probes::Fingerprint;

use crate::discover::names::normalise;

/// Why a credential value is guessable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Weakness {
    /// One of the well-known default values (`password`, `admin`, `changeme`, …).
    WellKnownDefault,
    /// Equal to the user name: the variable or key holding it, or `None` for the account a server
    /// variable names by itself (`MYSQL_ROOT_PASSWORD` protects `root`).
    EqualsUserName(Option<String>),
}

impl Weakness {
    /// A clause for a finding's message. It never contains the value.
    pub fn describe(&self) -> String {
        match self {
            Weakness::WellKnownDefault => {
                "it is a well-known default value, which anyone can guess without reading the manifest"
                    .to_owned()
            }
            Weakness::EqualsUserName(Some(user)) => {
                format!("it is equal to the user name (`{user}`), which anyone can guess")
            }
            Weakness::EqualsUserName(None) => {
                "it is equal to the name of the account it protects, which anyone can guess".to_owned()
            }
        }
    }
}

/// The password part of a name (`PASSWORD`, `PASSWD`, `PASS`, `PWD`), with what comes before it:
/// `DB_PASSWORD` → `Some("DB")`, `password` → `Some("")`, `API_KEY` → `None`.
fn password_base(normalised: &str) -> Option<&str> {
    for suffix in ["PASSWORD", "PASSWD", "PASS", "PWD"] {
        if normalised == suffix {
            return Some("");
        }
        if let Some(base) = normalised.strip_suffix(suffix).and_then(|b| b.strip_suffix('_'))
            && !base.is_empty()
        {
            return Some(base);
        }
    }
    None
}

/// The names (normalised) that hold the user name a password goes with: for `<P>_PASSWORD`
/// (or `_PASS`, `_PWD`, `_PASSWD`) they are `<P>_USER`, `<P>_USERNAME`, `<P>_USER_NAME` and
/// `<P>_LOGIN`, and `<P>` itself when it ends in `ADMIN` or `USER` (`KEYCLOAK_ADMIN` with
/// `KEYCLOAK_ADMIN_PASSWORD`); for a bare `password` key (a basic-auth Secret) they are `USER`,
/// `USERNAME` and `LOGIN`. Names without a password part pair with nothing.
pub fn user_variables(password_name: &str) -> Vec<String> {
    let n = normalise(password_name);
    let Some(base) = password_base(&n) else { return Vec::new() };
    if base.is_empty() {
        return ["USER", "USERNAME", "LOGIN"].iter().map(|s| (*s).to_owned()).collect();
    }
    let mut out: Vec<String> =
        ["_USER", "_USERNAME", "_USER_NAME", "_LOGIN"].iter().map(|s| format!("{base}{s}")).collect();
    if base.ends_with("ADMIN") || base.ends_with("USER") {
        out.push(base.to_owned());
    }
    out
}

/// Values of the variables (or keys) around a credential, by normalised name: the name as
/// written and the value's fingerprint.
pub type Neighbours = BTreeMap<String, (String, String)>;

/// How guessable a credential value is. `default` says whether the clear value is a well-known
/// default (the caller knows the value, or the probe decided it for a Secret); `fingerprint` is the
/// value's; `neighbours` holds the values beside it, where its user name is looked up.
pub fn weakness(name: &str, fingerprint: &str, default: bool, neighbours: &Neighbours) -> Option<Weakness> {
    if default {
        return Some(Weakness::WellKnownDefault);
    }
    for user in user_variables(name) {
        if let Some((written, fp)) = neighbours.get(&user)
            && fp == fingerprint
        {
            return Some(Weakness::EqualsUserName(Some(written.clone())));
        }
    }
    if let Some(account) = crate::discover::images::implied_user(name)
        && Fingerprint::of(account.as_bytes()).0 == fingerprint
    {
        return Some(Weakness::EqualsUserName(None));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_passwords_with_their_user_names() {
        assert_eq!(user_variables("DB_PASSWORD"), ["DB_USER", "DB_USERNAME", "DB_USER_NAME", "DB_LOGIN"]);
        assert!(user_variables("RABBITMQ_DEFAULT_PASS").contains(&"RABBITMQ_DEFAULT_USER".to_owned()));
        assert!(user_variables("KEYCLOAK_ADMIN_PASSWORD").contains(&"KEYCLOAK_ADMIN".to_owned()));
        assert!(
            user_variables("spring.datasource.password").contains(&"SPRING_DATASOURCE_USERNAME".to_owned())
        );
        assert_eq!(user_variables("password"), ["USER", "USERNAME", "LOGIN"]);
        assert!(user_variables("API_KEY").is_empty());
        assert!(user_variables("BYPASS").is_empty());
    }
}
