//! The command line (docs/architecture.md "Command line": tests and users depend on
//! these names; keep them stable).

use crate::config::Config;
use clap::{Parser, Subcommand};
use slipway_service::jobs::{JobRuntime, JobSettings};
use slipway_service::{Service, ServiceConfig};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "slipway",
    version,
    about = "Validate SageMaker model packages and algorithms locally"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run every service on one port.
    Serve {
        /// Address to listen on (port 0 picks a free port). [env: SLIPWAY_LISTEN]
        #[arg(long)]
        listen: Option<String>,
        /// Directory for all state. [env: SLIPWAY_DATA_DIR]
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// TOML config file. [env: SLIPWAY_CONFIG]
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Validate a CreateAlgorithm / CreateModelPackage request locally:
    /// runs its validation jobs with embedded stores and the local
    /// container engine. Exit 0 validated, 1 failed, 2 refused or unusable,
    /// 3 timed out.
    Validate(crate::validate::ValidateArgs),
    /// A buyer's subscriptions and usage, against the server in
    /// AWS_ENDPOINT_URL with the AWS_* credentials (docs/marketplace.md).
    Marketplace {
        #[command(subcommand)]
        command: crate::marketplace_cli::MarketplaceCommand,
    },
    /// Manage accounts.
    Account {
        #[command(subcommand)]
        command: AccountCommand,
    },
}

#[derive(Subcommand)]
enum AccountCommand {
    /// Create a new account with a fresh key pair (works while the server runs).
    Create {
        #[arg(long)]
        data_dir: Option<PathBuf>,
        #[arg(long, default_value = "account")]
        name: String,
    },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    // `validate` talks to a person (or CI log) through its own progress
    // lines; the server's info logs would drown them.
    let default_level = match cli.command {
        Command::Validate(_) | Command::Marketplace { .. } => "warn",
        _ => "info",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SLIPWAY_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level)),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve {
                listen,
                data_dir,
                config,
            } => serve(Config::resolve(listen, data_dir, config)?).await,
            Command::Account {
                command: AccountCommand::Create { data_dir, name },
            } => account_create(Config::resolve(None, data_dir, None)?, &name).await,
            Command::Marketplace { command } => crate::marketplace_cli::run(command).await,
            Command::Validate(args) => match crate::validate::run(args).await {
                Ok(0) => Ok(()),
                Ok(code) => Err(anyhow::anyhow!(ValidateExit(code))),
                Err(e) => {
                    // Usage and environment problems are exit 2.
                    eprintln!("error: {e:#}");
                    Err(anyhow::anyhow!(ValidateExit(2)))
                }
            },
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => match e.downcast_ref::<ValidateExit>() {
            // `slipway validate` already printed its report.
            Some(ValidateExit(code)) => ExitCode::from(*code),
            None => {
                eprintln!("error: {e:#}");
                ExitCode::FAILURE
            }
        },
    }
}

/// A validation that ran but did not pass: its exit code.
#[derive(Debug)]
struct ValidateExit(u8);

impl std::fmt::Display for ValidateExit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "validation exit code {}", self.0)
    }
}

impl std::error::Error for ValidateExit {}

async fn serve(config: Config) -> anyhow::Result<()> {
    let app = crate::build(&config).await?;
    let listener = tokio::net::TcpListener::bind(&config.listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.listen))?;
    let addr = listener.local_addr()?;
    let key = &app.default_key;
    if app.created_default {
        eprintln!(
            "Created the default account {} in {}",
            key.account,
            config.data_dir.display()
        );
    }
    // The ready-to-paste block; tests read the AWS_ENDPOINT_URL line.
    println!(
        "export AWS_ENDPOINT_URL=http://{addr} AWS_ACCESS_KEY_ID={} AWS_SECRET_ACCESS_KEY={} AWS_DEFAULT_REGION={}",
        key.access_key_id, key.secret_access_key, app.region
    );
    // A comment, so the block still pastes; the export line stays as is.
    if let Some(role) = &app.default_role_arn {
        println!("# SageMaker execution role (RoleArn, ExecutionRoleArn, ValidationRole): {role}");
    }
    match crate::sdk_config::write_if_absent(&config.data_dir, &key.account, &app.region) {
        Ok(path) => println!("export SAGEMAKER_USER_CONFIG_OVERRIDE={}", path.display()),
        Err(e) => {
            tracing::warn!(error = %e, "cannot write the SageMaker Python SDK's defaults file")
        }
    }
    tracing::info!(%addr, data_dir = %config.data_dir.display(), "slipway is serving");
    app.serve(listener, shutdown_signal()).await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}

async fn account_create(config: Config, name: &str) -> anyhow::Result<()> {
    std::fs::create_dir_all(&config.data_dir)?;
    // Creating an account runs no jobs, whatever the configuration says.
    let jobs = JobRuntime::without_engine(JobSettings::new(config.data_dir.join("jobs")));
    let (ports, _, _) = crate::wiring::ports(&config, jobs).await?;
    let service = Service::new(ports, ServiceConfig::new(config.region.clone()));
    let key = service.accounts().create(name).await?;
    let role = service
        .iam()
        .get_role(&key.account, slipway_service::iam::DEFAULT_ROLE_NAME)
        .await?;
    println!("ACCOUNT_ID={}", key.account);
    println!("AWS_ACCESS_KEY_ID={}", key.access_key_id);
    println!("AWS_SECRET_ACCESS_KEY={}", key.secret_access_key);
    println!("SAGEMAKER_ROLE_ARN={}", role.arn);
    Ok(())
}
