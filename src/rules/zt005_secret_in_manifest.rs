//! ZT005: a credential value is written in a manifest.

use ztpath_reports::Severity;

use super::{Hit, Rule, Sink, proxy_subject, subject, workload_subject};
use crate::calls::LeakOwner;
use crate::engine::Analysis;

pub static RULE: Rule = Rule {
    id: "ZT005",
    name: "secret-in-manifest",
    title: "Credential value written in a manifest",
    severity: Severity::High,
    owasp_nhi: &["NHI2:2025"],
    nist_800_207: &["T6"],
    rationale: "A credential in a manifest is in every clone of the repository, every rendered chart, every CI log \
and every `kubectl get -o yaml`. Env literals and ConfigMaps are not even treated as secret by Kubernetes (they are \
readable by anyone with `get` on the object and shown in plain text). Base64 in a Secret manifest is an encoding, \
not encryption.",
    remediation: "Remove the value and rotate it: it must be considered compromised. Deliver secrets at run time \
from a secrets manager (External Secrets, Secrets Store CSI driver, Vault agent) or commit them only encrypted \
(Sealed Secrets, SOPS). Reference them with `secretKeyRef`, never as `value:` or ConfigMap data.",
    detects: "- An env `value:` or ConfigMap entry whose name looks like a credential (`*_PASSWORD`, `*_TOKEN`, \
`*_API_KEY`, …) with a real-looking value (not empty, not a placeholder such as `changeme`, `<…>`, `${VAR}`, \
`{{ … }}`; not a path or URL): **high**.\n\
- A value of a well-known credential format anywhere in env, args or ConfigMaps (AWS access key id, GitHub, \
GitLab, Slack, Stripe, Google API keys, PEM private keys, JWTs): **high**.\n\
- A password inside a URL (`scheme://user:password@host`), or a token as its user name, in env, args, \
ConfigMaps or a proxy's backend URL or address (nginx, HAProxy, Envoy, Istio): **high**.\n\
- A Secret manifest that carries real `data`/`stringData` values: **medium** (Helm release Secrets are skipped).\n\n\
Findings show the location and a short keyed fingerprint of the value (`hmac:` and 12 hex digits), never the value.",
    check,
};

fn check(a: &Analysis<'_>, sink: &mut Sink<'_>) {
    let inv = a.estate.inv;
    for leak in &a.calls.leaks {
        let (subj, where_) = match leak.owner {
            LeakOwner::Workload(wi) => {
                let w = &a.estate.workloads[wi];
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
                "{where_} holds a {} in clear text (fingerprint {}).",
                leak.shape, leak.fingerprint
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
        sink.push(Hit {
            severity: Severity::Medium,
            subject: subject("Secret", s.meta.namespace.as_deref(), &s.meta.name),
            key: String::new(),
            message: format!(
                "Secret {}/{} ({}) is committed with values for {}.",
                s.meta.ns(),
                s.meta.name,
                s.secret_type,
                keys.join(", ")
            ),
            evidence: real.iter().map(|e| s.meta.source.at(e.line)).collect(),
            paths: Vec::new(),
        });
    }
}
