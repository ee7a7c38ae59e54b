//! Outgoing mail as the domain sees it: who, what, in text and HTML. Transport is an adapter.

use serde::{Deserialize, Serialize};

/// A rendered mail ready to be handed to a [`crate::ports::Mailer`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutgoingMail {
    /// Recipient address (already validated and normalised).
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body; always present so every client can read it.
    pub text: String,
    /// HTML body.
    pub html: String,
}
