//! A hand-built TLS 1.2 ClientHello that offers only cipher suites without forward secrecy (RSA
//! key exchange, which rustls does not implement), read up to the server's choice. The
//! connection is dropped after the ServerHello: no key is exchanged.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// RSA key-exchange suites, with their IANA names.
const SUITES: &[(u16, &str)] = &[
    (0x009c, "TLS_RSA_WITH_AES_128_GCM_SHA256"),
    (0x009d, "TLS_RSA_WITH_AES_256_GCM_SHA384"),
    (0x003c, "TLS_RSA_WITH_AES_128_CBC_SHA256"),
    (0x003d, "TLS_RSA_WITH_AES_256_CBC_SHA256"),
    (0x002f, "TLS_RSA_WITH_AES_128_CBC_SHA"),
    (0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA"),
    (0x000a, "TLS_RSA_WITH_3DES_EDE_CBC_SHA"),
];

/// The non-forward-secret suite the server picks, `None` when it refuses them all (or the
/// answer is not a ServerHello).
pub(super) async fn non_forward_secret(
    addr: SocketAddr,
    sni: Option<&str>,
    timeout: Duration,
) -> Option<&'static str> {
    let hello = client_hello(sni);
    let exchange = async {
        let mut tcp = tokio::net::TcpStream::connect(addr).await.ok()?;
        tcp.write_all(&hello).await.ok()?;
        let mut header = [0u8; 5];
        tcp.read_exact(&mut header).await.ok()?;
        if header[0] != 0x16 {
            return None;
        }
        let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
        // type(1) len(3) version(2) random(32) session id length(1), then the id and the suite.
        let mut body = vec![0u8; len.min(512)];
        tcp.read_exact(&mut body).await.ok()?;
        if body.first() != Some(&0x02) || body.len() < 39 {
            return None;
        }
        let sid = usize::from(body[38]);
        let at = 39 + sid;
        let suite = u16::from_be_bytes([*body.get(at)?, *body.get(at + 1)?]);
        SUITES.iter().find(|(id, _)| *id == suite).map(|(_, name)| *name)
    };
    tokio::time::timeout(timeout, exchange).await.ok().flatten()
}

fn client_hello(sni: Option<&str>) -> Vec<u8> {
    let mut random = [0u8; 32];
    let _ = getrandom::fill(&mut random);
    let mut body = Vec::with_capacity(128);
    body.extend_from_slice(&[0x03, 0x03]);
    body.extend_from_slice(&random);
    body.push(0); // no session id
    put_u16(&mut body, SUITES.len() * 2);
    for (id, _) in SUITES {
        body.extend_from_slice(&id.to_be_bytes());
    }
    body.extend_from_slice(&[1, 0]); // null compression only
    let mut ext = Vec::new();
    if let Some(name) = sni.filter(|n| n.parse::<std::net::IpAddr>().is_err() && n.len() < 256) {
        let mut list = vec![0u8];
        put_u16(&mut list, name.len());
        list.extend_from_slice(name.as_bytes());
        let mut sn = Vec::new();
        put_u16(&mut sn, list.len());
        sn.extend_from_slice(&list);
        put_u16(&mut ext, 0x0000);
        put_u16(&mut ext, sn.len());
        ext.extend_from_slice(&sn);
    }
    // signature_algorithms: rsa_pss_rsae_sha256/384, rsa_pkcs1_sha256/384/512.
    let algs: [u16; 5] = [0x0804, 0x0805, 0x0401, 0x0501, 0x0601];
    put_u16(&mut ext, 0x000d);
    put_u16(&mut ext, 2 + algs.len() * 2);
    put_u16(&mut ext, algs.len() * 2);
    for a in algs {
        ext.extend_from_slice(&a.to_be_bytes());
    }
    // renegotiation_info (empty): some servers insist on it.
    ext.extend_from_slice(&[0xff, 0x01, 0x00, 0x01, 0x00]);
    put_u16(&mut body, ext.len());
    body.extend_from_slice(&ext);

    let mut handshake = vec![0x01];
    let len = u32::try_from(body.len()).unwrap_or(0).to_be_bytes();
    handshake.extend_from_slice(&len[1..]);
    handshake.extend_from_slice(&body);
    let mut record = vec![0x16, 0x03, 0x01];
    put_u16(&mut record, handshake.len());
    record.extend_from_slice(&handshake);
    record
}

fn put_u16(out: &mut Vec<u8>, n: usize) {
    out.extend_from_slice(&u16::try_from(n).unwrap_or(u16::MAX).to_be_bytes());
}
