use std::{any::Any, future::Future, pin::Pin};

use async_trait::async_trait;

/// Failures of the relational store, classified so the application can answer precisely.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique or foreign-key constraint was violated; the name says which (e.g. `users_email_key`).
    #[error("constraint `{constraint}` violated")]
    Constraint {
        /// The constraint (index) name as declared in the migrations.
        constraint: String,
    },
    /// The database could not be reached or the pool is exhausted.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A transaction from a different store was passed to a repository: a wiring bug.
    #[error("transaction belongs to a different store")]
    ForeignTransaction,
    /// Anything else; the message is for logs only, never for clients.
    #[error("database error: {0}")]
    Other(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// What a backend must provide to act as a transaction: commit, rollback, and access to its
/// concrete type for the repositories of the same backend.
#[async_trait]
pub trait TxBackend: Any + Send {
    /// Makes every write of the transaction durable.
    async fn commit(self: Box<Self>) -> Result<(), StoreError>;
    /// Discards every write of the transaction.
    async fn rollback(self: Box<Self>) -> Result<(), StoreError>;
    /// Lets a repository of the same backend reach the concrete transaction.
    fn as_any_mut(&mut self) -> &mut dyn Any;
    /// A transaction of another store this one commits together with its own (a DynamoDB unit
    /// of work carries the relational transaction of the outbox and the audit log), so the
    /// other store's repositories find theirs inside it. None for a plain transaction.
    fn enclosed(&mut self) -> Option<&mut Tx> {
        None
    }
}

/// Work deferred until a transaction has committed (cache invalidation, waking the outbox relay):
/// running it earlier could announce a change that then rolls back, or let a reader reload the
/// old row before the new one is visible.
enum AfterCommit {
    Call(Box<dyn FnOnce() + Send>),
    Await(Pin<Box<dyn Future<Output = ()> + Send>>),
}

/// An open unit of work. Use cases receive `&mut Tx` so a reader sees what is atomic: every
/// repository call given the same `Tx` commits together or not at all. Dropping a `Tx` without
/// [`Tx::commit`] rolls it back, so an early `?` return never leaves half a write behind.
///
/// Side effects that must follow the commit — and never happen on rollback — are registered with
/// [`Tx::after_commit`] / [`Tx::after_commit_async`]; [`Tx::commit`] runs them in registration
/// order once the backend reports success. Rollback and drop discard them.
pub struct Tx {
    backend: Box<dyn TxBackend>,
    after_commit: Vec<AfterCommit>,
}

impl Tx {
    /// Wraps a backend transaction.
    pub fn new(backend: impl TxBackend) -> Self {
        Self {
            backend: Box::new(backend),
            after_commit: Vec::new(),
        }
    }

    /// Runs `hook` after a successful [`Tx::commit`]; never after a rollback or a drop.
    pub fn after_commit(&mut self, hook: impl FnOnce() + Send + 'static) {
        self.after_commit.push(AfterCommit::Call(Box::new(hook)));
    }

    /// Awaits `hook` inside [`Tx::commit`], after the backend committed; never after a rollback
    /// or a drop. The caller of `commit` waits for it, so a request that changed data returns
    /// only once, say, the caches of every replica have been told.
    pub fn after_commit_async(&mut self, hook: impl Future<Output = ()> + Send + 'static) {
        self.after_commit.push(AfterCommit::Await(Box::pin(hook)));
    }

    /// Commits every write made through this transaction, then runs the after-commit hooks in
    /// the order they were registered. Hooks do not run when the commit fails.
    pub async fn commit(self) -> Result<(), StoreError> {
        let Self {
            backend,
            after_commit,
        } = self;
        backend.commit().await?;
        for hook in after_commit {
            match hook {
                AfterCommit::Call(call) => call(),
                AfterCommit::Await(future) => future.await,
            }
        }
        Ok(())
    }

    /// Explicitly discards every write (dropping does the same, without reporting errors). The
    /// after-commit hooks are dropped unrun.
    pub async fn rollback(self) -> Result<(), StoreError> {
        self.backend.rollback().await
    }

    /// The concrete backend transaction, for adapters of that backend only: this one, or the
    /// one it encloses ([`TxBackend::enclosed`]).
    pub fn backend_mut<T: TxBackend>(&mut self) -> Result<&mut T, StoreError> {
        if self.backend.as_any_mut().is::<T>() {
            return self
                .backend
                .as_any_mut()
                .downcast_mut::<T>()
                .ok_or(StoreError::ForeignTransaction);
        }
        match self.backend.enclosed() {
            Some(inner) => inner.backend_mut::<T>(),
            None => Err(StoreError::ForeignTransaction),
        }
    }
}

impl std::fmt::Debug for Tx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tx")
    }
}

/// Opens transactions on the relational store.
#[async_trait]
pub trait UnitOfWork: Send + Sync {
    /// Starts a read-write transaction.
    async fn begin(&self) -> Result<Tx, StoreError>;
}

#[cfg(test)]
mod tests {
    use std::sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex,
    };

    use super::*;

    /// A backend whose commit succeeds or fails as told.
    struct FakeTx {
        commit_fails: bool,
    }

    #[async_trait]
    impl TxBackend for FakeTx {
        async fn commit(self: Box<Self>) -> Result<(), StoreError> {
            if self.commit_fails {
                return Err(StoreError::Unavailable("commit failed".into()));
            }
            Ok(())
        }
        async fn rollback(self: Box<Self>) -> Result<(), StoreError> {
            Ok(())
        }
        fn as_any_mut(&mut self) -> &mut dyn Any {
            self
        }
    }

    /// Polls a future that never waits (the fakes never suspend), so the domain needs no runtime.
    fn run<F: Future>(future: F) -> F::Output {
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        let mut future = std::pin::pin!(future);
        match future.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(output) => output,
            std::task::Poll::Pending => panic!("the fake transaction never waits"),
        }
    }

    fn tx_with_hooks(commit_fails: bool) -> (Tx, Arc<Mutex<Vec<&'static str>>>) {
        let log = Arc::new(Mutex::new(Vec::new()));
        let mut tx = Tx::new(FakeTx { commit_fails });
        let first = log.clone();
        tx.after_commit(move || first.lock().unwrap().push("sync"));
        let second = log.clone();
        tx.after_commit_async(async move { second.lock().unwrap().push("async") });
        (tx, log)
    }

    #[test]
    fn hooks_run_after_a_successful_commit_in_registration_order() {
        let (tx, log) = tx_with_hooks(false);
        assert!(log.lock().unwrap().is_empty(), "nothing runs before commit");
        run(tx.commit()).unwrap();
        assert_eq!(*log.lock().unwrap(), ["sync", "async"]);
    }

    #[test]
    fn hooks_do_not_run_on_rollback() {
        let (tx, log) = tx_with_hooks(false);
        run(tx.rollback()).unwrap();
        assert!(log.lock().unwrap().is_empty());
    }

    #[test]
    fn hooks_do_not_run_when_the_tx_is_dropped() {
        let ran = Arc::new(AtomicBool::new(false));
        let mut tx = Tx::new(FakeTx {
            commit_fails: false,
        });
        let flag = ran.clone();
        tx.after_commit(move || flag.store(true, Ordering::SeqCst));
        drop(tx);
        assert!(!ran.load(Ordering::SeqCst));
    }

    /// A transaction that carries another store's (as DynamoDB's carries the relational one).
    struct Enclosing {
        inner: Tx,
    }

    #[async_trait]
    impl TxBackend for Enclosing {
        async fn commit(self: Box<Self>) -> Result<(), StoreError> {
            self.inner.commit().await
        }
        async fn rollback(self: Box<Self>) -> Result<(), StoreError> {
            self.inner.rollback().await
        }
        fn as_any_mut(&mut self) -> &mut dyn Any {
            self
        }
        fn enclosed(&mut self) -> Option<&mut Tx> {
            Some(&mut self.inner)
        }
    }

    #[test]
    fn repositories_of_either_store_find_their_transaction_in_an_enclosing_one() {
        let inner = Tx::new(FakeTx {
            commit_fails: false,
        });
        let mut tx = Tx::new(Enclosing { inner });
        assert!(tx.backend_mut::<Enclosing>().is_ok());
        assert!(tx.backend_mut::<FakeTx>().is_ok());
        let mut plain = Tx::new(FakeTx {
            commit_fails: false,
        });
        assert!(matches!(
            plain.backend_mut::<Enclosing>(),
            Err(StoreError::ForeignTransaction)
        ));
    }

    #[test]
    fn hooks_do_not_run_when_the_commit_fails() {
        let (tx, log) = tx_with_hooks(true);
        assert!(run(tx.commit()).is_err());
        assert!(log.lock().unwrap().is_empty());
    }
}
