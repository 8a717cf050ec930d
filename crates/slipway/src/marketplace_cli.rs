//! `slipway marketplace …`: a buyer's (and seller's) subscriptions from the
//! command line, against any Slipway server (docs/marketplace.md "Buyers").
//! Credentials and the server come from the standard AWS variables
//! (`AWS_ENDPOINT_URL`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
//! optional `AWS_SESSION_TOKEN`, `AWS_REGION` / `AWS_DEFAULT_REGION`), and
//! each command is one SigV4-signed call of Slipway's
//! `SlipwayMarketplace_20261201` API, signed with the `aws-sigv4` crate.

use anyhow::{bail, Context};
use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use clap::{Subcommand, ValueEnum};
use serde_json::{json, Value};

const TARGET_PREFIX: &str = "SlipwayMarketplace_20261201";
const SIGNING_NAME: &str = "aws-marketplace";

#[derive(Subcommand)]
pub enum MarketplaceCommand {
    /// Subscribe the caller's account to a product (accept its offer).
    Subscribe { product_id: String },
    /// End the caller's subscription to a product.
    Unsubscribe { product_id: String },
    /// Subscriptions the caller is party to (as buyer or seller).
    Subscriptions {
        #[arg(long, value_enum, default_value = "text")]
        output: TextOrJson,
    },
    /// Usage of the caller's subscriptions (as buyer or seller), priced.
    Usage {
        #[arg(long)]
        product_id: Option<String>,
        #[arg(long, value_enum, default_value = "csv")]
        output: CsvOrJson,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum TextOrJson {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum CsvOrJson {
    Csv,
    Json,
}

fn var(names: &[&str]) -> Option<String> {
    names
        .iter()
        .find_map(|n| std::env::var(n).ok().filter(|v| !v.trim().is_empty()))
}

/// Calls `op` with `body`, signed from the environment; the answer's JSON.
async fn call(op: &str, body: Value) -> anyhow::Result<Value> {
    let endpoint = var(&["AWS_ENDPOINT_URL"]).context(
        "AWS_ENDPOINT_URL is not set: point it at the Slipway server (slipway serve prints it)",
    )?;
    let key = var(&["AWS_ACCESS_KEY_ID"]).context("AWS_ACCESS_KEY_ID is not set")?;
    let secret = var(&["AWS_SECRET_ACCESS_KEY"]).context("AWS_SECRET_ACCESS_KEY is not set")?;
    let token = var(&["AWS_SESSION_TOKEN"]);
    let region = var(&["AWS_REGION", "AWS_DEFAULT_REGION"]).unwrap_or_else(|| "us-east-1".into());
    let url = format!("{}/", endpoint.trim_end_matches('/'));
    let uri: http::Uri = url
        .parse()
        .with_context(|| format!("AWS_ENDPOINT_URL {endpoint} is not a URL"))?;
    let host = uri
        .authority()
        .map(|a| a.as_str().to_owned())
        .with_context(|| format!("AWS_ENDPOINT_URL {endpoint} has no host"))?;
    let payload = body.to_string();
    let target = format!("{TARGET_PREFIX}.{op}");
    let headers = [
        ("host", host.as_str()),
        ("content-type", "application/x-amz-json-1.1"),
        ("x-amz-target", target.as_str()),
    ];
    let identity = Credentials::new(key, secret, token, None, "environment").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(&region)
        .name(SIGNING_NAME)
        .time(std::time::SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .context("building the request signature")?
        .into();
    let signable = SignableRequest::new(
        "POST",
        url.as_str(),
        headers.iter().copied(),
        SignableBody::Bytes(payload.as_bytes()),
    )
    .context("preparing the request for signing")?;
    let (instructions, _) = sign(signable, &params)
        .context("signing the request")?
        .into_parts();
    let mut req = http::Request::builder()
        .method("POST")
        .uri(&url)
        .body(payload.clone())
        .context("building the request")?;
    for (k, v) in headers {
        req.headers_mut().insert(k, http::HeaderValue::from_str(v)?);
    }
    instructions.apply_to_request_http1x(&mut req);
    let client = reqwest::Client::builder().no_proxy().build()?;
    let mut rb = client.post(&url).body(payload);
    for (k, v) in req.headers() {
        rb = rb.header(k.as_str(), v.as_bytes());
    }
    let resp = rb.send().await.with_context(|| format!("calling {url}"))?;
    let status = resp.status();
    let text = resp.text().await.context("reading the answer")?;
    let answer: Value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    if !status.is_success() {
        let code = answer["__type"].as_str().unwrap_or("Error");
        let msg = answer["message"]
            .as_str()
            .or(answer["Message"].as_str())
            .unwrap_or("");
        bail!("{op} failed ({status}): {code}: {msg}");
    }
    Ok(answer)
}

fn line(s: &Value) -> String {
    format!(
        "{}\t{}\t{}\t{}\t{}\t{}",
        s["ProductId"].as_str().unwrap_or(""),
        s["Status"].as_str().unwrap_or(""),
        s["Role"].as_str().unwrap_or(""),
        s["AgreementId"].as_str().unwrap_or(""),
        s["SellerAccountId"].as_str().unwrap_or(""),
        s["ProductTitle"].as_str().unwrap_or(""),
    )
}

pub async fn run(command: MarketplaceCommand) -> anyhow::Result<()> {
    match command {
        MarketplaceCommand::Subscribe { product_id } => {
            let a = call("Subscribe", json!({"ProductId": product_id})).await?;
            println!("{}", line(&a["Subscription"]));
        }
        MarketplaceCommand::Unsubscribe { product_id } => {
            let a = call("Unsubscribe", json!({"ProductId": product_id})).await?;
            println!("{}", line(&a["Subscription"]));
        }
        MarketplaceCommand::Subscriptions { output } => {
            let a = call("ListSubscriptions", json!({})).await?;
            match output {
                TextOrJson::Json => println!("{}", serde_json::to_string_pretty(&a)?),
                TextOrJson::Text => {
                    for s in a["Subscriptions"].as_array().into_iter().flatten() {
                        println!("{}", line(s));
                    }
                }
            }
        }
        MarketplaceCommand::Usage { product_id, output } => {
            let mut body = json!({});
            if let Some(p) = product_id {
                body["ProductId"] = json!(p);
            }
            let a = call("GetUsage", body).await?;
            match output {
                CsvOrJson::Json => println!("{}", serde_json::to_string_pretty(&a)?),
                CsvOrJson::Csv => print!("{}", slipway_wire::usage::usage_csv_from_json(&a)),
            }
        }
    }
    Ok(())
}
