//! Builds the application from configuration. The only place that
//! chooses adapters.

use crate::config::Config;
use anyhow::Context;
use slipway_core::{AccessKey, AccountId};
use slipway_meta_sqlite::SqliteStore;
use slipway_service::{Service, ServiceConfig};
use slipway_wire::WireConfig;
use std::sync::Arc;
use tokio::net::TcpListener;

/// A built server, ready to serve on a listener.
pub struct App {
    pub service: Service,
    pub router: axum::Router,
    /// The default account's key (created on first start).
    pub default_key: AccessKey,
    pub created_default: bool,
    pub region: String,
}

/// Opens the stores, registers configured accounts and builds the router.
pub async fn build(config: &Config) -> anyhow::Result<App> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating data dir {}", config.data_dir.display()))?;
    let store = Arc::new(SqliteStore::open(&config.data_dir).await?);
    let service = Service::new(
        store,
        ServiceConfig {
            region: config.region.clone(),
        },
    );
    for a in &config.accounts {
        let account = AccountId::parse(&a.account_id).with_context(|| {
            format!("configured account id {:?} is not 12 digits", a.account_id)
        })?;
        let key = AccessKey {
            access_key_id: a.access_key_id.clone(),
            secret_access_key: a.secret_access_key.clone(),
            account,
        };
        service.accounts().ensure(&key, &a.name).await?;
    }
    let (default_key, created_default) = service.accounts().default_key().await?;
    let router = slipway_wire::router(
        service.clone(),
        WireConfig {
            max_json_body: config.max_json_body,
        },
    );
    Ok(App {
        service,
        router,
        default_key,
        created_default,
        region: config.region.clone(),
    })
}

impl App {
    /// Serves until `shutdown` resolves, then finishes in-flight requests.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        axum::serve(listener, self.router)
            .with_graceful_shutdown(shutdown)
            .await?;
        Ok(())
    }
}
