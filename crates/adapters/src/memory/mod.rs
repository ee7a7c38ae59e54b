//! In-process adapters: the recording mailer and bus used by tests and by the embedded default
//! before the durable outbox takes over.

mod bus;
mod mailer;

pub use bus::MemoryBus;
pub use mailer::RecordingMailer;
