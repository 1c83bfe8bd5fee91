//! The IAM credential report: CSV text (and the base64 CSV inside the `get-credential-report`
//! JSON).

use super::fields::src;

use crate::inventory::Diagnostic;
use crate::inventory::aws::*;
use crate::yaml::Node;
use std::sync::Arc;

/// True when a file looks like a credential report: named `credential_report.csv` or starting
/// with the report's header.
pub fn is_credential_report(file: &str, text: &str) -> bool {
    file.rsplit(['/', '\\']).next() == Some("credential_report.csv")
        || text.trim_start_matches('\u{feff}').starts_with("user,arn,user_creation_time")
}

/// Reads a credential report (CSV text, header first). Columns are found by name, so older and
/// newer reports with more or fewer columns are read alike. Rows with a different number of cells
/// than the header are reported and skipped; a text without `user` and `arn` columns gives one
/// diagnostic and no rows (check [`is_credential_report`] first when guessing).
pub fn read_credential_report(file: &str, text: &str) -> (Vec<CredentialReportRow>, Vec<Diagnostic>) {
    read_report_lines(&Arc::from(file), text, None)
}

/// Reads the JSON that `aws iam get-credential-report` prints (`Content`, `ReportFormat`), the
/// content being either the CSV text or its base64 encoding. `None` when the document is not such
/// a wrapper.
pub fn read_credential_report_json(
    node: &Node,
    file: &Arc<str>,
) -> Option<(Vec<CredentialReportRow>, Vec<Diagnostic>)> {
    let content = node.field("Content");
    let text = content.string()?;
    let format = node.field("ReportFormat").string();
    if format.as_deref().is_some_and(|f| f != "text/csv") {
        return None;
    }
    let csv = if is_credential_report("", &text) {
        text
    } else {
        let decoded = base64_decode(&text).and_then(|b| String::from_utf8(b).ok())?;
        if !is_credential_report("", &decoded) {
            return None;
        }
        decoded
    };
    Some(read_report_lines(file, &csv, Some(content.line)))
}

pub(super) fn read_report_lines(
    file: &Arc<str>,
    text: &str,
    fixed_line: Option<u32>,
) -> (Vec<CredentialReportRow>, Vec<Diagnostic>) {
    let mut rows = Vec::new();
    let mut diags = Vec::new();
    let mut lines =
        text.trim_start_matches('\u{feff}').lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
    let line_of = |i: usize| fixed_line.unwrap_or(u32::try_from(i + 1).unwrap_or(u32::MAX));
    let Some((header_index, header)) = lines.next() else { return (rows, diags) };
    let header: Vec<String> = split_csv(header).into_iter().map(|h| h.trim().to_owned()).collect();
    let col = |name: &str| header.iter().position(|h| h == name);
    let (Some(user_col), Some(arn_col)) = (col("user"), col("arn")) else {
        diags.push(Diagnostic {
            source: src(file, line_of(header_index)),
            reason: "credential report without `user` and `arn` columns".to_owned(),
        });
        return (rows, diags);
    };
    for (i, line) in lines {
        let cells = split_csv(line);
        if cells.len() != header.len() {
            diags.push(Diagnostic {
                source: src(file, line_of(i)),
                reason: format!(
                    "credential report row has {} cells, the header {}; skipped",
                    cells.len(),
                    header.len()
                ),
            });
            continue;
        }
        let cell = |name: &str| -> Option<String> {
            let v = cells.get(col(name)?)?.trim();
            (!v.is_empty() && v != "N/A").then(|| v.to_owned())
        };
        let flag = |name: &str| cell(name).is_some_and(|v| v.eq_ignore_ascii_case("true"));
        let key = |n: u8| AccessKeyReport {
            active: flag(&format!("access_key_{n}_active")),
            last_rotated: cell(&format!("access_key_{n}_last_rotated")),
            last_used_date: cell(&format!("access_key_{n}_last_used_date")),
            last_used_region: cell(&format!("access_key_{n}_last_used_region")),
            last_used_service: cell(&format!("access_key_{n}_last_used_service")),
        };
        rows.push(CredentialReportRow {
            user: cells[user_col].trim().to_owned(),
            arn: cells[arn_col].trim().to_owned(),
            user_creation_time: cell("user_creation_time"),
            password_enabled: cell("password_enabled"),
            password_last_used: cell("password_last_used"),
            mfa_active: flag("mfa_active"),
            access_keys: [key(1), key(2)],
            certs_active: [flag("cert_1_active"), flag("cert_2_active")],
            source: src(file, line_of(i)),
        });
    }
    (rows, diags)
}

/// Splits one CSV line, honouring double quotes (`""` inside quotes is a quote).
pub(super) fn split_csv(line: &str) -> Vec<String> {
    let line = line.strip_suffix('\r').unwrap_or(line);
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cell.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => cells.push(std::mem::take(&mut cell)),
            _ => cell.push(c),
        }
    }
    cells.push(cell);
    cells
}

/// Standard base64 (padding optional, whitespace ignored), by the `base64` crate. `None` on a
/// bad character.
pub(super) fn base64_decode(text: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    // Padding optional (some tools drop it); the text may be wrapped over lines.
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_padding_mode(DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    );
    let compact: Vec<u8> = text.bytes().filter(|c| !c.is_ascii_whitespace()).collect();
    LENIENT.decode(compact).ok()
}
