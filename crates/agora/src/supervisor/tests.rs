use std::sync::atomic::{AtomicUsize, Ordering};

use super::*;

async fn eventually(what: &str, condition: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn check(supervisor: &Supervisor, name: &str) -> Check {
    supervisor
        .checks()
        .into_iter()
        .find(|c| c.name == format!("task:{name}"))
        .expect("a check per task")
}

#[tokio::test]
async fn a_failing_or_panicking_task_is_restarted_and_reported_down_meanwhile() {
    let supervisor = Supervisor::new(Duration::from_secs(1));
    let runs = Arc::new(AtomicUsize::new(0));
    let counter = runs.clone();
    supervisor.spawn("flaky", move |mut stop| {
        let run = counter.fetch_add(1, Ordering::SeqCst);
        async move {
            match run {
                0 => anyhow::bail!("first run fails"),
                1 => panic!("second run panics"),
                _ => {
                    let _ = stop.wait_for(|s| *s).await;
                    Ok(())
                }
            }
        }
    });
    eventually("the third run", || runs.load(Ordering::SeqCst) == 3).await;
    eventually("running again", || {
        supervisor.state("flaky") == Some(TaskState::Running)
    })
    .await;
    assert_eq!(check(&supervisor, "flaky").status, CheckStatus::Up);
    supervisor.stop("flaky").await;
    assert_eq!(supervisor.state("flaky"), Some(TaskState::Stopped));
    assert_eq!(runs.load(Ordering::SeqCst), 3, "not restarted after a stop");
}

#[tokio::test]
async fn a_restarting_task_is_a_down_check_naming_the_error() {
    let supervisor = Supervisor::new(Duration::from_secs(1));
    supervisor.spawn("broken", |_| async { anyhow::bail!("no database") });
    eventually("a failure", || {
        matches!(
            supervisor.state("broken"),
            Some(TaskState::Restarting { .. })
        )
    })
    .await;
    let down = check(&supervisor, "broken");
    assert_eq!(down.status, CheckStatus::Down);
    assert!(down.reason.unwrap().contains("no database"));
    supervisor.stop_all().await;
}

#[tokio::test]
async fn tasks_stop_in_reverse_order_and_one_ignoring_the_signal_is_aborted() {
    let supervisor = Supervisor::new(Duration::from_millis(200));
    let order = Arc::new(Mutex::new(Vec::new()));
    for name in ["first", "second"] {
        let order = order.clone();
        supervisor.spawn(name, move |mut stop| {
            let order = order.clone();
            async move {
                let _ = stop.wait_for(|s| *s).await;
                order.lock().unwrap().push(name);
                Ok(())
            }
        });
    }
    supervisor.spawn("stubborn", |_| std::future::pending());
    let started = Instant::now();
    supervisor.stop_all().await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "the deadline bounds the stop"
    );
    assert_eq!(*order.lock().unwrap(), ["second", "first"]);
    assert_eq!(supervisor.state("stubborn"), Some(TaskState::Stopped));
}

#[tokio::test]
async fn module_tasks_stop_what_their_module_started_once_and_skip_names_never_spawned() {
    let supervisor = Supervisor::new(Duration::from_secs(1));
    supervisor.spawn("mine", |mut stop| async move {
        let _ = stop.wait_for(|s| *s).await;
        Ok(())
    });
    supervisor.spawn("another module's", |mut stop| async move {
        let _ = stop.wait_for(|s| *s).await;
        Ok(())
    });
    let tasks = ModuleTasks::default();
    tasks.stop().await; // before `started`: nothing to stop
    tasks.started(supervisor.clone(), &["mine", "not spawned here"]);
    tasks.stop().await;
    assert_eq!(supervisor.state("mine"), Some(TaskState::Stopped));
    assert_eq!(
        supervisor.state("another module's"),
        Some(TaskState::Running)
    );
    tasks.stop().await; // a second stop is a no-op
    supervisor.stop_all().await;
}
