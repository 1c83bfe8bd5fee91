//! Certificate fields, parsed with x509-parser. Text fields come from the certificate, an
//! attacker's input: control and other unsafe characters are escaped before they are kept.

use std::fmt::Write as _;

use x509_parser::prelude::{FromDer, GeneralName, ParsedExtension, X509Certificate, X509Name};
use x509_parser::public_key::PublicKey;

use crate::inventory::{CertificateInfo, KeyInfo};

/// The fields of one DER certificate; `None` when it does not parse.
pub(super) fn parse(der: &[u8]) -> Option<CertificateInfo> {
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    let mut info = CertificateInfo {
        subject: clean(&cert.subject().to_string()),
        issuer: clean(&cert.issuer().to_string()),
        serial: hex::encode(cert.raw_serial()),
        not_before: cert.validity().not_before.timestamp(),
        not_after: cert.validity().not_after.timestamp(),
        key: key_info(&cert),
        signature_algorithm: signature_name(&cert.signature_algorithm.algorithm.to_id_string()),
        is_ca: cert.is_ca(),
        ..CertificateInfo::default()
    };
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for name in &san.value.general_names {
            match name {
                GeneralName::DNSName(d) => info.dns_sans.push(clean(d)),
                GeneralName::URI(u) => info.uri_sans.push(clean(u)),
                GeneralName::IPAddress(bytes) => {
                    if let Some(ip) = ip_of(bytes) {
                        info.ip_sans.push(ip);
                    }
                }
                _ => {}
            }
        }
    }
    let mut subject_key = None;
    let mut authority_key = None;
    for ext in cert.extensions() {
        match ext.parsed_extension() {
            ParsedExtension::SubjectKeyIdentifier(k) => subject_key = Some(k.0.to_vec()),
            ParsedExtension::AuthorityKeyIdentifier(a) => {
                authority_key = a.key_identifier.as_ref().map(|k| k.0.to_vec());
            }
            _ => {}
        }
    }
    let same_keys = match (&subject_key, &authority_key) {
        (Some(s), Some(a)) => s == a,
        _ => true,
    };
    info.self_signed = cert.subject().as_raw() == cert.issuer().as_raw() && same_keys;
    Some(info)
}

/// A CA name of a CertificateRequest (DER X.501 Name, with or without its outer SEQUENCE).
pub(super) fn distinguished_name(der: &[u8]) -> String {
    if let Ok((_, name)) = X509Name::from_der(der) {
        return clean(&name.to_string());
    }
    let mut wrapped = vec![0x30];
    let len = der.len();
    if len < 0x80 {
        wrapped.push(u8::try_from(len).unwrap_or(0));
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        wrapped.push(0x80 | u8::try_from(bytes.len() - skip).unwrap_or(0));
        wrapped.extend_from_slice(&bytes[skip..]);
    }
    wrapped.extend_from_slice(der);
    match X509Name::from_der(&wrapped) {
        Ok((_, name)) => clean(&name.to_string()),
        Err(_) => "(unparsable name)".to_owned(),
    }
}

fn key_info(cert: &X509Certificate<'_>) -> KeyInfo {
    let spki = cert.public_key();
    let oid = spki.algorithm.algorithm.to_id_string();
    let curve = spki
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.as_oid().ok())
        .and_then(|o| match o.to_id_string().as_str() {
            "1.2.840.10045.3.1.7" => Some("P-256"),
            "1.3.132.0.34" => Some("P-384"),
            "1.3.132.0.35" => Some("P-521"),
            _ => None,
        })
        .map(str::to_owned);
    let (algorithm, bits) = match spki.parsed() {
        Ok(PublicKey::RSA(rsa)) => ("RSA".to_owned(), u32::try_from(rsa.key_size()).ok()),
        Ok(PublicKey::EC(ec)) => ("EC".to_owned(), u32::try_from(ec.key_size()).ok()),
        _ => match oid.as_str() {
            "1.3.101.112" => ("Ed25519".to_owned(), Some(256)),
            "1.3.101.113" => ("Ed448".to_owned(), Some(456)),
            _ => (oid, None),
        },
    };
    KeyInfo { algorithm, bits, curve }
}

fn signature_name(oid: &str) -> String {
    match oid {
        "1.2.840.10045.4.3.2" => "ecdsa-with-SHA256",
        "1.2.840.10045.4.3.3" => "ecdsa-with-SHA384",
        "1.2.840.10045.4.3.4" => "ecdsa-with-SHA512",
        "1.2.840.113549.1.1.5" => "sha1WithRSAEncryption",
        "1.2.840.113549.1.1.11" => "sha256WithRSAEncryption",
        "1.2.840.113549.1.1.12" => "sha384WithRSAEncryption",
        "1.2.840.113549.1.1.13" => "sha512WithRSAEncryption",
        "1.2.840.113549.1.1.10" => "rsassaPss",
        "1.3.101.112" => "Ed25519",
        "1.3.101.113" => "Ed448",
        other => return other.to_owned(),
    }
    .to_owned()
}

fn ip_of(bytes: &[u8]) -> Option<String> {
    match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes).ok().map(|b| std::net::Ipv4Addr::from(b).to_string()),
        16 => <[u8; 16]>::try_from(bytes).ok().map(|b| std::net::Ipv6Addr::from(b).to_string()),
        _ => None,
    }
}

/// Text from a certificate with control characters (and the other characters a terminal must
/// not see) written as `\u{..}`.
pub(super) fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control()
            || matches!(c, '\u{200e}' | '\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(super::clean("CN=a\u{1b}[31m\nb"), "CN=a\\u{1b}[31m\\u{a}b");
        assert_eq!(super::clean("CN=plain"), "CN=plain");
    }
}
