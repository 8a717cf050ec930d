//! IAM roles per account, as far as SageMaker's clients use them: create,
//! read, list, delete, managed-policy attachments, a policy simulation
//! that allows what an existing principal asks, and the rule that a role
//! handed to SageMaker exists and trusts `sagemaker.amazonaws.com`.
//! Inputs arrive checked against the botocore IAM model (names, paths,
//! lengths); this module owns the rules beyond it.

use crate::{Error, Result, Service};
use serde_json::Value;
use slipway_core::ports::identity::{IdentityError, IdentityStore, Role};
use slipway_core::{random_id, AccountId};

/// The role Slipway makes with every new account, so jobs can run at
/// once (what the SageMaker console offers as "Create a new role").
pub const DEFAULT_ROLE_NAME: &str = "SlipwayExecutionRole";
/// Attached to the default role: the policy AWS's execution roles carry.
pub const SAGEMAKER_FULL_ACCESS: &str = "arn:aws:iam::aws:policy/AmazonSageMakerFullAccess";
/// The principal SageMaker assumes roles as.
pub const SAGEMAKER_PRINCIPAL: &str = "sagemaker.amazonaws.com";

/// IAM's conditions, under IAM's (and STS's) own codes.
#[derive(Debug, thiserror::Error)]
pub enum IamError {
    #[error("{0}")]
    NoSuchEntity(String),
    #[error("{0}")]
    EntityAlreadyExists(String),
    #[error("{0}")]
    DeleteConflict(String),
    #[error("{0}")]
    MalformedPolicyDocument(String),
    #[error("{0}")]
    InvalidInput(String),
    /// A rule beyond the model's constraints (`ValidationError`).
    #[error("{0}")]
    Validation(String),
    #[error("{0}")]
    AccessDenied(String),
}

/// An identity-store failure in IAM's words.
pub(crate) fn store_error(e: IdentityError) -> Error {
    let iam = match e {
        IdentityError::RoleExists(n) => {
            IamError::EntityAlreadyExists(format!("Role with name {n} already exists."))
        }
        IdentityError::NoSuchRole(n) => no_such_role(&n),
        IdentityError::NotAttached(arn) => {
            IamError::NoSuchEntity(format!("Policy {arn} was not found."))
        }
        IdentityError::PoliciesAttached(_) => {
            IamError::DeleteConflict("Cannot delete entity, must detach all policies first.".into())
        }
        e @ IdentityError::Backend(_) => return Error::internal("identity store", e),
    };
    Error::Iam(iam)
}

fn no_such_role(name: &str) -> IamError {
    IamError::NoSuchEntity(format!("The role with name {name} cannot be found."))
}

/// CreateRole's input.
#[derive(Debug, Clone, Default)]
pub struct NewRole {
    pub name: String,
    pub path: Option<String>,
    /// The trust policy as JSON text.
    pub trust_policy: String,
    pub description: Option<String>,
    pub max_session_duration: Option<i64>,
    pub tags: Vec<(String, String)>,
}

/// One ListRoles page; `marker` is where the next starts.
#[derive(Debug, Clone)]
pub struct RolePage {
    pub roles: Vec<Role>,
    pub marker: Option<String>,
}

pub struct Iam<'a> {
    pub(crate) svc: &'a Service,
}

impl Iam<'_> {
    fn store(&self) -> &dyn IdentityStore {
        self.svc.identity.as_ref()
    }

    pub async fn create_role(&self, account: &AccountId, new: NewRole) -> Result<Role> {
        trust_statements(&new.trust_policy)?;
        let max = new.max_session_duration.unwrap_or(3600);
        if !(3600..=43200).contains(&max) {
            // The model allows it; IAM's own range is tighter.
            return Err(IamError::Validation(format!(
                "1 validation error detected: Value '{max}' at 'maxSessionDuration' failed to satisfy constraint: Member must have value greater than or equal to 3600"
            ))
            .into());
        }
        let path = new.path.unwrap_or_else(|| "/".into());
        let role = Role {
            account: account.clone(),
            arn: format!("arn:aws:iam::{account}:role{path}{}", new.name),
            name: new.name,
            path,
            role_id: random_id("AROA", 17),
            assume_role_policy: new.trust_policy,
            description: new.description,
            max_session_duration: max,
            created: self.svc.wall_micros(),
            tags: new.tags,
        };
        self.store().create_role(&role).await.map_err(store_error)?;
        Ok(role)
    }

    pub async fn get_role(&self, account: &AccountId, name: &str) -> Result<Role> {
        self.store()
            .get_role(account, name)
            .await
            .map_err(store_error)?
            .ok_or_else(|| no_such_role(name).into())
    }

    /// Roles by name, filtered by path prefix, `max_items` (default 100)
    /// after `marker` (the last name of the previous page).
    pub async fn list_roles(
        &self,
        account: &AccountId,
        path_prefix: Option<&str>,
        marker: Option<&str>,
        max_items: Option<usize>,
    ) -> Result<RolePage> {
        let after = marker.map(str::to_lowercase);
        let limit = max_items.unwrap_or(100);
        let mut roles: Vec<Role> = self
            .store()
            .list_roles(account)
            .await
            .map_err(store_error)?
            .into_iter()
            .filter(|r| path_prefix.is_none_or(|p| r.path.starts_with(p)))
            .filter(|r| after.as_ref().is_none_or(|a| r.name.to_lowercase() > *a))
            .collect();
        let marker = (roles.len() > limit).then(|| roles[limit - 1].name.clone());
        roles.truncate(limit);
        Ok(RolePage { roles, marker })
    }

    pub async fn delete_role(&self, account: &AccountId, name: &str) -> Result<()> {
        self.store()
            .delete_role(account, name)
            .await
            .map_err(store_error)
    }

    /// Any well-formed managed-policy ARN is accepted: Slipway does not
    /// evaluate policies, it only remembers what is attached.
    pub async fn attach_policy(&self, account: &AccountId, role: &str, arn: &str) -> Result<()> {
        check_policy_arn(arn)?;
        self.store()
            .attach_policy(account, role, arn)
            .await
            .map_err(store_error)
    }

    pub async fn detach_policy(&self, account: &AccountId, role: &str, arn: &str) -> Result<()> {
        check_policy_arn(arn)?;
        self.store()
            .detach_policy(account, role, arn)
            .await
            .map_err(store_error)
    }

    pub async fn attached_policies(&self, account: &AccountId, role: &str) -> Result<Vec<String>> {
        self.store()
            .attached_policies(account, role)
            .await
            .map_err(store_error)
    }

    /// SimulatePrincipalPolicy, kept simple: every action is allowed for
    /// a principal that exists in the caller's account (its root, a role,
    /// or a session of a role); others are `NoSuchEntity`.
    pub async fn simulate(&self, account: &AccountId, principal_arn: &str) -> Result<()> {
        let missing = || {
            IamError::InvalidInput(format!(
                "Invalid Entity Arn: {principal_arn} does not clearly define entity type and name."
            ))
        };
        let prefix_iam = format!("arn:aws:iam::{account}:");
        let prefix_sts = format!("arn:aws:sts::{account}:assumed-role/");
        if principal_arn == format!("{prefix_iam}root") {
            return Ok(());
        }
        let role_name = if let Some(rest) = principal_arn.strip_prefix(&prefix_sts) {
            rest.split('/').next().unwrap_or_default().to_owned()
        } else if let Some(rest) = principal_arn.strip_prefix(&format!("{prefix_iam}role/")) {
            rest.rsplit('/').next().unwrap_or_default().to_owned()
        } else if principal_arn.starts_with("arn:aws:iam::")
            || principal_arn.starts_with("arn:aws:sts::")
        {
            return Err(IamError::NoSuchEntity(format!(
                "The entity {principal_arn} cannot be found."
            ))
            .into());
        } else {
            return Err(missing().into());
        };
        self.role_by_arn_name(account, principal_arn, &role_name)
            .await
            .map(|_| ())
    }

    async fn role_by_arn_name(&self, account: &AccountId, arn: &str, name: &str) -> Result<Role> {
        match self
            .store()
            .get_role(account, name)
            .await
            .map_err(store_error)?
        {
            Some(r) if r.arn == arn || arn.contains(":assumed-role/") => Ok(r),
            _ => Err(no_such_role(name).into()),
        }
    }

    /// The role an ARN names in `account`, for AssumeRole: absent, or in
    /// another account, is `None`.
    pub async fn role_for_arn(&self, account: &AccountId, arn: &str) -> Result<Option<Role>> {
        let Some((role_account, _path, name)) = split_role_arn(arn) else {
            return Ok(None);
        };
        if role_account != account.as_str() {
            return Ok(None);
        }
        let role = self
            .store()
            .get_role(account, name)
            .await
            .map_err(store_error)?;
        Ok(role.filter(|r| r.arn == arn))
    }

    /// The SageMaker rule for `RoleArn`, `ExecutionRoleArn` and
    /// `ValidationRole`: the role exists in the caller's account and its
    /// trust policy lets SageMaker assume it. With the
    /// `accept_any_role_arn` switch, any well-formed ARN passes (the model
    /// check already saw to that).
    pub async fn require_assumable(
        &self,
        account: &AccountId,
        field: &str,
        arn: &str,
    ) -> Result<()> {
        if self.svc.config.accept_any_role_arn {
            return Ok(());
        }
        let refused = || {
            Error::invalid(
                field,
                format!("Could not assume role {arn}. Please ensure that the role exists and allows principal '{SAGEMAKER_PRINCIPAL}' to assume the role."),
            )
        };
        let Some(role) = self.role_for_arn(account, arn).await? else {
            return Err(refused());
        };
        if trusts(&role.assume_role_policy, SAGEMAKER_PRINCIPAL) {
            Ok(())
        } else {
            Err(refused())
        }
    }

    /// Creates the account's default execution role (trusted by SageMaker,
    /// `AmazonSageMakerFullAccess` attached) unless it exists.
    pub async fn ensure_default_role(&self, account: &AccountId) -> Result<Role> {
        if let Some(r) = self
            .store()
            .get_role(account, DEFAULT_ROLE_NAME)
            .await
            .map_err(store_error)?
        {
            return Ok(r);
        }
        let role = self
            .create_role(
                account,
                NewRole {
                    name: DEFAULT_ROLE_NAME.into(),
                    trust_policy: sagemaker_trust_policy(),
                    description: Some(
                        "Created by Slipway: the default SageMaker execution role.".into(),
                    ),
                    ..Default::default()
                },
            )
            .await?;
        self.attach_policy(account, DEFAULT_ROLE_NAME, SAGEMAKER_FULL_ACCESS)
            .await?;
        Ok(role)
    }
}

/// The trust policy of an execution role: SageMaker may assume it.
pub fn sagemaker_trust_policy() -> String {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": SAGEMAKER_PRINCIPAL},
            "Action": "sts:AssumeRole"
        }]
    })
    .to_string()
}

/// `(account, path, name)` of `arn:aws:iam::ACCOUNT:role/PATH/NAME`.
pub fn split_role_arn(arn: &str) -> Option<(&str, &str, &str)> {
    let rest = arn.strip_prefix("arn:aws:iam::")?;
    let (account, resource) = rest.split_once(':')?;
    let path_and_name = resource.strip_prefix("role")?;
    if !path_and_name.starts_with('/') {
        return None;
    }
    let cut = path_and_name.rfind('/')? + 1;
    let (path, name) = path_and_name.split_at(cut);
    (!name.is_empty()).then_some((account, path, name))
}

/// A managed policy ARN: `arn:aws:iam::aws:policy/...` or an account's.
fn check_policy_arn(arn: &str) -> Result<()> {
    let ok = arn
        .strip_prefix("arn:aws:iam::")
        .and_then(|r| r.split_once(':'))
        .is_some_and(|(owner, res)| {
            (owner == "aws" || AccountId::parse(owner).is_some())
                && res.strip_prefix("policy/").is_some_and(|n| !n.is_empty())
        });
    if ok {
        Ok(())
    } else {
        Err(IamError::InvalidInput(format!("ARN {arn} is not valid.")).into())
    }
}

/// The statements of a policy document, or IAM's refusal of it.
fn trust_statements(doc: &str) -> Result<Vec<Value>> {
    let malformed = |m: &str| Error::Iam(IamError::MalformedPolicyDocument(m.into()));
    let v: Value =
        serde_json::from_str(doc).map_err(|_| malformed("This policy contains invalid Json"))?;
    match v.get("Statement") {
        Some(Value::Array(a)) if !a.is_empty() => Ok(a.clone()),
        Some(s @ Value::Object(_)) => Ok(vec![s.clone()]),
        _ => Err(malformed("Syntax errors in policy.")),
    }
}

/// Whether a trust policy allows `principal` (a service) `sts:AssumeRole`.
pub fn trusts(doc: &str, principal: &str) -> bool {
    let Ok(statements) = trust_statements(doc) else {
        return false;
    };
    let has = |v: Option<&Value>, want: &dyn Fn(&str) -> bool| match v {
        Some(Value::String(s)) => want(s),
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).any(want),
        _ => false,
    };
    statements.iter().any(|s| {
        let allow = s.get("Effect").and_then(Value::as_str) == Some("Allow");
        let action = has(s.get("Action"), &|a| {
            matches!(a, "sts:AssumeRole" | "sts:*" | "*")
        });
        let who = match s.get("Principal") {
            Some(Value::String(p)) => p == "*",
            Some(p @ Value::Object(_)) => {
                has(p.get("Service"), &|x| x == principal) || has(p.get("AWS"), &|x| x == "*")
            }
            _ => false,
        };
        allow && action && who
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap freely (STYLE.md §6)
mod tests;
