//! Live TLS observations in the Report: [`endpoint`] turns what the prober saw into the
//! Report's [`TlsEndpoint`], with days left counted from the reference date.

use ztpath_probes::{CertificateInfo, Refusal, TlsObservation};
use ztpath_reports::tls::{TlsCertificate, TlsEndpoint};

/// Seconds in a day.
pub const DAY: i64 = 86_400;

/// The Report's view of one observation; `today` is the reference day (days since 1970).
pub fn endpoint(o: &TlsObservation, today: i64) -> TlsEndpoint {
    TlsEndpoint {
        target: o.target.clone(),
        address: o.address.clone(),
        tls: o.tls,
        version: o.version.map(|v| v.as_str().to_owned()),
        cipher: o.cipher.clone(),
        alpn: o.alpn.clone(),
        tls12_accepted: o.tls12_accepted,
        non_forward_secret_cipher: o.non_forward_secret_cipher.clone(),
        client_auth: o.client_auth.map(|c| c.as_str().to_owned()),
        refusal: o.refusal.map(refusal_text),
        ca_names: o.ca_names.clone(),
        certificates: o.certificates.iter().map(|c| certificate(c, today)).collect(),
        verified: o.verified,
        trusted: o.trusted,
        name_valid: o.name_valid,
        client_cert_accepted: o.client_cert_accepted,
        maps_to: o.maps_to.as_ref().map(|m| ztpath_reports::Subject {
            kind: m.kind.clone(),
            namespace: m.namespace.clone(),
            name: m.name.clone(),
        }),
        error: o.error.clone(),
    }
}

/// `alert 116 (certificate_required)`, `closed`, `http 400`.
pub fn refusal_text(r: Refusal) -> String {
    match r {
        Refusal::Alert(code) => match alert_name(code) {
            Some(name) => format!("alert {code} ({name})"),
            None => format!("alert {code}"),
        },
        Refusal::Closed => "closed".to_owned(),
        Refusal::Http(status) => format!("http {status}"),
    }
}

fn alert_name(code: u8) -> Option<&'static str> {
    Some(match code {
        40 => "handshake_failure",
        42 => "bad_certificate",
        45 => "certificate_expired",
        46 => "certificate_unknown",
        48 => "unknown_ca",
        49 => "access_denied",
        116 => "certificate_required",
        _ => return None,
    })
}

fn certificate(c: &CertificateInfo, today: i64) -> TlsCertificate {
    let key = match (&c.key.curve, c.key.bits) {
        (Some(curve), _) => format!("{} {curve}", c.key.algorithm),
        (None, Some(bits)) if c.key.algorithm == "RSA" => format!("RSA {bits}"),
        _ => c.key.algorithm.clone(),
    };
    TlsCertificate {
        subject: c.subject.clone(),
        issuer: c.issuer.clone(),
        serial: c.serial.clone(),
        dns_sans: c.dns_sans.clone(),
        ip_sans: c.ip_sans.clone(),
        uri_sans: c.uri_sans.clone(),
        not_before: timestamp(c.not_before),
        not_after: timestamp(c.not_after),
        lifetime_days: c.lifetime_seconds().div_euclid(DAY),
        lifetime_hours: c.lifetime_seconds().div_euclid(3600),
        days_left: c.not_after.saturating_sub(today.saturating_mul(DAY)).div_euclid(DAY),
        key,
        signature_algorithm: c.signature_algorithm.clone(),
        self_signed: c.self_signed,
        is_ca: c.is_ca,
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` of Unix seconds.
pub fn timestamp(seconds: i64) -> String {
    let rest = seconds.rem_euclid(DAY);
    let day = crate::dates::format_day(seconds.div_euclid(DAY));
    format!("{day}T{:02}:{:02}:{:02}Z", rest / 3600, rest % 3600 / 60, rest % 60)
}

#[cfg(test)]
mod tests {
    #[test]
    fn timestamps() {
        assert_eq!(super::timestamp(0), "1970-01-01T00:00:00Z");
        let day = crate::dates::days_from_civil(2026, 11, 25);
        assert_eq!(super::timestamp(day * super::DAY + 3661), "2026-11-25T01:01:01Z");
        let leap = crate::dates::days_from_civil(2024, 2, 29);
        assert_eq!(super::timestamp(leap * super::DAY), "2024-02-29T00:00:00Z");
    }
}
