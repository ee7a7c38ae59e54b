//! Configuration layers, sections and the errors operators see.

// figment's `Jail` closures return its (large) error type by design.
#![allow(clippy::result_large_err)]

use figment::Jail;

use super::*;

fn load() -> Result<Config, ConfigError> {
    Config::load(None, &Overrides::default())
}

#[test]
fn defaults_run_the_embedded_monolith_on_port_3000() {
    Jail::expect_with(|_| {
        let config = load().unwrap();
        assert_eq!(config.bind.to_string(), "127.0.0.1:3000");
        assert_eq!(config.database_url().expose(), "sqlite://./data/agora.db");
        assert_eq!(config.shutdown_timeout, Duration::from_secs(10));
        Ok(())
    });
}

#[test]
fn layers_override_in_order_file_env_flags() {
    Jail::expect_with(|jail| {
        jail.create_file(
            "agora.toml",
            "bind = \"127.0.0.1:4000\"\ndata_dir = \"/tmp/a\"\n[database]\nmax_connections = 3\n",
        )?;
        jail.set_env("AGORA_DATA_DIR", "/tmp/b");
        jail.set_env("AGORA_DATABASE__MAX_CONNECTIONS", "4");
        let config = load().unwrap();
        assert_eq!(config.bind.port(), 4000);
        assert_eq!(config.data_dir, PathBuf::from("/tmp/b"));
        assert_eq!(config.database.max_connections, 4);
        let flags = Overrides {
            bind: Some("127.0.0.1:5000".parse().unwrap()),
            ..Default::default()
        };
        assert_eq!(Config::load(None, &flags).unwrap().bind.port(), 5000);
        Ok(())
    });
}

#[test]
fn a_bad_value_names_the_key_and_the_expected_form() {
    Jail::expect_with(|jail| {
        jail.set_env("AGORA_BIND", "not-an-address");
        let message = load().unwrap_err().to_string();
        assert!(message.contains("`bind`"), "{message}");
        assert!(message.contains("AGORA_BIND"), "{message}");
        assert!(message.contains("HOST:PORT"), "{message}");
        Ok(())
    });
}

#[test]
fn a_corrupt_file_is_reported_with_its_location() {
    Jail::expect_with(|jail| {
        jail.create_file("agora.toml", "bind = = 3")?;
        let message = load().unwrap_err().to_string();
        assert!(message.contains("agora.toml"), "{message}");
        Ok(())
    });
}

#[test]
fn an_unknown_key_in_the_file_is_rejected() {
    Jail::expect_with(|jail| {
        jail.create_file("agora.toml", "bnid = \"127.0.0.1:1\"")?;
        let message = load().unwrap_err().to_string();
        assert!(message.contains("bnid"), "{message}");
        Ok(())
    });
}

#[test]
fn an_unsupported_database_scheme_names_the_key() {
    Jail::expect_with(|jail| {
        jail.set_env("AGORA_DATABASE_URL", "mysql://root@localhost/agora");
        let message = load().unwrap_err().to_string();
        assert!(message.contains("AGORA_DATABASE_URL"), "{message}");
        assert!(message.contains("postgres://"), "{message}");
        Ok(())
    });
}

#[test]
fn the_identity_url_and_key_refresh_come_from_the_environment() {
    Jail::expect_with(|jail| {
        jail.set_env("AGORA_IDENTITY_URL", "http://identity:3000");
        jail.set_env("AGORA_JWT__KEY_REFRESH", "30s");
        let config = load().unwrap();
        assert_eq!(config.identity_url.as_deref(), Some("http://identity:3000"));
        assert_eq!(config.jwt.key_refresh, Duration::from_secs(30));
        jail.set_env("AGORA_IDENTITY_URL", "identity:3000");
        let message = load().unwrap_err().to_string();
        assert!(message.contains("AGORA_IDENTITY_URL"), "{message}");
        Ok(())
    });
}

#[test]
fn rate_limits_use_the_documented_keys_and_form() {
    Jail::expect_with(|jail| {
        jail.create_file("agora.toml", "[rate_limit]\nfree = \"20/1m\"\n")?;
        jail.set_env("AGORA_RATE_LIMIT__ANONYMOUS", "50/5m");
        jail.set_env("AGORA_RATE_LIMIT__ENABLED", "false");
        let config = load().unwrap();
        assert_eq!(config.rate_limit.free, "20/1m".parse().unwrap());
        assert_eq!(config.rate_limit.anonymous, "50/5m".parse().unwrap());
        assert!(!config.rate_limit.enabled);
        assert_eq!(config.rate_limit.pro, "100/1m".parse().unwrap());
        jail.set_env("AGORA_RATE_LIMIT__PRO", "lots");
        let message = load().unwrap_err().to_string();
        assert!(
            message.contains("rate_limit.pro") && message.contains("COUNT/PERIOD"),
            "{message}"
        );
        Ok(())
    });
}

#[test]
fn a_context_reads_its_own_section_from_file_and_environment() {
    Jail::expect_with(|jail| {
        jail.create_file("agora.toml", "[catalog]\ncache = false\n")?;
        jail.set_env("AGORA_FLAGS__CACHE_TTL", "2s");
        let config = load().unwrap();
        let catalog: serde_json::Value = config.section("catalog").unwrap();
        assert_eq!(catalog["cache"], false);
        #[derive(Deserialize, Default)]
        #[serde(default)]
        struct Flags {
            #[serde(with = "humantime_serde")]
            cache_ttl: Duration,
        }
        assert_eq!(
            config.section::<Flags>("flags").unwrap().cache_ttl,
            Duration::from_secs(2)
        );
        // Absent sections are their defaults.
        assert_eq!(
            config.section::<Flags>("nothing").unwrap().cache_ttl,
            Duration::ZERO
        );
        Ok(())
    });
}

#[test]
fn a_bad_section_value_names_its_key_and_variable() {
    Jail::expect_with(|jail| {
        jail.set_env("AGORA_FLAGS__CACHE_TTL", "soon");
        let message = load().unwrap_err().to_string();
        assert!(message.contains("`flags.cache_ttl`"), "{message}");
        assert!(message.contains("AGORA_FLAGS__CACHE_TTL"), "{message}");
        jail.set_env("AGORA_FLAGS__CACHE_TTL", "1s");
        jail.set_env("AGORA_CATALOG__CAHCE", "false");
        let message = load().unwrap_err().to_string();
        assert!(message.contains("cahce"), "{message}");
        Ok(())
    });
}

#[test]
fn an_unknown_section_or_key_lists_the_known_ones() {
    Jail::expect_with(|jail| {
        jail.set_env("AGORA_CATLOG__CACHE", "false");
        let message = load().unwrap_err().to_string();
        assert!(message.contains("`catlog`: unknown key"), "{message}");
        assert!(
            message.contains("catalog") && message.contains("bind"),
            "{message}"
        );
        Ok(())
    });
}

#[test]
fn a_section_set_in_code_is_read_back() {
    let mut config = Config::default();
    config.set_section("flags", serde_json::json!({ "cache_ttl": "1h" }));
    let flags: serde_json::Value = config.section("flags").unwrap();
    assert_eq!(flags["cache_ttl"], "1h");
}

#[test]
fn secrets_never_print() {
    let secret = Secret::new("postgres://u:hunter2@h/db".to_owned());
    assert!(!format!("{secret:?} {secret}").contains("hunter2"));
}

#[test]
fn a_missing_explicit_file_is_an_error() {
    let err = Config::load(
        Some(Path::new("/nonexistent/agora.toml")),
        &Overrides::default(),
    );
    assert!(matches!(err, Err(ConfigError::MissingFile(_))));
}

#[test]
fn production_refuses_an_open_metrics_endpoint_and_development_keeps_it() {
    Jail::expect_with(|jail| {
        assert!(load().unwrap().metrics.token.is_none(), "development: open");
        jail.set_env("AGORA_ENVIRONMENT", "production");
        jail.set_env("AGORA_JWT__PRIVATE_KEY", "-----BEGIN PRIVATE KEY-----");
        let error = load().unwrap_err().to_string();
        assert!(
            error.contains("`metrics.token` (AGORA_METRICS__TOKEN) must be set in production"),
            "{error}"
        );
        jail.set_env("AGORA_METRICS__TOKEN", "  ");
        let error = load().unwrap_err().to_string();
        assert!(error.contains("must be a non-empty secret"), "{error}");
        jail.set_env("AGORA_METRICS__TOKEN", "scrape-secret");
        let config = load().unwrap();
        assert_eq!(
            config.metrics.token.as_ref().map(|t| t.expose().as_str()),
            Some("scrape-secret")
        );
        assert!(
            !format!("{config:?}").contains("scrape-secret"),
            "never printed"
        );
        Ok(())
    });
}

#[test]
fn links_default_to_the_served_address_unless_public_url_is_set() {
    Jail::expect_with(|jail| {
        jail.set_env("AGORA_BIND", "127.0.0.1:3811");
        assert_eq!(load().unwrap().link_base(), "http://127.0.0.1:3811");
        jail.set_env("AGORA_BIND", "0.0.0.0:3811");
        assert_eq!(load().unwrap().link_base(), "http://127.0.0.1:3811");
        jail.set_env("AGORA_PUBLIC_URL", "https://shop.example.com/");
        assert_eq!(load().unwrap().link_base(), "https://shop.example.com");
        Ok(())
    });
}

#[test]
fn service_urls_and_the_gateway_section_are_known_keys() {
    Jail::expect_with(|jail| {
        jail.set_env(
            "AGORA_ORDERS_URL",
            "http://orders:3000,http://orders-2:3000",
        );
        jail.set_env("AGORA_GATEWAY__TIMEOUT", "2s");
        jail.set_env("AGORA_SERVICES__SECRET", "shared-by-every-service");
        let config = load().unwrap();
        assert_eq!(
            config.service_url("orders").as_deref(),
            Some("http://orders:3000,http://orders-2:3000")
        );
        assert_eq!(config.service_url("catalog"), None);
        let gateway: crate::gateway::GatewayConfig = config.section("gateway").unwrap();
        assert_eq!(gateway.timeout, Duration::from_secs(2));
        // Only contexts have service URLs: a typo is still refused.
        jail.set_env("AGORA_CATALOUG_URL", "http://catalog:3000");
        let message = load().unwrap_err().to_string();
        assert!(message.contains("`cataloug_url`: unknown key"), "{message}");
        Ok(())
    });
}
