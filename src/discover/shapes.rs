//! What gives a credential written in clear away: its shape. Rules decide on the variant; the
//! [`Display`](std::fmt::Display) form is for messages (and part of the ZT005 finding key, so it
//! must not change).

use std::fmt;

/// The shape of a leaked credential value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LeakShape {
    /// Any real value of a credential-named variable (`DB_PASSWORD: hunter2`).
    CredentialNamed,
    /// A literal equal to the value of a credential key of some Secret.
    SecretCopy,
    /// A password given on a server's command line (`--requirepass`).
    PasswordInArguments,
    /// The password of a URL's userinfo (`scheme://user:password@host`).
    PasswordInUrl,
    /// A token as a URL's user name (`https://<token>@host`).
    TokenInUrl,
    /// A PEM private key block.
    PemPrivateKey,
    /// An AWS access key id (`AKIA…`, `ASIA…`).
    AwsAccessKeyId,
    /// A GitHub token (`ghp_…`, `github_pat_…`).
    GitHubToken,
    /// A GitLab personal access token (`glpat-…`).
    GitLabToken,
    /// A Slack token (`xoxb-…`).
    SlackToken,
    /// A Stripe secret or restricted key (`sk_live_…`).
    StripeSecretKey,
    /// A Google API key (`AIza…`).
    GoogleApiKey,
    /// A SendGrid API key (`SG.…`).
    SendGridKey,
    /// A JSON Web Token.
    Jwt,
}

impl LeakShape {
    /// Found inside a URL (the fingerprint is the credential's, not the whole URL's).
    pub fn in_url(self) -> bool {
        matches!(self, LeakShape::PasswordInUrl | LeakShape::TokenInUrl)
    }

    /// The words for a message.
    pub fn as_str(self) -> &'static str {
        match self {
            LeakShape::CredentialNamed => "credential-named value",
            LeakShape::SecretCopy => "copy of a Secret value",
            LeakShape::PasswordInArguments => "password in arguments",
            LeakShape::PasswordInUrl => "password in URL",
            LeakShape::TokenInUrl => "token in URL",
            LeakShape::PemPrivateKey => "PEM private key",
            LeakShape::AwsAccessKeyId => "AWS access key id",
            LeakShape::GitHubToken => "GitHub token",
            LeakShape::GitLabToken => "GitLab token",
            LeakShape::SlackToken => "Slack token",
            LeakShape::StripeSecretKey => "Stripe secret key",
            LeakShape::GoogleApiKey => "Google API key",
            LeakShape::SendGridKey => "SendGrid key",
            LeakShape::Jwt => "JWT",
        }
    }
}

impl fmt::Display for LeakShape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
