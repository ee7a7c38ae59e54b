//! The identity context's events (API.md "Events"). Their `type` and `data` are the wire
//! contract: change a shape only with a new version.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::event::DomainEvent;

/// Facts of the identity context, published through the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum IdentityEvent {
    /// An account was created (registration or an operator's `agora user create`).
    #[serde(rename = "user.created")]
    UserCreated {
        /// The user.
        id: Uuid,
        /// The address the account was registered with (lower-cased).
        email: String,
    },
    /// A user confirmed their email address.
    #[serde(rename = "user.verified")]
    UserVerified {
        /// The user.
        id: Uuid,
    },
    /// A password reset was requested for an existing, enabled account.
    #[serde(rename = "user.password_reset_requested")]
    PasswordResetRequested {
        /// The user.
        id: Uuid,
    },
}

impl DomainEvent for IdentityEvent {
    fn version(&self) -> u32 {
        1
    }

    fn aggregate_id(&self) -> Uuid {
        match self {
            Self::UserCreated { id, .. }
            | Self::UserVerified { id }
            | Self::PasswordResetRequested { id } => *id,
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::event::{EventDecodeError, EventEnvelope};

    fn through_the_wire(event: &IdentityEvent) -> EventEnvelope {
        let envelope = EventEnvelope::wrap(event).unwrap();
        let text = serde_json::to_string(&envelope).unwrap();
        serde_json::from_str(&text).unwrap()
    }

    #[test]
    fn every_event_roundtrips_through_its_envelope() {
        let id = Uuid::now_v7();
        for event in [
            IdentityEvent::UserCreated {
                id,
                email: "ada@example.com".into(),
            },
            IdentityEvent::UserVerified { id },
            IdentityEvent::PasswordResetRequested { id },
        ] {
            let envelope = through_the_wire(&event);
            assert_eq!(envelope.aggregate_id, id);
            assert_eq!(envelope.version, 1);
            assert_eq!(envelope.decode::<IdentityEvent>().unwrap(), event);
        }
    }

    #[test]
    fn the_wire_shapes_are_those_of_the_api_contract() {
        let id = Uuid::now_v7();
        let created = EventEnvelope::wrap(&IdentityEvent::UserCreated {
            id,
            email: "ada@example.com".into(),
        })
        .unwrap();
        let wire = serde_json::to_value(&created).unwrap();
        assert_eq!(wire["type"], "user.created");
        assert_eq!(wire["version"], 1);
        assert_eq!(wire["aggregateId"], json!(id));
        assert_eq!(
            wire["data"],
            json!({ "id": id, "email": "ada@example.com" })
        );
        for (event, name) in [
            (IdentityEvent::UserVerified { id }, "user.verified"),
            (
                IdentityEvent::PasswordResetRequested { id },
                "user.password_reset_requested",
            ),
        ] {
            let envelope = EventEnvelope::wrap(&event).unwrap();
            assert_eq!(envelope.event_type, name);
            assert_eq!(envelope.data, json!({ "id": id }));
        }
    }

    #[test]
    fn an_unknown_version_or_type_does_not_decode() {
        let id = Uuid::now_v7();
        let mut envelope = EventEnvelope::wrap(&IdentityEvent::UserVerified { id }).unwrap();
        envelope.version = 2;
        assert!(matches!(
            envelope.decode::<IdentityEvent>(),
            Err(EventDecodeError::Version { found: 2, .. })
        ));
        let other = EventEnvelope::new("order.placed", id, json!({ "id": id }));
        assert!(matches!(
            other.decode::<IdentityEvent>(),
            Err(EventDecodeError::Shape(_))
        ));
    }
}
