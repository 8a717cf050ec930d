//! Accounts and access keys.

use crate::{Result, Service};
use slipway_core::{AccessKey, AccountId};

pub struct Accounts<'a> {
    pub(crate) svc: &'a Service,
}

impl Accounts<'_> {
    /// Creates a fresh account with one key pair.
    pub async fn create(&self, name: &str) -> Result<AccessKey> {
        let key = AccessKey::generate(AccountId::random());
        self.svc.store.create_account(&key, name).await?;
        Ok(key)
    }

    /// Registers a configured key (from the config file or environment);
    /// idempotent, so it can run at every start.
    pub async fn ensure(&self, key: &AccessKey, name: &str) -> Result<()> {
        Ok(self.svc.store.create_account(key, name).await?)
    }

    /// The default account's key, creating the account on first start.
    /// Returns the key and whether it was created now.
    pub async fn default_key(&self) -> Result<(AccessKey, bool)> {
        if let Some(first) = self.svc.store.list_access_keys().await?.into_iter().next() {
            return Ok((first, false));
        }
        Ok((self.create("default").await?, true))
    }

    pub async fn find_key(&self, access_key_id: &str) -> Result<Option<AccessKey>> {
        Ok(self.svc.store.find_access_key(access_key_id).await?)
    }
}
