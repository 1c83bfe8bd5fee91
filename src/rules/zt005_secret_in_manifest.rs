//! ZT005: a credential value is written in a manifest.

use ztpath_reports::Severity;

use super::rule::{Hit, NistTenet, OwaspNhi, Rule, Sink, proxy_subject, subject, workload_subject};
use crate::analysis::Analysis;
use crate::discover::calls::LeakOwner;
use crate::discover::names::{credential_name, normalise};
use crate::discover::values::{Neighbours, weakness};

pub(super) static RULE: Rule = Rule {
    id: "ZT005",
    name: "secret-in-manifest",
    title: "Credential value written in a manifest",
    severity: Severity::High,
    owasp_nhi: &[OwaspNhi::Nhi2],
    nist_800_207: &[NistTenet::T6],
    rationale: "A credential in a manifest is in every clone of the repository, every rendered chart, every CI log \
and every `kubectl get -o yaml`. Env literals and ConfigMaps are not even treated as secret by Kubernetes (they are \
readable by anyone with `get` on the object and shown in plain text). Base64 in a Secret manifest is an encoding, \
not encryption.",
    remediation: "Remove the value and rotate it: it must be considered compromised. Deliver secrets at run time \
from a secrets manager (External Secrets, Secrets Store CSI driver, Vault agent) or commit them only encrypted \
(Sealed Secrets, SOPS). Reference them with `secretKeyRef`, never as `value:` or ConfigMap data.",
    detects: "- An env `value:` or ConfigMap entry whose name looks like a credential (`*_PASSWORD`, `*_TOKEN`, \
`*_API_KEY`, …) with a real value: **high**. Any value is real except syntactic placeholders (empty, `<…>`, \
`${VAR}`, `$(VAR)`, `{{ … }}`, runs of `x` or `*`, `REPLACE_ME`-style markers, `redacted`, `none`/`null`), paths, \
URLs without a password and boolean settings. A word such as `password` or `changeme` is a value, and so is a short \
one when the name ends in the credential word (`DB_PASSWORD: \"k9!\"`, `REDIS_PASSWORD: \"1234\"`); where the \
credential word only qualifies another (`AUTH_STRATEGY`, `TOKEN_ALGORITHM`, `ROUTING_KEY`), values under 6 \
characters and numbers are taken for settings.\n\
- An env literal or ConfigMap entry, whatever its name and look, whose value is the value of a credential key of a \
Secret in the input (same keyed fingerprint): **high** (`copy of a Secret value`).\n\
- A value of a well-known credential format in env or ConfigMaps (AWS access key id, GitHub, \
GitLab, Slack, Stripe, Google API keys, PEM private keys, JWTs), or in a container argument: **high**.\n\
- A password inside a URL (`scheme://user:password@host`), or a token as its user name, in env, args, \
ConfigMaps (reported on the ConfigMap, whoever loads it) or a proxy's backend URL or address (nginx, HAProxy, Envoy, \
Istio), whatever the host: **high**.\n\
- A password on a server's command line (`redis-server --requirepass <value>`): **high**.\n\
- A Secret manifest that carries real `data`/`stringData` values: **medium** (Helm release Secrets are skipped); \
**high** when a credential key holds a guessable value.\n\n\
Guessable values are said so in the message (never quoted): a well-known default (`password`, `passw0rd`, \
`p@ssw0rd`, `p@ssword`, `pass`, `secret`, `admin`, `admin123`, `administrator`, `root`, `toor`, `changeme`, \
`changeit`, `guest`, `test`, `test123`, `demo`, `default`, `example`, `letmein`, `welcome`, `qwerty`, `abc123`, \
`1234`, `12345`, `123456`, `12345678`, `123456789`, `postgres`, `mysql`, `minioadmin`; case, `-` and `_` ignored), \
or a password equal to its user name. A password `<P>_PASSWORD` (or `_PASS`, `_PWD`, `_PASSWD`) goes with the user \
name in `<P>_USER`, `<P>_USERNAME`, `<P>_USER_NAME` or `<P>_LOGIN`, or in `<P>` itself when it ends in `ADMIN` or \
`USER` (`KEYCLOAK_ADMIN`); a bare `password` key with `user`, `username` or `login`; they are compared within one \
pod's env, one ConfigMap or one Secret. A server variable that names its account by itself is compared with that \
account (`root` for `MYSQL_ROOT_PASSWORD`, `postgres` for `POSTGRES_PASSWORD`, `elastic` for `ELASTIC_PASSWORD`).\n\n\
Findings show the location and a short keyed fingerprint of the value (`hmac:` and 12 hex digits), never the value.",
    check,
};

fn check(a: &Analysis<'_>, sink: &mut Sink<'_>) {
    let inv = a.inventory();
    for leak in &a.calls().leaks {
        let (subj, where_) = match leak.owner {
            LeakOwner::Workload(wi) => {
                let w = &a.workloads()[wi];
                (workload_subject(w), format!("{} (`{}`)", w.display(), leak.name))
            }
            LeakOwner::ConfigMap(ci) => {
                let c = &inv.config_maps[ci];
                (
                    subject("ConfigMap", c.meta.namespace.as_deref(), &c.meta.name),
                    format!("ConfigMap {}/{} key `{}`", c.meta.ns(), c.meta.name, leak.name),
                )
            }
            LeakOwner::Proxy(pi) => {
                let p = &inv.proxies[pi];
                let subj = proxy_subject(p);
                let what = format!("{subj} ({})", leak.name);
                (subj, what)
            }
        };
        sink.push(Hit {
            severity: Severity::High,
            subject: subj,
            // Named by where the value is, not by its fingerprint (which changes with the key).
            key: format!("{}#{}", leak.name, leak.shape),
            message: format!(
                "{where_} holds a {} in clear text (fingerprint {}){}.",
                leak.shape,
                leak.fingerprint,
                leak.weakness.as_ref().map_or(String::new(), |w| format!("; {}", w.describe()))
            ),
            evidence: vec![leak.source.clone()],
            paths: Vec::new(),
        });
    }
    for s in &inv.secrets {
        if s.secret_type.starts_with("helm.sh/release") {
            continue;
        }
        let real: Vec<_> = s.entries.iter().filter(|e| e.has_value).collect();
        if real.is_empty() {
            continue;
        }
        let keys: Vec<String> = real
            .iter()
            .map(|e| {
                format!("`{}` ({})", e.key, e.fingerprint.as_ref().map_or("-".to_owned(), |f| f.0.clone()))
            })
            .collect();
        // Guessable values: a well-known default, or a password equal to its user name.
        let neighbours: Neighbours = real
            .iter()
            .filter_map(|e| e.fingerprint.as_ref().map(|f| (normalise(&e.key), (e.key.clone(), f.0.clone()))))
            .collect();
        let weak: Vec<String> = real
            .iter()
            .filter(|e| credential_name(&e.key))
            .filter_map(|e| {
                let f = e.fingerprint.as_ref()?;
                let w = weakness(&e.key, &f.0, e.well_known_default, &neighbours)?;
                Some(format!("`{}`: {}", e.key, w.describe()))
            })
            .collect();
        sink.push(Hit {
            severity: if weak.is_empty() { Severity::Medium } else { Severity::High },
            subject: subject("Secret", s.meta.namespace.as_deref(), &s.meta.name),
            key: String::new(),
            message: format!(
                "Secret {}/{} ({}) is committed with values for {}{}.",
                s.meta.ns(),
                s.meta.name,
                s.secret_type,
                keys.join(", "),
                if weak.is_empty() { String::new() } else { format!("; {}", weak.join("; ")) }
            ),
            evidence: real.iter().map(|e| s.meta.source.at(e.line)).collect(),
            paths: Vec::new(),
        });
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_page_lists_every_well_known_default() {
        for d in ztpath_probes::k8s::WELL_KNOWN_DEFAULTS {
            assert!(super::RULE.detects.contains(&format!("`{d}`")), "{d} is missing from the ZT005 page");
        }
    }
}
