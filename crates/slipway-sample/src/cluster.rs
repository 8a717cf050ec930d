//! Distributed training: when `resourceconfig.json` lists several hosts,
//! each host counts the records of its share of the `train` channel and
//! sends the count to the first host (`algo-1`) over TCP, by hostname;
//! `algo-1` sums them and answers every host with the total. Every host
//! writes its share's report (`output/data/share.json`); `algo-1` trains
//! and writes the model, with `model/cluster.json` saying what each host
//! had. That is the contract a platform must honour: the hosts find each
//! other by the names in `hosts`, and nothing else is needed.
//!
//! `fail_host=algo-2` makes that host fail before the exchange (so the
//! others wait for it until the platform stops them); `probe` lists
//! `host:port` addresses each host tries to connect to and reports, so a
//! test can show from inside what the container can reach.

use crate::hyperparams::Hyperparameters;
use crate::paths::MlRoot;
use crate::{data, say};
use hickory_resolver::config::{ResolveHosts, ResolverConfig, ResolverOpts};
use hickory_resolver::name_server::TokioConnectionProvider;
use hickory_resolver::Resolver;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// The port `algo-1` listens on for the other hosts' counts.
pub const PORT: u16 = 7777;

/// How long the whole exchange may take (the hosts start at about the
/// same time; a host that never comes is the platform's to stop).
pub const EXCHANGE_TIMEOUT: Duration = Duration::from_secs(300);

/// One probe's connect timeout.
const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// Longest line a host may send (`algo-12 123456789\n`).
const MAX_LINE: u64 = 256;

/// The hosts of the job, from `resourceconfig.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cluster {
    pub current: String,
    /// As listed: `hosts[0]` collects the counts.
    pub hosts: Vec<String>,
}

impl Cluster {
    /// The cluster when the job runs on several hosts; `None` for one
    /// host (or no readable resource config: single-host behaviour).
    pub fn read(root: &MlRoot) -> Option<Self> {
        let text = std::fs::read_to_string(root.config_file("resourceconfig.json")).ok()?;
        Self::parse(&text)
    }

    pub fn parse(text: &str) -> Option<Self> {
        let cfg: Value = serde_json::from_str(text).ok()?;
        let current = cfg.get("current_host")?.as_str()?.to_owned();
        let hosts: Vec<String> = cfg
            .get("hosts")?
            .as_array()?
            .iter()
            .filter_map(|h| h.as_str().map(str::to_owned))
            .collect();
        (hosts.len() > 1 && hosts.contains(&current)).then_some(Self { current, hosts })
    }

    pub fn leader(&self) -> &str {
        &self.hosts[0]
    }

    pub fn is_leader(&self) -> bool {
        self.current == self.leader()
    }
}

/// What `algo-1` learned from the exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub records_by_host: BTreeMap<String, u64>,
    pub total: u64,
}

/// This host's part of a distributed job. `Ok(None)`: a host other than
/// `algo-1`, done (exit 0); `Ok(Some)`: `algo-1`, which goes on to train.
/// `records`: this host's share of `train`, counted by the caller.
pub fn run_host(
    hp: &Hyperparameters,
    c: &Cluster,
    root: &MlRoot,
    records: u64,
) -> Result<Option<Summary>, String> {
    say!(
        "cluster: this is {} of {} host(s) {:?}",
        c.current,
        c.hosts.len(),
        c.hosts
    );
    if hp.fail_host.as_deref() == Some(c.current.as_str()) {
        return Err(format!(
            "fail_host={}: this host was asked to fail (hyperparameter fail_host)",
            c.current
        ));
    }
    say!("cluster: {} record(s) in this host's share", records);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start a runtime: {e}"))?;
    let exchanged =
        rt.block_on(async { tokio::time::timeout(EXCHANGE_TIMEOUT, exchange(c, records)).await });
    let summary = match exchanged {
        Ok(r) => r?,
        Err(_) => {
            return Err(format!(
                "cluster: the exchange with the other hosts did not finish within {} s",
                EXCHANGE_TIMEOUT.as_secs()
            ))
        }
    };
    say!(
        "cluster: {} record(s) in all across {} host(s)",
        summary.total,
        c.hosts.len()
    );
    let share = json!({"host": c.current, "records": records, "total_records": summary.total});
    let out = root.output_data_dir();
    std::fs::create_dir_all(&out)
        .and_then(|()| std::fs::write(out.join("share.json"), format!("{share:#}\n")))
        .map_err(|e| format!("cannot write share.json in {}: {e}", out.display()))?;
    Ok(c.is_leader().then_some(summary))
}

/// `model/cluster.json` of `algo-1`.
pub fn cluster_json(c: &Cluster, s: &Summary) -> Value {
    json!({"hosts": c.hosts, "records_by_host": s.records_by_host, "total_records": s.total})
}

/// Records in this host's share of `train` (a sharded channel may leave a
/// host nothing: an empty directory is 0 records, not an error).
pub fn share_records(root: &MlRoot) -> Result<u64, String> {
    let dir = root.channel_dir("train");
    if !dir.is_dir() || data::files_under(&dir)?.is_empty() {
        return Ok(0);
    }
    let set = data::load_channel(&dir).map_err(|e| format!("channel \"train\": {e}"))?;
    Ok(set.len() as u64)
}

async fn exchange(c: &Cluster, records: u64) -> Result<Summary, String> {
    if c.is_leader() {
        collect(c, records).await
    } else {
        report(c, records).await
    }
}

/// `algo-1`: one line `<host> <records>` from every other host, then the
/// total back to each.
async fn collect(c: &Cluster, records: u64) -> Result<Summary, String> {
    let listener = TcpListener::bind(("0.0.0.0", PORT))
        .await
        .map_err(|e| format!("cannot listen on port {PORT}: {e}"))?;
    say!(
        "cluster: waiting for {} host(s) on port {PORT}",
        c.hosts.len() - 1
    );
    let mut by_host = BTreeMap::from([(c.current.clone(), records)]);
    let mut peers = Vec::new();
    while by_host.len() < c.hosts.len() {
        let (stream, from) = listener
            .accept()
            .await
            .map_err(|e| format!("accepting a host: {e}"))?;
        let mut reader = BufReader::new(stream);
        let mut line = String::new();
        (&mut reader)
            .take(MAX_LINE)
            .read_line(&mut line)
            .await
            .map_err(|e| format!("reading from {from}: {e}"))?;
        let mut parts = line.split_whitespace();
        let (Some(host), Some(Ok(n))) = (parts.next(), parts.next().map(str::parse::<u64>)) else {
            say!("cluster: ignoring {from}: it sent {:?}", line.trim());
            continue;
        };
        if !c.hosts.iter().any(|h| h == host) {
            say!("cluster: ignoring {from}: {host} is not a host of this job");
            continue;
        }
        say!("cluster: {host} ({from}) has {n} record(s)");
        by_host.insert(host.to_owned(), n);
        peers.push(reader.into_inner());
    }
    let total = by_host.values().sum();
    for mut p in peers {
        // A host that left early only loses its acknowledgement.
        let _ = p.write_all(format!("total {total}\n").as_bytes()).await;
    }
    Ok(Summary {
        records_by_host: by_host,
        total,
    })
}

/// Any other host: finds `algo-1` by name (it may not be listening yet, so
/// retry), sends its count and reads the total.
async fn report(c: &Cluster, records: u64) -> Result<Summary, String> {
    let resolver = resolver();
    let leader = c.leader();
    let mut last = String::new();
    for attempt in 0u32.. {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        let ips = match resolver.lookup_ip(leader).await {
            Ok(ips) => ips.iter().collect::<Vec<IpAddr>>(),
            Err(e) => {
                last = format!("cannot resolve {leader}: {e}");
                continue;
            }
        };
        for ip in ips {
            let addr = SocketAddr::new(ip, PORT);
            let Ok(Ok(mut stream)) =
                tokio::time::timeout(PROBE_TIMEOUT, TcpStream::connect(addr)).await
            else {
                last = format!("cannot connect to {leader} ({addr})");
                continue;
            };
            say!("cluster: reached {leader} at {addr}; sending {records} record(s)");
            stream
                .write_all(format!("{} {records}\n", c.current).as_bytes())
                .await
                .map_err(|e| format!("sending to {leader}: {e}"))?;
            let mut line = String::new();
            BufReader::new(stream)
                .take(MAX_LINE)
                .read_line(&mut line)
                .await
                .map_err(|e| format!("reading {leader}'s answer: {e}"))?;
            let total = line
                .trim()
                .strip_prefix("total ")
                .and_then(|t| t.parse::<u64>().ok())
                .ok_or_else(|| format!("{leader} answered {:?}, not a total", line.trim()))?;
            return Ok(Summary {
                records_by_host: BTreeMap::from([(c.current.clone(), records)]),
                total,
            });
        }
        if attempt % 10 == 0 {
            say!("cluster: {last}; retrying");
        }
    }
    Err(last)
}

/// Through `/etc/resolv.conf` (the engine's DNS knows the hosts), never
/// glibc: the image is static and FROM scratch.
fn resolver() -> Resolver<TokioConnectionProvider> {
    let (config, mut opts) = hickory_resolver::system_conf::read_system_conf()
        .unwrap_or_else(|_| (ResolverConfig::default(), ResolverOpts::default()));
    opts.timeout = Duration::from_secs(2);
    opts.attempts = 1;
    opts.use_hosts_file = ResolveHosts::Auto;
    // Every answer is asked for again: a host not yet registered must not
    // stay "missing" from a cached negative answer.
    opts.cache_size = 0;
    Resolver::builder_with_config(config, TokioConnectionProvider::default())
        .with_options(opts)
        .build()
}

/// Tries to connect to each `host:port` of `targets` and says what
/// happened (`gateway` stands for the first nameserver of
/// `/etc/resolv.conf`: on a container network, the host's side of it).
pub fn probe_all(targets: &[String]) {
    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        say!("probe: cannot start a runtime");
        return;
    };
    rt.block_on(async {
        for t in targets {
            let outcome = probe(t).await;
            match outcome {
                Ok(addr) => say!("probe {t}: reached ({addr})"),
                Err(why) => say!("probe {t}: unreachable ({why})"),
            }
        }
    });
}

async fn probe(target: &str) -> Result<SocketAddr, String> {
    let (host, port) = target
        .rsplit_once(':')
        .and_then(|(h, p)| Some((h, p.parse::<u16>().ok()?)))
        .ok_or_else(|| "not host:port".to_owned())?;
    let ip: IpAddr = if host == "gateway" {
        gateway().ok_or_else(|| "no nameserver in /etc/resolv.conf".to_owned())?
    } else if let Ok(ip) = host.parse() {
        ip
    } else {
        let ips = resolver()
            .lookup_ip(host)
            .await
            .map_err(|e| format!("cannot resolve {host}: {e}"))?;
        ips.iter()
            .next()
            .ok_or_else(|| format!("{host} has no address"))?
    };
    let addr = SocketAddr::new(ip, port);
    match tokio::time::timeout(PROBE_TIMEOUT, TcpStream::connect(addr)).await {
        Ok(Ok(_)) => Ok(addr),
        Ok(Err(e)) => Err(format!("{addr}: {e}")),
        Err(_) => Err(format!(
            "{addr}: no answer within {} s",
            PROBE_TIMEOUT.as_secs()
        )),
    }
}

fn gateway() -> Option<IpAddr> {
    let text = std::fs::read_to_string("/etc/resolv.conf").ok()?;
    text.lines().find_map(|l| {
        let rest = l.trim().strip_prefix("nameserver")?;
        rest.trim().parse().ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_host_is_no_cluster() {
        let one = r#"{"current_host":"algo-1","hosts":["algo-1"]}"#;
        assert_eq!(Cluster::parse(one), None);
        let two = r#"{"current_host":"algo-2","hosts":["algo-1","algo-2"]}"#;
        let c = Cluster::parse(two).unwrap();
        assert_eq!((c.leader(), c.is_leader()), ("algo-1", false));
        let stranger = r#"{"current_host":"algo-9","hosts":["algo-1","algo-2"]}"#;
        assert_eq!(Cluster::parse(stranger), None);
    }
}
