use std::{sync::Arc, time::Duration};

use agora_adapters::platform::{SqlConsumerLedger, SqlOutbox};
use agora_app::platform::DeadLetters;
use agora_domain::{
    paging::PageRequest,
    ports::{ConsumerLedger, Outbox, UnitOfWork},
};

use crate::{
    cli::{EventsAction, EventsArgs},
    config::Config,
};

pub(super) async fn run(config: &Config, args: &EventsArgs) -> anyhow::Result<()> {
    let db = super::migrate::connect(config).await?;
    let outbox = SqlOutbox::new(db.clone());
    let dead_letters = DeadLetters::new(
        Arc::new(SqlConsumerLedger::new(db.clone())) as Arc<dyn ConsumerLedger>,
        Arc::new(outbox.clone()) as Arc<dyn Outbox>,
        Arc::new(db.clone()) as Arc<dyn UnitOfWork>,
    );
    let outcome = match args.action {
        EventsAction::Dead { limit } => dead(&dead_letters, limit).await,
        EventsAction::Replay { id } => {
            let dead = dead_letters
                .replay_unchecked(id)
                .await
                .map_err(|e| match e {
                    agora_app::AppError::NotFound => anyhow::anyhow!("no dead letter {id}"),
                    other => other.into(),
                });
            dead.map(|dead| {
                println!(
                    "replaying {} {} for consumer {}: queued in the outbox, a running relay publishes it",
                    dead.event.event_type, dead.event.id, dead.consumer
                );
            })
        }
        EventsAction::Tail => tail(&outbox).await,
    };
    db.close().await;
    outcome
}

async fn dead(dead_letters: &DeadLetters, limit: u32) -> anyhow::Result<()> {
    let page = dead_letters
        .list_unchecked(PageRequest {
            page: 1,
            limit: limit.clamp(1, 1000),
        })
        .await?;
    if page.items.is_empty() {
        println!("no dead letters");
    }
    for dead in &page.items {
        println!(
            "{}  {}  {} {}  attempts={}  {}  {}",
            dead.id,
            dead.consumer,
            dead.event.event_type,
            dead.event.id,
            dead.attempts,
            dead.dead_at.to_rfc3339(),
            dead.last_error
        );
    }
    if page.total > page.items.len() as u64 {
        println!("({} of {} shown)", page.items.len(), page.total);
    }
    Ok(())
}

/// Follows the outbox rather than the bus: every event passes through it whatever the bus, and
/// reading it takes nothing from any consumer group.
async fn tail(outbox: &SqlOutbox) -> anyhow::Result<()> {
    let mut after = uuid::Uuid::now_v7();
    let shutdown = crate::shutdown_signal();
    tokio::pin!(shutdown);
    loop {
        for (id, event) in outbox.events_after(after, 500).await? {
            println!("{}", serde_json::to_string(&event)?);
            after = id;
        }
        tokio::select! {
            () = &mut shutdown => return Ok(()),
            () = tokio::time::sleep(Duration::from_millis(200)) => {}
        }
    }
}
