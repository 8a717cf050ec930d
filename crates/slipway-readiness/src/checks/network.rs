//! Network under isolation: every container of the validation (and the
//! real-time check) ran without network, and the engine recorded each
//! name it resolved and connection it opened as a line of its log stream
//! (`[slipway] network isolation: …`, docs/architecture.md "Security
//! model"). This check gathers those lines per container.

use crate::report::{Category, Finding, NetworkActivity, Severity};
use crate::Ctx;
use slipway_logs::FilterEvents;

/// The words every recorded attempt's log line starts with.
pub const LINE_PREFIX: &str = "[slipway] network isolation:";
/// Most lines gathered per container.
const MAX_LINES: usize = 100;

/// A container whose log stream(s) to read.
pub struct Source {
    pub container: String,
    pub log_group: String,
    /// Streams named `<prefix>…` (a job's streams start with its name).
    pub stream_prefix: String,
}

pub async fn gather(cx: &Ctx, sources: &[Source]) -> Vec<NetworkActivity> {
    let mut out = Vec::new();
    for s in sources {
        let page = cx
            .hosting
            .service()
            .logs()
            .filter_log_events(
                &cx.account,
                &s.log_group,
                FilterEvents {
                    stream_prefix: Some(s.stream_prefix.clone()),
                    pattern: Some("\"network isolation\"".into()),
                    limit: Some(MAX_LINES),
                    ..FilterEvents::default()
                },
            )
            .await;
        let Ok(page) = page else {
            continue; // no such group or stream: the container never ran
        };
        let mut by_stream: Vec<NetworkActivity> = Vec::new();
        for ev in page.items {
            let Some(attempt) = ev.message.strip_prefix(LINE_PREFIX) else {
                continue;
            };
            let attempt = attempt.trim().to_owned();
            match by_stream.iter_mut().find(|a| a.log_stream == ev.stream) {
                Some(a) => a.attempts.push(attempt),
                None => by_stream.push(NetworkActivity {
                    container: s.container.clone(),
                    log_group: s.log_group.clone(),
                    log_stream: ev.stream.clone(),
                    attempts: vec![attempt],
                }),
            }
        }
        out.extend(by_stream);
    }
    out
}

pub fn findings(activity: &[NetworkActivity]) -> Vec<Finding> {
    activity
        .iter()
        .filter(|a| !a.attempts.is_empty())
        .map(|a| {
            let mut f = Finding::new(
                "network.outbound-attempt",
                Category::Network,
                Severity::BreaksBuyers,
                format!("The {} tried to reach the network under isolation", a.container),
            )
            .subject(a.container.clone())
            .fix("Buyers run Marketplace listings with network isolation: no DNS, no internet, no AWS APIs. Put everything the container needs (weights, tokenizers, packages) in the image or the model artifacts, and never download at start-up or per request; on AWS such a container hangs until its time-outs.");
            f.evidence.push(format!(
                "log stream {} of {}:",
                a.log_stream, a.log_group
            ));
            f.evidence.extend(a.attempts.iter().take(20).cloned());
            f
        })
        .collect()
}
