//! A SageMaker JSON 1.1 client as thin as we can make it: reqwest with one
//! keep-alive connection, every request SigV4-signed with `aws-sigv4` the
//! way botocore signs it (host, content-type, x-amz-target, x-amz-date).
//!
//! Both targets get exactly the same client, so the client's share of the
//! (shared) CPU is the same whichever server is measured.

use std::time::{Duration, Instant, SystemTime};

use anyhow::{anyhow, Context};
use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;

const CONTENT_TYPE: &str = "application/x-amz-json-1.1";

/// Where a server listens and whose keys sign requests to it.
#[derive(Debug, Clone)]
pub struct Target {
    /// Short name used in the report: `slipway` or `moto`.
    pub name: &'static str,
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub endpoint: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    pub region: String,
}

impl Target {
    /// The `Host` header value (what SigV4 signs).
    fn host(&self) -> &str {
        self.endpoint
            .strip_prefix("http://")
            .unwrap_or(&self.endpoint)
    }
}

/// One answer: status, body and how long the exchange took on the wire
/// (from handing the request to reqwest to having read the whole body;
/// signing and JSON parsing are client CPU, counted in throughput only).
pub struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
    pub latency: Duration,
}

/// A signed SageMaker client with its own connection pool.
pub struct Client {
    http: reqwest::Client,
    target: Target,
    url: String,
    credentials: Credentials,
}

impl Client {
    /// A client with its own pool (one idle keep-alive connection is all a
    /// sequential caller needs). Proxies from the environment are ignored:
    /// the servers are on loopback.
    pub fn new(target: &Target) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .no_proxy()
            .pool_max_idle_per_host(1)
            .tcp_nodelay(true)
            .timeout(Duration::from_secs(30))
            .build()
            .context("cannot build the HTTP client")?;
        Ok(Self {
            http,
            url: format!("{}/", target.endpoint),
            credentials: Credentials::new(
                target.access_key_id.clone(),
                target.secret_access_key.clone(),
                None,
                None,
                "slipway-bench",
            ),
            target: target.clone(),
        })
    }

    /// Calls `SageMaker.<op>` with a JSON body (an `op` with a dot is a
    /// whole target of another JSON API signed for `sagemaker`).
    pub async fn call(&self, op: &str, body: &[u8]) -> anyhow::Result<Reply> {
        let amz_target = if op.contains('.') {
            op.to_owned()
        } else {
            format!("SageMaker.{op}")
        };
        self.call_json("sagemaker", &amz_target, body).await
    }

    /// A JSON 1.1 call of another service (`x-amz-target` is the whole
    /// target, e.g. `AmazonEC2ContainerRegistry_V20150921.CreateRepository`),
    /// signed for `service`: the server routes on the credential scope.
    pub async fn call_json(
        &self,
        service: &str,
        amz_target: &str,
        body: &[u8],
    ) -> anyhow::Result<Reply> {
        let headers = [
            ("host", self.target.host()),
            ("content-type", CONTENT_TYPE),
            ("x-amz-target", amz_target),
        ];
        let auth = self.sign_request("POST", service, &self.url, &headers, body)?;
        let mut req = self
            .http
            .post(&self.url)
            .header("host", self.target.host())
            .header("content-type", CONTENT_TYPE)
            .header("x-amz-target", amz_target);
        for (name, value) in &auth {
            req = req.header(*name, value);
        }
        let req = req.body(body.to_vec());
        let started = Instant::now();
        let resp = req
            .send()
            .await
            .with_context(|| format!("{amz_target} to {} failed", self.target.name))?;
        let status = resp.status().as_u16();
        let body = resp.bytes().await.with_context(|| {
            format!("reading the {amz_target} answer from {}", self.target.name)
        })?;
        Ok(Reply {
            status,
            body: body.to_vec(),
            latency: started.elapsed(),
        })
    }

    /// A rest-json call (`METHOD /path?query`, a JSON body or none), signed
    /// for `service` as botocore signs it (host, content-type with a body,
    /// x-amz-date); e.g. the Marketplace Catalog's `POST /StartChangeSet`
    /// for `aws-marketplace`.
    pub async fn rest_json(
        &self,
        method: reqwest::Method,
        path_and_query: &str,
        service: &str,
        body: &[u8],
    ) -> anyhow::Result<Reply> {
        let url = format!("{}{path_and_query}", self.target.endpoint);
        let mut headers = vec![("host", self.target.host())];
        if !body.is_empty() {
            headers.push(("content-type", "application/json"));
        }
        let auth = self.sign_request(method.as_str(), service, &url, &headers, body)?;
        let mut req = self.http.request(method.clone(), &url);
        for (name, value) in &headers {
            req = req.header(*name, *value);
        }
        for (name, value) in &auth {
            req = req.header(*name, value);
        }
        if !body.is_empty() {
            req = req.body(body.to_vec());
        }
        let started = Instant::now();
        let resp = req
            .send()
            .await
            .with_context(|| format!("{method} {path_and_query} to {} failed", self.target.name))?;
        let status = resp.status().as_u16();
        let body = resp
            .bytes()
            .await
            .with_context(|| format!("reading the answer to {method} {path_and_query}"))?;
        Ok(Reply {
            status,
            body: body.to_vec(),
            latency: started.elapsed(),
        })
    }

    /// InvokeEndpoint (`POST /endpoints/NAME/invocations`, signed for
    /// `sagemaker` as botocore signs it); the latency excludes signing.
    pub async fn invoke(
        &self,
        endpoint: &str,
        content_type: &str,
        body: bytes::Bytes,
    ) -> anyhow::Result<Reply> {
        let url = format!("{}/endpoints/{endpoint}/invocations", self.target.endpoint);
        let headers = [("host", self.target.host()), ("content-type", content_type)];
        let auth = self.sign_request("POST", "sagemaker", &url, &headers, &body)?;
        let mut req = self
            .http
            .post(&url)
            .header("host", self.target.host())
            .header("content-type", content_type);
        for (name, value) in &auth {
            req = req.header(*name, value);
        }
        let req = req.body(body);
        let started = Instant::now();
        let resp = req.send().await.context("InvokeEndpoint")?;
        let status = resp.status().as_u16();
        let body = resp
            .bytes()
            .await
            .context("reading the InvokeEndpoint answer")?;
        Ok(Reply {
            status,
            body: body.to_vec(),
            latency: started.elapsed(),
        })
    }

    /// The headers SigV4 adds (`authorization`, `x-amz-date`).
    fn sign_request(
        &self,
        method: &str,
        service: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> anyhow::Result<Vec<(&'static str, String)>> {
        let identity = self.credentials.clone().into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.target.region)
            .name(service)
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| anyhow!("signing parameters: {e}"))?
            .into();
        let signable = SignableRequest::new(
            method,
            url,
            headers.iter().copied(),
            SignableBody::Bytes(body),
        )
        .context("building the request to sign")?;
        let (instructions, _signature) = sign(signable, &params)
            .context("signing the request")?
            .into_parts();
        let (headers, _params) = instructions.into_parts();
        Ok(headers
            .into_iter()
            .map(|h| (h.name(), h.value().to_owned()))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> Target {
        Target {
            name: "t",
            endpoint: "http://127.0.0.1:9".into(),
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
            region: "us-east-1".into(),
        }
    }

    #[test]
    fn signs_host_content_type_and_target() {
        let client = Client::new(&target()).unwrap();
        let url = client.url.clone();
        let signed = [
            ("host", "127.0.0.1:9"),
            ("content-type", CONTENT_TYPE),
            ("x-amz-target", "SageMaker.ListModelPackages"),
        ];
        let headers = client
            .sign_request("POST", "sagemaker", &url, &signed, b"{}")
            .unwrap();
        let auth = headers
            .iter()
            .find(|(n, _)| *n == "authorization")
            .map(|(_, v)| v.as_str())
            .unwrap();
        assert!(auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"));
        assert!(auth.contains("/us-east-1/sagemaker/aws4_request"));
        assert!(auth.contains("SignedHeaders=content-type;host;x-amz-date;x-amz-target"));
        assert!(headers.iter().any(|(n, _)| *n == "x-amz-date"));
    }

    #[test]
    fn signs_a_rest_json_get_for_its_service() {
        let client = Client::new(&target()).unwrap();
        let url = "http://127.0.0.1:9/DescribeChangeSet?catalog=AWSMarketplace&changeSetId=abc";
        let headers = client
            .sign_request(
                "GET",
                "aws-marketplace",
                url,
                &[("host", "127.0.0.1:9")],
                b"",
            )
            .unwrap();
        let auth = &headers
            .iter()
            .find(|(n, _)| *n == "authorization")
            .unwrap()
            .1;
        assert!(auth.contains("/us-east-1/aws-marketplace/aws4_request"));
        assert!(auth.contains("SignedHeaders=host;x-amz-date"));
    }
}
