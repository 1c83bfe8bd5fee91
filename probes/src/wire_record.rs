//! A recorded live TLS observation: a `TlsObservation` document (`apiVersion: ztpath.dev/v1alpha1`)
//! says what the wire showed at one endpoint, so that a scan can compare an estate with a probe
//! made earlier or elsewhere, and the wire rules have fixtures. The fields are those of the
//! JSON `tls[]` entries in camelCase (docs/tls.md):
//!
//! ```yaml
//! apiVersion: ztpath.dev/v1alpha1
//! kind: TlsObservation
//! metadata: {name: api}
//! spec:
//!   target: api.shop.svc:8443
//!   mapsTo: Deployment/shop/api
//!   tls: true
//!   version: TLSv1.3
//!   clientAuth: optional
//!   certificates:
//!   - {subject: CN=api, issuer: CN=mesh-ca, uriSans: ["spiffe://cluster.local/ns/shop/sa/api"],
//!      notBefore: 2026-11-24T00:00:00Z, notAfter: 2026-11-25T00:00:00Z}
//! ```

use crate::inventory::{
    CertificateInfo, ClientAuth, Diagnostic, EstateRef, KeyInfo, ObjectMeta, RawInventory, TlsObservation,
    TlsVersion,
};
use crate::yaml::Node;

/// Reads one document; a malformed one gives a diagnostic with its line.
pub(crate) fn read(node: &Node, meta: &ObjectMeta, inventory: &mut RawInventory) -> bool {
    let spec = node.field("spec");
    let at = |n: &Node| meta.source.at(if n.line == 0 { meta.source.line } else { n.line });
    let mut problem = |n: &Node, reason: &str| {
        inventory.diagnostics.push(Diagnostic { source: at(n), reason: reason.to_owned() });
    };
    let target = spec.field("target");
    let Some(text) = target.string() else {
        problem(spec, "a TlsObservation needs `spec.target` (host:port)");
        return true;
    };
    let Some((host, port)) = text.rsplit_once(':').and_then(|(h, p)| Some((h, p.parse::<u16>().ok()?)))
    else {
        problem(target, "`spec.target` is not host:port");
        return true;
    };
    let mut o = TlsObservation {
        target: text.clone(),
        host: host.trim_matches(['[', ']']).to_owned(),
        port,
        sni: spec.field("sni").string(),
        address: spec.field("address").string(),
        tls: spec.field("tls").as_bool(),
        cipher: spec.field("cipher").string(),
        alpn: spec.field("alpn").string(),
        tls12_accepted: spec.field("tls12Accepted").as_bool(),
        non_forward_secret_cipher: spec.field("nonForwardSecretCipher").string(),
        verified: spec.field("verified").as_bool(),
        trusted: spec.field("trusted").as_bool(),
        name_valid: spec.field("nameValid").as_bool(),
        source: Some(at(node)),
        ..TlsObservation::default()
    };
    o.version = match spec.field("version").string().as_deref() {
        None => None,
        Some("TLSv1.3") => Some(TlsVersion::Tls13),
        Some("TLSv1.2") => Some(TlsVersion::Tls12),
        Some(_) => {
            problem(spec.field("version"), "`spec.version` is not TLSv1.2 or TLSv1.3");
            None
        }
    };
    o.client_auth = match spec.field("clientAuth").string().as_deref() {
        None => None,
        Some("required") => Some(ClientAuth::Required),
        Some("optional") => Some(ClientAuth::Optional),
        Some("not-requested") => Some(ClientAuth::NotRequested),
        Some(_) => {
            problem(spec.field("clientAuth"), "`spec.clientAuth` is not required, optional or not-requested");
            None
        }
    };
    let maps = spec.field("mapsTo");
    if let Some(m) = maps.string() {
        let pieces: Vec<&str> = m.split('/').collect();
        o.maps_to = match pieces.as_slice() {
            [kind, name] => {
                Some(EstateRef { kind: (*kind).to_owned(), namespace: None, name: (*name).to_owned() })
            }
            [kind, ns, name] => Some(EstateRef {
                kind: (*kind).to_owned(),
                namespace: Some((*ns).to_owned()),
                name: (*name).to_owned(),
            }),
            _ => {
                problem(maps, "`spec.mapsTo` is not Kind/namespace/name");
                None
            }
        };
    }
    for c in spec.field("certificates").items() {
        let time = |key: &str| c.field(key).string().as_deref().and_then(unix_seconds);
        let (Some(not_before), Some(not_after)) = (time("notBefore"), time("notAfter")) else {
            problem(c, "a certificate needs `notBefore` and `notAfter` as YYYY-MM-DDTHH:MM:SSZ");
            continue;
        };
        o.certificates.push(CertificateInfo {
            subject: c.field("subject").string().unwrap_or_default(),
            issuer: c.field("issuer").string().unwrap_or_default(),
            serial: c.field("serial").string().unwrap_or_default(),
            dns_sans: c.field("dnsSans").strings(),
            ip_sans: c.field("ipSans").strings(),
            uri_sans: c.field("uriSans").strings(),
            not_before,
            not_after,
            key: KeyInfo { algorithm: c.field("key").string().unwrap_or_default(), bits: None, curve: None },
            signature_algorithm: c.field("signatureAlgorithm").string().unwrap_or_default(),
            self_signed: c.field("selfSigned").as_bool().unwrap_or(false),
            is_ca: c.field("isCa").as_bool().unwrap_or(false),
        });
    }
    inventory.tls.push(o);
    true
}

/// Unix seconds of `YYYY-MM-DDTHH:MM:SSZ` (or a bare date).
fn unix_seconds(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> { text.get(r)?.parse().ok() };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') || !(1..=12).contains(&m) || !(1..=31).contains(&d)
    {
        return None;
    }
    let (h, mi, s) = if text.len() == 10 {
        (0, 0, 0)
    } else {
        if text.len() != 20 || !matches!(b[10], b'T' | b't') || !matches!(b[19], b'Z' | b'z') {
            return None;
        }
        (num(11..13)?, num(14..16)?, num(17..19)?)
    };
    if h > 23 || mi > 59 || s > 60 {
        return None;
    }
    // Days from the civil date (proleptic Gregorian), counted from 0000-03-01.
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    Some(days * 86_400 + h * 3600 + mi * 60 + s)
}

#[cfg(test)]
mod tests {
    #[test]
    fn times() {
        assert_eq!(super::unix_seconds("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(super::unix_seconds("2026-11-25"), Some(1_795_564_800));
        assert_eq!(super::unix_seconds("2026-11-25T00:00:01Z"), Some(1_795_564_801));
        assert_eq!(super::unix_seconds("2026-13-25"), None);
        assert_eq!(super::unix_seconds("soon"), None);
    }

    #[test]
    fn a_recorded_observation_is_read() {
        let text = "apiVersion: ztpath.dev/v1alpha1\nkind: TlsObservation\nmetadata: {name: a}\nspec:\n  target: a.example:443\n  mapsTo: Deployment/shop/api\n  clientAuth: optional\n  certificates:\n  - {subject: CN=a, notBefore: 2026-11-01T00:00:00Z, notAfter: 2026-11-02T00:00:00Z}\n";
        let inv = crate::read_text("o.yaml", text);
        assert_eq!(inv.tls.len(), 1, "{:?}", inv.diagnostics);
        let o = &inv.tls[0];
        assert_eq!(o.port, 443);
        assert_eq!(o.client_auth, Some(crate::ClientAuth::Optional));
        assert_eq!(o.certificates[0].lifetime_seconds(), 86_400);
        assert_eq!(o.source.as_ref().map(|s| s.line), Some(1));
    }
}
