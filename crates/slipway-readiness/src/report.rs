//! The readiness report as stored and served (docs/readiness.md): each
//! finding has a stable id, a severity, its evidence and the fix.

use serde::{Deserialize, Serialize};

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Severity {
    /// AWS Marketplace would refuse the listing (or the Catalog API the
    /// change set).
    BlocksListing,
    /// Lists, but buyers hit it: an endpoint that never starts, a request
    /// refused, a container that hangs under isolation.
    BreaksBuyers,
    /// Worth fixing; nothing fails because of it.
    Advice,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BlocksListing => "BlocksListing",
            Self::BreaksBuyers => "BreaksBuyers",
            Self::Advice => "Advice",
        }
    }
}

/// Which group of checks found it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Category {
    Image,
    Network,
    RealTime,
    Batch,
    Listing,
    VulnerabilityScan,
}

impl Category {
    pub const ALL: [Category; 6] = [
        Self::Listing,
        Self::Image,
        Self::VulnerabilityScan,
        Self::Batch,
        Self::RealTime,
        Self::Network,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Image => "Image",
            Self::Network => "Network",
            Self::RealTime => "RealTime",
            Self::Batch => "Batch",
            Self::Listing => "Listing",
            Self::VulnerabilityScan => "VulnerabilityScan",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable: tests, CI filters and the docs' catalogue use it.
    pub id: String,
    pub category: Category,
    pub severity: Severity,
    pub title: String,
    /// Numbers, log lines, the HTTP exchange: what was seen.
    pub evidence: Vec<String>,
    pub fix: String,
    /// The image, profile or container it is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
}

impl Finding {
    pub fn new(id: &str, category: Category, severity: Severity, title: impl Into<String>) -> Self {
        Self {
            id: id.to_owned(),
            category,
            severity,
            title: title.into(),
            evidence: Vec::new(),
            fix: String::new(),
            subject: None,
        }
    }

    pub fn evidence(mut self, line: impl Into<String>) -> Self {
        self.evidence.push(line.into());
        self
    }

    pub fn fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = fix.into();
        self
    }

    pub fn subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }
}

/// How one group of checks went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CheckStatus {
    Passed,
    /// Ran and found something.
    Found,
    /// Could not run (the reason says why), e.g. no model to deploy.
    Skipped,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckOutcome {
    pub category: Category,
    pub status: CheckStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub duration_ms: u64,
}

/// What was learnt about one image.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ImageFacts {
    /// `training` or `inference`.
    pub role: String,
    pub image: String,
    pub in_seller_registry: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    pub platform: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_bytes: Option<u64>,
    pub layers: usize,
    pub user: String,
    pub entrypoint: Vec<String>,
    pub cmd: Vec<String>,
    /// The ECR scan's status, when the image is in the seller's registry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scan_status: Option<String>,
}

/// The real-time check's measurements.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RealTimeFigures {
    pub instance_type: String,
    pub endpoint_name: String,
    /// Container start to the first GET /ping answered 200.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub startup_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ping_p50_ms: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ping_max_ms: Option<f64>,
    pub invocations: usize,
    pub invocation_errors: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invocation_p50_ms: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invocation_p99_ms: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invocation_max_ms: Option<f64>,
    /// The largest request body answered 2xx (probed up to the limit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub largest_body_accepted: Option<u64>,
    /// The smallest refused, when one was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smallest_body_refused: Option<u64>,
}

/// What one container tried to reach under network isolation.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct NetworkActivity {
    /// `training job NAME`, `transform job NAME`, `real-time check NAME`.
    pub container: String,
    pub log_group: String,
    pub log_stream: String,
    pub attempts: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReportStatus {
    /// The validation has not ended yet; the report follows it.
    NotStarted,
    InProgress,
    Completed,
    /// The report itself could not be produced (never the seller's fault).
    Failed,
}

impl ReportStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotStarted => "NotStarted",
            Self::InProgress => "InProgress",
            Self::Completed => "Completed",
            Self::Failed => "Failed",
        }
    }
}

/// The whole report of one resource's validation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub resource_arn: String,
    /// `ModelPackage` or `Algorithm`.
    pub resource_type: String,
    /// The resource's creation time (micros): a report of an earlier
    /// resource of the same name is not this one's.
    #[serde(default)]
    pub resource_created: i64,
    pub status: ReportStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
    /// The resource's AWS-shaped status when the report ran (the report
    /// never changes it).
    pub validation_status: String,
    pub started: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended: Option<i64>,
    pub checks: Vec<CheckOutcome>,
    pub findings: Vec<Finding>,
    pub images: Vec<ImageFacts>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub realtime: Option<RealTimeFigures>,
    pub network: Vec<NetworkActivity>,
}

impl Report {
    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }

    /// No finding blocks listing (the report must have completed).
    pub fn listing_ready(&self) -> bool {
        self.status == ReportStatus::Completed && self.count(Severity::BlocksListing) == 0
    }
}
