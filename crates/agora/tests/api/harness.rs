//! The harness itself: the fakes a test reads are the ones the running modules use.

use agora_domain::{event::EventEnvelope, mail::OutgoingMail};

use crate::{both_backends, support::TestApp};

async fn the_recording_fakes_are_the_ports_the_app_uses(app: TestApp) {
    let mail = OutgoingMail {
        to: "ann@example.org".into(),
        subject: "Hello".into(),
        text: "plain".into(),
        html: "<p>html</p>".into(),
    };
    app.ports.mailer.send(&mail).await.unwrap();
    assert_eq!(app.mailer.sent_to("ann@example.org"), vec![mail]);

    let event = EventEnvelope::new(
        "user.created",
        uuid::Uuid::now_v7(),
        serde_json::json!({"id": 1}),
    );
    app.ports.bus.publish(&event).await.unwrap();
    assert_eq!(app.bus.published_of("user.created"), vec![event]);
}

both_backends!(the_recording_fakes_are_the_ports_the_app_uses);
