//! Credentials written inside URLs and addresses: `scheme://user:password@host`, or
//! `user:password@host:port` where an address is expected.
//!
//! Such a credential must never become part of a name, an id or a message. Every reader passes
//! the URLs and addresses it reads through [`split_userinfo`] (or [`redact_userinfo`] for text
//! that may contain URLs), and [`scrub_proxies`] makes a last pass over every proxy once all
//! sources are read, so that a reader that forgot cannot leak one: a backend address that still
//! carries a userinfo loses it there, and the credential is kept on the backend (as a
//! [`Userinfo`], whose values are [`Sensitive`]) for the engine to fingerprint.

use std::borrow::Cow;
use std::sync::Arc;

use crate::inventory::{BackendTarget, Inventory, Proxy, ProxyBackend, ProxyCredential, Sensitive, Userinfo};

/// Splits the userinfo off one URL or address: `http://u:p@h:1/x` → (`http://h:1/x`, `u`, `p`);
/// `u:p@h:1` → (`h:1`, …). The authority starts after the first `://` that no `/`, `?` or `#`
/// precedes (else at the start) and ends at the next `/`, `?` or `#`; its userinfo is everything
/// up to its last `@`.
pub fn split_userinfo(text: &str) -> (String, Option<Userinfo>) {
    let start = match text.find("://") {
        Some(i) if !text[..i].contains(['/', '?', '#']) => i + 3,
        _ => 0,
    };
    let rest = &text[start..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return (text.to_owned(), None);
    };
    let userinfo = &rest[..at];
    let (user, password) = match userinfo.split_once(':') {
        Some((u, p)) => (u, Some(p)),
        None => (userinfo, None),
    };
    let clean = format!("{}{}", &text[..start], &rest[at + 1..]);
    let info = Userinfo {
        user: Sensitive::new(user.to_owned()),
        password: password.map(|p| Sensitive::new(p.to_owned())),
    };
    (clean, Some(info))
}

/// The URL or address without its userinfo.
pub fn strip_userinfo(text: &str) -> String {
    split_userinfo(text).0
}

/// Free text (a description, an annotation value, an attribute) with the userinfo of every URL
/// in it removed. Only `scheme://` URLs are recognised here: in free text, `name@host` is as
/// likely an e-mail address.
pub fn redact_userinfo(text: &str) -> Cow<'_, str> {
    redact(text, &mut Vec::new())
}

/// [`redact_userinfo`], collecting each removed userinfo with the host and port it was for.
fn redact<'t>(text: &'t str, found: &mut Vec<(String, Userinfo)>) -> Cow<'t, str> {
    if !text.contains('@') || !text.contains("://") {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        let authority_end = tail
            .find(|c: char| {
                matches!(c, '/' | '?' | '#' | '"' | '\'' | '`' | '<' | '>' | ',' | ';' | ')')
                    || c.is_whitespace()
            })
            .unwrap_or(tail.len());
        let authority = &tail[..authority_end];
        match authority.rfind('@') {
            Some(at) => {
                let (clean, info) = split_userinfo(authority);
                if let Some(info) = info {
                    found.push((clean, info));
                }
                out.push_str(&authority[at + 1..]);
            }
            None => out.push_str(authority),
        }
        rest = &tail[authority_end..];
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// The host and port of a URL (`https://u:p@auth.example:8443/x` → `auth.example:8443`).
pub fn authority(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let rest = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    rest.rfind('@').map_or(rest, |at| &rest[at + 1..])
}

/// The last pass over every proxy once all sources are read: no userinfo survives in a backend
/// target (its credential moves to [`ProxyBackend::credential`]), nor in any name, host, match,
/// description or attribute (those credentials go to [`Proxy::credentials`]).
pub fn scrub_proxies(inventory: &mut Inventory) {
    for p in &mut inventory.proxies {
        scrub_proxy(p);
    }
}

/// Removes every userinfo from one proxy.
pub fn scrub_proxy(p: &mut Proxy) {
    // Credentials found in text, with the listener (line, file) whose configuration holds them.
    let mut found: Vec<(String, Userinfo, u32, Option<Arc<str>>)> = Vec::new();
    let mut clean = |s: &mut String, line: u32, file: &Option<Arc<str>>| {
        let mut here = Vec::new();
        if let Cow::Owned(c) = redact(s, &mut here) {
            *s = c;
        }
        found.extend(here.into_iter().map(|(peer, info)| (peer, info, line, file.clone())));
    };
    clean(&mut p.name, 0, &None);
    let attrs = std::mem::take(&mut p.attrs);
    for (mut k, mut v) in attrs {
        clean(&mut k, 0, &None);
        clean(&mut v, 0, &None);
        p.attrs.insert(k, v);
    }
    for v in p.runs_on.iter_mut().flat_map(crate::inventory::StringMap::values_mut) {
        clean(v, 0, &None);
    }
    for l in &mut p.listeners {
        let (line, file) = (l.line, l.file.clone());
        clean(&mut l.name, line, &file);
        for text in l.hosts.iter_mut().chain(l.authz.iter_mut()) {
            clean(text, line, &file);
        }
        for j in &mut l.jwt {
            for text in j.issuer.iter_mut().chain(j.audiences.iter_mut()) {
                clean(text, j.line, &file);
            }
        }
        for r in &mut l.routes {
            clean(&mut r.matches, r.line, &file);
            if let Some(s) = &mut r.backend.substitutes_identity {
                clean(s, r.backend.line, &file);
            }
            scrub_backend(&mut r.backend);
        }
    }
    for (peer, credential, line, file) in found {
        let c = ProxyCredential { peer, credential, line, file };
        // The same text is often copied into several listeners.
        if !p.credentials.contains(&c) {
            p.credentials.push(c);
        }
    }
}

fn scrub_backend(b: &mut ProxyBackend) {
    let found = match &mut b.target {
        BackendTarget::Address { host, port } if host.contains('@') => {
            let (clean, info) = split_userinfo(host);
            // A host that still holds `:port` was read with the userinfo in the way.
            match clean.rsplit_once(':') {
                Some((h, p))
                    if !h.contains([':', '[']) && !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit()) =>
                {
                    *port = p.parse().ok().or(*port);
                    *host = h.to_owned();
                }
                _ => *host = clean,
            }
            info
        }
        BackendTarget::Named(name) if name.contains('@') => {
            let (clean, info) = if name.contains("://") {
                split_userinfo(name)
            } else {
                let mut found = Vec::new();
                let clean = redact(name, &mut found).into_owned();
                (clean, found.pop().map(|(_, info)| info))
            };
            *name = clean;
            info
        }
        BackendTarget::Service { name, .. } if name.contains('@') => {
            let (clean, info) = split_userinfo(name);
            *name = clean;
            info
        }
        _ => None,
    };
    if b.credential.is_none() {
        b.credential = found;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(text: &str) -> (String, Option<(String, Option<String>)>) {
        let (clean, info) = split_userinfo(text);
        (clean, info.map(|i| (i.user.expose().to_owned(), i.password.map(|p| p.expose().to_owned()))))
    }

    #[test]
    fn userinfo_is_split_off_urls_and_addresses() {
        let some = |u: &str, p: Option<&str>| Some((u.to_owned(), p.map(str::to_owned)));
        assert_eq!(
            split("http://u:pw@backend:8080/x"),
            ("http://backend:8080/x".into(), some("u", Some("pw")))
        );
        assert_eq!(split("u:pw@backend:8080"), ("backend:8080".into(), some("u", Some("pw"))));
        assert_eq!(split("https://tok@github.com/o/r"), ("https://github.com/o/r".into(), some("tok", None)));
        // The last `@` of the authority ends the userinfo (an `@` in a password).
        assert_eq!(split("redis://:p@ss@cache:6379"), ("redis://cache:6379".into(), some("", Some("p@ss"))));
        // An `@` after the authority is part of the path.
        assert_eq!(
            split("https://registry.example/@scope/pkg"),
            ("https://registry.example/@scope/pkg".into(), None)
        );
        assert_eq!(split("backend:8080"), ("backend:8080".into(), None));
        // Whatever precedes the `://` (an option name) is kept.
        assert_eq!(split("--to=https://u:p@h/x"), ("--to=https://h/x".into(), some("u", Some("p"))));
        // A `://` in a path is not a scheme's: the authority starts at the beginning.
        assert_eq!(split("h/r?to=http://c@d"), ("h/r?to=http://c@d".into(), None));
        assert_eq!(authority("https://u:p@auth.example:8443/x"), "auth.example:8443");
        assert_eq!(authority("auth.example"), "auth.example");
    }

    #[test]
    fn free_text_loses_the_userinfo_of_every_url() {
        assert_eq!(
            redact_userinfo("auth-url https://u:pw@auth.example/check, then ftp://x@y and a@b.example"),
            "auth-url https://auth.example/check, then ftp://y and a@b.example"
        );
        assert!(matches!(redact_userinfo("no url here"), Cow::Borrowed(_)));
    }

    #[test]
    fn scrub_moves_credentials_out_of_descriptions() {
        let mut p = Proxy {
            kind: crate::inventory::ProxyKind::IngressNginx,
            name: "web".into(),
            namespace: Some("shop".into()),
            source: crate::inventory::Source { file: "i.yaml".into(), line: 1 },
            runs_on: None,
            listeners: Vec::new(),
            attrs: [("auth".to_owned(), "see https://u:pw@auth.example:8443/x".to_owned())].into(),
            credentials: Vec::new(),
        };
        let mut l = crate::inventory::ProxyListener::new(
            "l".into(),
            Some(80),
            vec![],
            crate::inventory::ListenerTls::Plaintext,
            7,
        );
        l.authz.push("auth-url https://u:pw@auth.example:8443/x".into());
        p.listeners = vec![l.clone(), l];
        scrub_proxy(&mut p);
        assert_eq!(p.attrs["auth"], "see https://auth.example:8443/x");
        assert_eq!(p.listeners[1].authz, ["auth-url https://auth.example:8443/x"]);
        let got: Vec<_> = p.credentials.iter().map(|c| (c.peer.as_str(), c.line)).collect();
        assert_eq!(got, [("auth.example:8443", 0), ("auth.example:8443", 7)]);
        assert_eq!(p.credentials[0].credential.password().map(Sensitive::expose), Some("pw"));
    }

    #[test]
    fn scrub_moves_the_credential_out_of_backend_targets() {
        let mut b = ProxyBackend::plain(
            BackendTarget::Address { host: "user:pw@backend:8080".into(), port: Some(80) },
            3,
        );
        scrub_backend(&mut b);
        assert_eq!(b.target, BackendTarget::Address { host: "backend".into(), port: Some(8080) });
        let info = b.credential.expect("credential kept");
        assert_eq!((info.user.expose(), info.password().map(Sensitive::expose)), ("user", Some("pw")));

        let mut b = ProxyBackend::plain(BackendTarget::Named("http://u:pw@$host".into()), 3);
        scrub_backend(&mut b);
        assert_eq!(b.target, BackendTarget::Named("http://$host".into()));
        assert!(b.credential.is_some());
    }
}
