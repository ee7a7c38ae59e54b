//! What `agora dev` runs: the children, their ports, data and environment. Computed before
//! anything starts, from the configuration, the topology and the targets the binary has — so a
//! context that becomes a standalone target joins `micro` without a change here.

use std::{
    hash::{Hash, Hasher},
    net::SocketAddr,
    path::{Path, PathBuf},
};

use crate::{
    bus::BusKind,
    cli::{DevArgs, Topology},
    config::{served_url, Config},
    modules::{targets, GATEWAY},
};

/// One child process.
#[derive(Debug, Clone)]
pub struct Child {
    /// Shown in the table and in front of its log lines (`gateway`, `catalog`, `replica-2`).
    pub name: String,
    /// `--target`.
    pub target: String,
    /// Where it listens.
    pub bind: SocketAddr,
    /// `AGORA_DATA_DIR`.
    pub data_dir: PathBuf,
    /// `AGORA_DATABASE_URL`; `None` for the gateway, which opens none.
    pub database_url: Option<String>,
    /// A PostgreSQL database to create first (server URL, name).
    pub create_database: Option<(String, String)>,
    /// Run `agora seed --target <target>` for it first (once per database).
    pub seed: bool,
    /// Extra environment, beyond what every child gets.
    pub env: Vec<(String, String)>,
}

impl Child {
    /// Its base URL.
    pub fn url(&self) -> String {
        served_url(self.bind)
    }
}

/// The shared infrastructure the children use, found before planning.
#[derive(Debug, Clone, Default)]
pub struct Infrastructure {
    /// Redis URL, configured or the local one when it answers.
    pub redis: Option<String>,
    /// The bus between processes and its URL.
    pub bus: Option<(BusKind, String)>,
}

/// Everything that will run.
#[derive(Debug)]
pub struct Plan {
    /// In start order: services first, the gateway (if any) last.
    pub children: Vec<Child>,
    /// Environment every child gets.
    pub common_env: Vec<(String, String)>,
    /// The public address.
    pub public: SocketAddr,
}

/// A loopback port nobody listens on right now (the child binds it a moment later).
pub fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
    Ok(listener.local_addr()?.port())
}

/// The targets `micro` runs: every standalone service target there is.
pub fn service_targets() -> Vec<&'static str> {
    targets()
        .iter()
        .map(|t| t.name)
        .filter(|name| *name != "all" && *name != GATEWAY)
        .collect()
}

/// A short, stable name for this data directory: runs on different directories (tests in
/// parallel) keep apart their Redis keys and NATS streams.
fn instance(data_dir: &Path) -> String {
    let canonical = std::fs::canonicalize(data_dir).unwrap_or_else(|_| data_dir.to_owned());
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    canonical.hash(&mut hasher);
    format!("{:08x}", hasher.finish() as u32)
}

/// Builds the plan. `ports` hands out free ports (a function, so tests can pin them).
pub fn build(
    config: &Config,
    args: &DevArgs,
    infrastructure: &Infrastructure,
    mut ports: impl FnMut() -> anyhow::Result<u16>,
) -> anyhow::Result<Plan> {
    anyhow::ensure!(
        args.topology == Topology::Mono || args.replicas == 1,
        "--replicas applies to --topology mono (N monoliths behind the gateway); micro runs one \
         process per service"
    );
    let public = config.bind;
    let split = args.topology == Topology::Micro || args.replicas > 1;
    let shape = match args.topology {
        Topology::Micro => "--topology micro".to_owned(),
        Topology::Mono => format!("--replicas {}", args.replicas),
    };
    let mut common_env = vec![
        ("AGORA_PUBLIC_URL".to_owned(), served_url(public)),
        // Signed service-to-service calls: one random secret per run, shared by every child.
        ("AGORA_SERVICES__SECRET".to_owned(), random_secret()),
    ];
    if split {
        let Some((kind, url)) = &infrastructure.bus else {
            anyhow::bail!(
                "agora dev {shape} runs several processes, whose events need a bus between \
                 them: set AGORA_NATS_URL (NATS with JetStream) or AGORA_REDIS_URL, or start the \
                 local ones (scripts/services.sh); nothing answered on 127.0.0.1:4222 or :6379"
            );
        };
        let instance = instance(&config.data_dir);
        match kind {
            BusKind::Nats => {
                common_env.push(("AGORA_BUS".into(), "nats".into()));
                common_env.push(("AGORA_NATS_URL".into(), url.clone()));
                common_env.push((
                    "AGORA_NATS_PREFIX".into(),
                    format!("{}_dev_{instance}", config.nats_prefix),
                ));
            }
            BusKind::Redis => common_env.push(("AGORA_BUS".into(), "redis".into())),
            BusKind::Memory => {}
        }
        if let Some(redis) = &infrastructure.redis {
            common_env.push(("AGORA_REDIS_URL".into(), redis.clone()));
            common_env.push((
                "AGORA_REDIS_PREFIX".into(),
                format!("{}dev:{instance}:", config.redis_prefix),
            ));
        }
        // Behind the gateway every request comes from loopback: believe its X-Forwarded-For,
        // so the services' own limits still count per client.
        common_env.push((
            "AGORA_RATE_LIMIT__TRUSTED_PROXIES".into(),
            r#"["127.0.0.1/32", "::1/128"]"#.into(),
        ));
    }
    let database_url = config.database_url().expose().clone();
    let postgres = database_url.starts_with("postgres");
    let mut children = Vec::new();
    match args.topology {
        Topology::Mono if args.replicas == 1 => children.push(Child {
            name: "agora".into(),
            target: "all".into(),
            bind: public,
            data_dir: config.data_dir.clone(),
            database_url: Some(database_url),
            create_database: None,
            seed: !args.no_seed,
            env: Vec::new(),
        }),
        Topology::Mono => {
            anyhow::ensure!(
                infrastructure.redis.is_some(),
                "agora dev --replicas {} needs Redis, which keeps the replicas' caches, rate \
                 limits and revoked sessions coherent: set AGORA_REDIS_URL or start the local \
                 one (scripts/services.sh)",
                args.replicas
            );
            // Replicas share the one database: a PostgreSQL database, or the SQLite file (WAL
            // lets processes on one machine share it; writes queue on its lock).
            for replica in 1..=args.replicas {
                let name = format!("replica-{replica}");
                children.push(Child {
                    bind: loopback(ports()?),
                    data_dir: config.data_dir.join(&name),
                    name,
                    target: "all".into(),
                    database_url: Some(database_url.clone()),
                    create_database: None,
                    seed: replica == 1 && !args.no_seed,
                    env: Vec::new(),
                });
            }
            let upstreams: Vec<String> = children.iter().map(Child::url).collect();
            children.push(gateway(
                public,
                config,
                vec![("AGORA_GATEWAY__UPSTREAMS".into(), upstreams.join(","))],
            ));
        }
        Topology::Micro => {
            let database = if postgres {
                Some(agora_adapters::store::database_name(&database_url)?)
            } else {
                None
            };
            for target in service_targets() {
                let data_dir = config.data_dir.join(target);
                let (url, create) = match &database {
                    Some(base) => {
                        let name = format!("{base}_{target}");
                        let url = agora_adapters::store::with_database_name(&database_url, &name)?;
                        (url, Some((database_url.clone(), name)))
                    }
                    None => (
                        format!("sqlite://{}", data_dir.join("agora.db").display()),
                        None,
                    ),
                };
                children.push(Child {
                    name: target.to_owned(),
                    target: target.to_owned(),
                    bind: loopback(ports()?),
                    data_dir,
                    database_url: Some(url),
                    create_database: create,
                    seed: !args.no_seed,
                    env: Vec::new(),
                });
            }
            let urls: Vec<(String, String)> = children
                .iter()
                .map(|c| (format!("AGORA_{}_URL", c.target.to_uppercase()), c.url()))
                .collect();
            common_env.extend(urls);
            children.push(gateway(public, config, Vec::new()));
        }
    }
    Ok(Plan {
        children,
        common_env,
        public,
    })
}

fn gateway(public: SocketAddr, config: &Config, env: Vec<(String, String)>) -> Child {
    Child {
        name: GATEWAY.into(),
        target: GATEWAY.into(),
        bind: public,
        data_dir: config.data_dir.join(GATEWAY),
        database_url: None,
        create_database: None,
        seed: false,
        env,
    }
}

fn loopback(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

fn random_secret() -> String {
    let bytes: [u8; 32] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(topology: Topology, replicas: u16) -> DevArgs {
        DevArgs {
            topology,
            replicas,
            bind: None,
            no_seed: false,
        }
    }

    fn counter() -> impl FnMut() -> anyhow::Result<u16> {
        let mut next = 4000;
        move || {
            next += 1;
            Ok(next)
        }
    }

    fn with_bus() -> Infrastructure {
        Infrastructure {
            redis: Some("redis://127.0.0.1:6379".into()),
            bus: Some((BusKind::Nats, "nats://127.0.0.1:4222".into())),
        }
    }

    fn env<'a>(plan: &'a Plan, key: &str) -> Option<&'a str> {
        plan.common_env
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn mono_is_one_monolith_on_the_public_address() {
        let config = Config::default();
        let plan = build(
            &config,
            &args(Topology::Mono, 1),
            &Infrastructure::default(),
            counter(),
        )
        .unwrap();
        assert_eq!(plan.children.len(), 1);
        assert_eq!(plan.children[0].bind, config.bind);
        assert_eq!(plan.children[0].target, "all");
    }

    #[test]
    fn replicas_share_one_database_behind_the_gateway() {
        let config = Config::default();
        let plan = build(&config, &args(Topology::Mono, 2), &with_bus(), counter()).unwrap();
        let names: Vec<&str> = plan.children.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["replica-1", "replica-2", "gateway"]);
        assert_eq!(plan.children[0].database_url, plan.children[1].database_url);
        assert!(
            plan.children[0].seed && !plan.children[1].seed,
            "seeded once"
        );
        let gateway = &plan.children[2];
        assert_eq!(gateway.bind, config.bind);
        assert_eq!(
            gateway.env[0].1,
            "http://127.0.0.1:4001,http://127.0.0.1:4002"
        );
        assert_eq!(env(&plan, "AGORA_BUS"), Some("nats"));
    }

    #[test]
    fn replicas_without_redis_or_a_bus_are_refused_with_the_fix() {
        let config = Config::default();
        let error = build(
            &config,
            &args(Topology::Mono, 2),
            &Infrastructure::default(),
            counter(),
        )
        .unwrap_err()
        .to_string();
        assert!(error.contains("AGORA_NATS_URL"), "{error}");
        let no_redis = Infrastructure {
            redis: None,
            ..with_bus()
        };
        let error = build(&config, &args(Topology::Mono, 2), &no_redis, counter())
            .unwrap_err()
            .to_string();
        assert!(error.contains("AGORA_REDIS_URL"), "{error}");
        let error = build(&config, &args(Topology::Micro, 2), &with_bus(), counter())
            .unwrap_err()
            .to_string();
        assert!(error.contains("--topology mono"), "{error}");
    }

    #[test]
    fn micro_runs_every_service_target_with_a_database_each() {
        let mut config = Config::default();
        config.database_url = Some(crate::config::Secret::new(
            "postgres://postgres@127.0.0.1:5432/agora".into(),
        ));
        let plan = build(&config, &args(Topology::Micro, 1), &with_bus(), counter()).unwrap();
        let services = service_targets();
        assert!(services.contains(&"identity") && services.contains(&"catalog"));
        assert_eq!(plan.children.len(), services.len() + 1);
        for (child, target) in plan.children.iter().zip(&services) {
            assert_eq!(child.target, *target);
            let url = child.database_url.as_deref().unwrap();
            assert!(url.ends_with(&format!("/agora_{target}")), "{url}");
            let key = format!("AGORA_{}_URL", target.to_uppercase());
            assert_eq!(env(&plan, &key), Some(child.url().as_str()));
        }
        assert_eq!(plan.children.last().unwrap().target, GATEWAY);
        assert!(env(&plan, "AGORA_SERVICES__SECRET").is_some_and(|s| s.len() == 64));
    }
}
