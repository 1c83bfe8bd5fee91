//! ARN helpers shared by the IAM model and its trust policies.

/// The account id in an ARN (`arn:aws:iam::123456789012:role/x`), or a bare 12-digit id.
pub fn account_of(arn_or_id: &str) -> Option<&str> {
    if arn_or_id.len() == 12 && arn_or_id.bytes().all(|b| b.is_ascii_digit()) {
        return Some(arn_or_id);
    }
    arn_or_id.split(':').nth(4).filter(|a| !a.is_empty())
}
