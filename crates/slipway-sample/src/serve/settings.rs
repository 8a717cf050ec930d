//! What `serve` reads from its environment: the mode (`SAMPLE_MODE`) and
//! its knobs, parsed once at start so a typo fails the container at once.

use std::time::Duration;

/// `SAMPLE_MODE`: which misbehaviour, if any, the server shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServeMode {
    /// Behave.
    Normal,
    /// `/ping` answers 503 forever.
    NeverReady,
    /// Exit (code 2) when the first invocation arrives, without answering.
    CrashAfterReady,
    /// Invocations answer 500 with a text body.
    Error500,
    /// Invocations never answer.
    Hang,
    /// Invocations answer a 50 MiB body.
    Huge,
    /// `/ping` answers 503 for `SAMPLE_START_DELAY` seconds.
    SlowStart,
    /// Listen on 127.0.0.1 only (a common seller mistake).
    ListenLocalhost,
    /// A minimal echo container: invocations answer their own body, byte
    /// for byte, with the request's Content-Type (after `SAMPLE_DELAY_MS`).
    Echo,
    /// Invocations answer `content-type=<ct>;accept=<accept>;batch=<SAGEMAKER_BATCH>`
    /// plus a newline: what the platform sent.
    EchoHeaders,
    /// Every `/ping` answers 200 only after `SAMPLE_PING_DELAY_MS`
    /// (a health check slower than the platform's ping timeout).
    SlowPing,
    /// A request body over [`BODY_CAP_BYTES`] gets nginx's own 413 page, as
    /// behind nginx with `client_max_body_size 5m` (AWS's scikit sample).
    BodyCap,
    /// Each invocation answers correctly after `SAMPLE_INVOKE_DELAY_MS`
    /// (longer than the 60 s SageMaker allows an invocation).
    SlowInvoke,
    /// Serve normally, but first try to download `SAMPLE_DIAL_URL`
    /// (see `crate::dialout`); `train` honours it too.
    DialOut,
}

impl ServeMode {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "" | "normal" => Self::Normal,
            "never-ready" => Self::NeverReady,
            "crash-after-ready" => Self::CrashAfterReady,
            "error500" => Self::Error500,
            "hang" => Self::Hang,
            "huge" => Self::Huge,
            "slow-start" => Self::SlowStart,
            "listen-localhost" => Self::ListenLocalhost,
            "echo" => Self::Echo,
            "echo-headers" => Self::EchoHeaders,
            "slow-ping" => Self::SlowPing,
            "body-cap" => Self::BodyCap,
            "slow-invoke" => Self::SlowInvoke,
            "dial-out" => Self::DialOut,
            _ => return None,
        })
    }
}

/// Every accepted `SAMPLE_MODE` value, for the start-up error.
const MODE_NAMES: &str = "normal, never-ready, crash-after-ready, error500, hang, huge, slow-start, listen-localhost, echo, echo-headers, slow-ping, body-cap, slow-invoke, dial-out";

/// Size of the `huge` answer.
pub const HUGE_BODY_BYTES: usize = 50 * 1024 * 1024;

/// `body-cap`'s limit: nginx's `client_max_body_size 5m` (5 MiB).
pub const BODY_CAP_BYTES: usize = 5 * 1024 * 1024;

/// `SAMPLE_PING_DELAY_MS` when unset.
pub const DEFAULT_PING_DELAY: Duration = Duration::from_millis(3000);

/// `SAMPLE_INVOKE_DELAY_MS` when unset.
pub const DEFAULT_INVOKE_DELAY: Duration = Duration::from_millis(70_000);

/// Everything `serve` reads from its environment.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `SAMPLE_MODE` (default normal).
    pub mode: ServeMode,
    /// `SAGEMAKER_BIND_TO_PORT` (default 8080; 0 picks a free port, for tests).
    pub port: u16,
    /// `SAGEMAKER_MAX_PAYLOAD_IN_MB` in bytes (default 6 MiB); `None` when 0 (no limit).
    pub max_payload: Option<usize>,
    /// `SAMPLE_START_DELAY` seconds for `slow-start` (default 10).
    pub start_delay: Duration,
    /// `SAMPLE_DELAY_MS` before each `echo` answer (default 0): lets tests
    /// see whether invocations really run in parallel.
    pub echo_delay: Duration,
    /// `SAMPLE_PING_DELAY_MS` before each `slow-ping` answer (default 3000).
    pub ping_delay: Duration,
    /// `SAMPLE_INVOKE_DELAY_MS` before each `slow-invoke` answer (default 70000).
    pub invoke_delay: Duration,
    /// `SAMPLE_METERING`: every answered invocation carries
    /// `X-Amzn-Inference-Metering` — `{"Dimension": "inference.count",
    /// "ConsumedUnits": N}` for a number N, any other value as it is (a
    /// malformed header, for tests of the platform's bounds).
    pub metering: Option<String>,
    /// `SAMPLE_LOG_INVOCATIONS` (any value but `0`): every invocation logs
    /// a line, so a test can tell which of several containers served.
    pub log_invocations: bool,
}

impl Settings {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, String> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads settings through `get` (a map in tests).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let var = |k: &str| {
            get(k)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let mode = match var("SAMPLE_MODE") {
            None => ServeMode::Normal,
            Some(m) => ServeMode::parse(&m).ok_or_else(|| {
                format!("unknown SAMPLE_MODE {m:?}; expected one of {MODE_NAMES}")
            })?,
        };
        let port = match var("SAGEMAKER_BIND_TO_PORT") {
            None => 8080,
            Some(p) => p
                .parse()
                .map_err(|_| format!("SAGEMAKER_BIND_TO_PORT {p:?} is not a port number"))?,
        };
        let max_payload = match var("SAGEMAKER_MAX_PAYLOAD_IN_MB") {
            None => Some(6 * 1024 * 1024),
            Some(v) => match v.parse::<usize>() {
                Ok(0) => None,
                Ok(mb) => Some(mb.saturating_mul(1024 * 1024)),
                Err(_) => {
                    return Err(format!(
                        "SAGEMAKER_MAX_PAYLOAD_IN_MB {v:?} is not an integer"
                    ))
                }
            },
        };
        let start_delay = match var("SAMPLE_START_DELAY") {
            None => Duration::from_secs(10),
            Some(v) => v
                .parse::<f64>()
                .ok()
                .and_then(|s| Duration::try_from_secs_f64(s).ok())
                .ok_or_else(|| format!("SAMPLE_START_DELAY {v:?} is not a number of seconds"))?,
        };
        let millis = |key: &str, default: Duration| match var(key) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .map(Duration::from_millis)
                .map_err(|_| format!("{key} {v:?} is not a number of milliseconds")),
        };
        let echo_delay = millis("SAMPLE_DELAY_MS", Duration::ZERO)?;
        let ping_delay = millis("SAMPLE_PING_DELAY_MS", DEFAULT_PING_DELAY)?;
        let invoke_delay = millis("SAMPLE_INVOKE_DELAY_MS", DEFAULT_INVOKE_DELAY)?;
        let metering = var("SAMPLE_METERING").map(|v| match v.parse::<u64>() {
            Ok(n) => format!(r#"{{"Dimension": "inference.count", "ConsumedUnits": {n}}}"#),
            Err(_) => v,
        });
        let log_invocations = var("SAMPLE_LOG_INVOCATIONS").is_some_and(|v| v != "0");
        Ok(Self {
            metering,
            log_invocations,
            mode,
            port,
            max_payload,
            start_delay,
            echo_delay,
            ping_delay,
            invoke_delay,
        })
    }
}

/// `body-cap`: whether nginx with `client_max_body_size 5m` refuses a body
/// of `len` bytes (it refuses only what is strictly larger).
pub fn over_body_cap(len: usize) -> bool {
    len > BODY_CAP_BYTES
}

/// The page nginx 1.22 (Debian bookworm, as in AWS's scikit sample) sends
/// with its 413, byte for byte: CRLF line ends, server tag in the footer.
pub const NGINX_413_PAGE: &str = "<html>\r\n<head><title>413 Request Entity Too Large</title></head>\r\n<body>\r\n<center><h1>413 Request Entity Too Large</h1></center>\r\n<hr><center>nginx/1.22.1</center>\r\n</body>\r\n</html>\r\n";

/// nginx's `Server` header to go with [`NGINX_413_PAGE`].
pub const NGINX_SERVER: &str = "nginx/1.22.1";

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn parse(env: &[(&str, &str)]) -> Result<Settings, String> {
        let map: HashMap<&str, &str> = env.iter().copied().collect();
        Settings::from_lookup(|k| map.get(k).map(|v| v.to_string()))
    }

    #[test]
    fn metering_sends_a_count_or_the_value_as_it_is() {
        let s = parse(&[("SAMPLE_METERING", "5")]).unwrap();
        assert_eq!(
            s.metering.as_deref(),
            Some(r#"{"Dimension": "inference.count", "ConsumedUnits": 5}"#)
        );
        let s = parse(&[("SAMPLE_METERING", "{oops")]).unwrap();
        assert_eq!(s.metering.as_deref(), Some("{oops"));
        assert_eq!(parse(&[]).unwrap().metering, None);
    }

    #[test]
    fn body_cap_is_nginx_5m() {
        assert_eq!(BODY_CAP_BYTES, 5_242_880);
        assert!(!over_body_cap(0));
        assert!(!over_body_cap(5_242_880));
        assert!(over_body_cap(5_242_881));
    }

    #[test]
    fn new_modes_and_their_delays() {
        let s = parse(&[("SAMPLE_MODE", "slow-ping")]).unwrap();
        assert_eq!(s.mode, ServeMode::SlowPing);
        assert_eq!(s.ping_delay, Duration::from_millis(3000));
        assert_eq!(s.invoke_delay, Duration::from_millis(70_000));
        let s = parse(&[
            ("SAMPLE_MODE", " slow-invoke "),
            ("SAMPLE_INVOKE_DELAY_MS", "1500"),
            ("SAMPLE_PING_DELAY_MS", "250"),
        ])
        .unwrap();
        assert_eq!(s.mode, ServeMode::SlowInvoke);
        assert_eq!(s.invoke_delay, Duration::from_millis(1500));
        assert_eq!(s.ping_delay, Duration::from_millis(250));
        assert_eq!(
            parse(&[("SAMPLE_MODE", "body-cap")]).unwrap().mode,
            ServeMode::BodyCap
        );
        assert_eq!(
            parse(&[("SAMPLE_MODE", "dial-out")]).unwrap().mode,
            ServeMode::DialOut
        );
    }

    #[test]
    fn bad_values_are_refused_with_the_key() {
        let e = parse(&[("SAMPLE_PING_DELAY_MS", "3s")]).unwrap_err();
        assert!(e.contains("SAMPLE_PING_DELAY_MS"), "{e}");
        let e = parse(&[("SAMPLE_INVOKE_DELAY_MS", "-1")]).unwrap_err();
        assert!(e.contains("SAMPLE_INVOKE_DELAY_MS"), "{e}");
        let e = parse(&[("SAMPLE_MODE", "dial_out")]).unwrap_err();
        assert!(e.contains("dial-out"), "{e}");
    }
}
