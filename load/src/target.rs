//! The appliance under load: one this program starts from the `outpost`
//! binary (temp data dir, site, terminals, active mode), or one already
//! running that it is pointed at.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::traffic::Terminal;

#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error("{what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
    #[error("outpost {args}: {stderr}")]
    Command { args: String, stderr: String },
    #[error("outpost serve did not say where it listens: {0:?}")]
    Listen(String),
    #[error("--url {0:?}: expected https://HOST:PORT/")]
    Url(String),
}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> TargetError {
    let what = what.into();
    move |source| TargetError::Io { what, source }
}

/// Memory of the server process, from /proc/<pid>/status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rss {
    /// Resident now, KiB.
    pub now_kib: u64,
    /// Highest resident so far (VmHWM), KiB.
    pub peak_kib: u64,
}

impl std::fmt::Display for Rss {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "VmRSS {:.1} MiB, VmHWM {:.1} MiB",
            self.now_kib as f64 / 1024.0,
            self.peak_kib as f64 / 1024.0
        )
    }
}

/// Reads VmRSS and VmHWM out of a /proc/<pid>/status text.
pub fn parse_status(status: &str) -> Rss {
    let kib = |key: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    };
    Rss {
        now_kib: kib("VmRSS:"),
        peak_kib: kib("VmHWM:"),
    }
}

pub fn rss_of(pid: u32) -> Option<Rss> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .map(|s| parse_status(&s))
}

/// Where the load goes.
pub struct Target {
    pub addr: SocketAddr,
    pub cert: PathBuf,
    pub terminals: Vec<Terminal>,
    /// The process, when this program started it.
    pub server: Option<Server>,
    /// The pid to read memory from, for an appliance started elsewhere.
    pub pid: Option<u32>,
}

impl Target {
    /// An appliance started elsewhere: `https://HOST:PORT/`, its certificate
    /// and the terminals provisioned on it.
    pub fn remote(
        url: &str,
        cert: PathBuf,
        terminals: Vec<Terminal>,
        pid: Option<u32>,
    ) -> Result<Target, TargetError> {
        let addr = url
            .strip_prefix("https://")
            .map(|s| s.trim_end_matches('/'))
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| TargetError::Url(url.to_string()))?;
        Ok(Target {
            addr,
            cert,
            terminals,
            server: None,
            pid,
        })
    }

    /// A server this program started and is running.
    pub fn local(server: Server, terminals: usize) -> Target {
        Target {
            addr: server.addr,
            cert: server.dir.join("tls").join("cert.pem"),
            terminals: (0..terminals).map(Terminal::numbered).collect(),
            pid: None,
            server: Some(server),
        }
    }

    /// Starts the local server again (after a kill or a stop); returns the
    /// time until it listened. It listens on a new port.
    pub fn restart(&mut self) -> Result<Duration, TargetError> {
        let s = self
            .server
            .as_mut()
            .expect("only a local appliance restarts");
        let ready = s.start()?;
        self.addr = s.addr;
        Ok(ready)
    }

    pub fn rss(&self) -> Option<Rss> {
        rss_of(self.server.as_ref().and_then(Server::pid).or(self.pid)?)
    }

    pub fn client(&self, keep_alive: bool) -> outpost::client::Client {
        outpost::client::Client::new(self.addr, &self.cert, keep_alive)
            .expect("the certificate was read when the target was set up")
    }
}

/// An `outpost serve` process on a data directory this program provisioned.
pub struct Server {
    bin: PathBuf,
    pub dir: PathBuf,
    _temp: Option<tempfile::TempDir>,
    child: Option<Child>,
    pub addr: SocketAddr,
}

/// Terminals already provisioned in a data directory (a marker file, so a
/// kept directory is not provisioned twice).
const MARKER: &str = "load-terminals";

impl Server {
    /// A data directory with site block 17, `terminals` declarants and
    /// active mode. `dir = None`: a temp directory removed on drop. An
    /// existing directory keeps its data; missing terminals are added.
    /// `config`: the text of an outpost.toml to write, if any.
    pub fn provision(
        bin: &Path,
        dir: Option<PathBuf>,
        terminals: usize,
        config: Option<&str>,
    ) -> Result<Server, TargetError> {
        let (dir, temp) = match dir {
            Some(d) => (d, None),
            None => {
                let t = tempfile::Builder::new()
                    .prefix("outpost-load-")
                    .tempdir()
                    .map_err(io("temp dir"))?;
                (t.path().join("appliance"), Some(t))
            }
        };
        std::fs::create_dir_all(&dir).map_err(io(dir.display().to_string()))?;
        let s = Server {
            bin: bin.to_path_buf(),
            dir,
            _temp: temp,
            child: None,
            addr: "127.0.0.1:0".parse().expect("literal"),
        };
        if let Some(text) = config {
            let p = s.dir.join("outpost.toml");
            std::fs::write(&p, text).map_err(io(p.display().to_string()))?;
        }
        let marker = s.dir.join(MARKER);
        let have: usize = std::fs::read_to_string(&marker)
            .ok()
            .and_then(|t| t.trim().parse().ok())
            .unwrap_or(0);
        if have == 0 {
            // A block holds 999,999 imports; the second lets a scale run
            // measure intake past a million.
            s.outpost(&[
                "init",
                "--site",
                "17",
                "--extra-block",
                "117",
                "--name",
                "load test",
            ])?;
            s.outpost(&["mode", "active", "--reason", "load test"])?;
        }
        for n in have..terminals {
            let t = Terminal::numbered(n);
            s.outpost(&[
                "user",
                "add",
                "--code",
                &t.user,
                "--password",
                &t.password,
                "--terminal",
                &t.id,
                "--access-key",
                &t.key,
                "--tax-code",
                &t.tax_code,
            ])?;
        }
        if terminals > have {
            std::fs::write(&marker, terminals.to_string()).map_err(io("marker"))?;
        }
        Ok(s)
    }

    /// Runs an `outpost` command on this data directory.
    pub fn outpost(&self, args: &[&str]) -> Result<String, TargetError> {
        let out = Command::new(&self.bin)
            .arg("--data-dir")
            .arg(&self.dir)
            .args(args)
            .env("RUST_LOG", "warn")
            .output()
            .map_err(io(format!("running {}", self.bin.display())))?;
        if !out.status.success() {
            return Err(TargetError::Command {
                args: args.join(" "),
                stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
            });
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Starts `outpost serve` on a free loopback port; returns how long it
    /// took until it listened (store opened, ready for requests). Its log
    /// goes to the temp directory, off the filesystem under test.
    pub fn start(&mut self) -> Result<Duration, TargetError> {
        let log_path = self.log_path();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .map_err(io(log_path.display().to_string()))?;
        let started = Instant::now();
        let mut child = Command::new(&self.bin)
            .arg("--data-dir")
            .arg(&self.dir)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .map_err(io(format!("starting {}", self.bin.display())))?;
        let mut lines = BufReader::new(child.stdout.take().expect("piped")).lines();
        let line = lines.next().and_then(Result::ok).unwrap_or_default();
        let ready = started.elapsed();
        let addr = line
            .split("https://")
            .nth(1)
            .and_then(|s| s.split('/').next())
            .and_then(|s| s.parse().ok());
        let Some(addr) = addr else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(TargetError::Listen(format!(
                "{line} (see {})",
                log_path.display()
            )));
        };
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        self.addr = addr;
        self.child = Some(child);
        Ok(ready)
    }

    pub fn log_path(&self) -> PathBuf {
        std::env::temp_dir().join(format!("outpost-load-{}.log", std::process::id()))
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// How the process ended, when it has exited by itself within `limit`.
    pub fn exited_within(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.as_mut()?.try_wait().ok().flatten() {
                self.child = None;
                return Some(status);
            }
            if started.elapsed() >= limit {
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn signal(&mut self, sig: i32) -> Option<std::process::ExitStatus> {
        let mut child = self.child.take()?;
        // SAFETY: kill(2) on our own child's pid has no memory effects.
        unsafe { libc::kill(child.id() as i32, sig) };
        child.wait().ok()
    }

    /// SIGKILL: no chance to flush anything.
    pub fn kill9(&mut self) {
        self.signal(libc::SIGKILL);
    }

    /// SIGTERM and wait: a clean stop.
    pub fn stop(&mut self) -> Option<std::process::ExitStatus> {
        self.signal(libc::SIGTERM)
    }

    /// SIGTERM, then SIGKILL if it has not exited within `grace`. Says
    /// which it took.
    pub fn stop_within(&mut self, grace: Duration) -> String {
        let Some(mut child) = self.child.take() else {
            return "not running".into();
        };
        let started = Instant::now();
        // SAFETY: kill(2) on our own child's pid has no memory effects.
        unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
        while started.elapsed() < grace {
            if let Ok(Some(st)) = child.try_wait() {
                return format!("exited ({st}) after {} ms", started.elapsed().as_millis());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
        format!(
            "still running after {} s; killed with SIGKILL",
            grace.as_secs()
        )
    }

    /// Bytes the data directory takes on disk (allocated blocks).
    pub fn disk_bytes(&self) -> u64 {
        disk_usage(&self.dir)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill9();
    }
}

fn disk_usage(p: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    let Ok(meta) = std::fs::symlink_metadata(p) else {
        return 0;
    };
    let own = meta.blocks() * 512;
    if !meta.is_dir() {
        return own;
    }
    own + std::fs::read_dir(p)
        .map(|rd| rd.flatten().map(|e| disk_usage(&e.path())).sum())
        .unwrap_or(0)
}

/// Lets this process (and the server it starts) open as many files as the
/// hard limit allows: thousands of connections need as many descriptors.
pub fn raise_fd_limit() -> u64 {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit write and read a plain struct we own.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return 0;
        }
        lim.rlim_cur = lim.rlim_max;
        libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
    }
    lim.rlim_cur
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_from_proc_status() {
        let status =
            "Name:\toutpost\nVmPeak:\t  900000 kB\nVmHWM:\t   52344 kB\nVmRSS:\t   40960 kB\n";
        assert_eq!(
            parse_status(status),
            Rss {
                now_kib: 40960,
                peak_kib: 52344
            }
        );
        assert_eq!(parse_status("Name:\tx\n"), Rss::default());
        assert_eq!(
            Rss {
                now_kib: 1024,
                peak_kib: 2048
            }
            .to_string(),
            "VmRSS 1.0 MiB, VmHWM 2.0 MiB"
        );
    }

    #[test]
    fn remote_targets_need_an_https_address() {
        let t = Target::remote("https://127.0.0.1:8443/", "c.pem".into(), vec![], None).unwrap();
        assert_eq!(t.addr, "127.0.0.1:8443".parse().unwrap());
        for bad in [
            "http://127.0.0.1:8443/",
            "https://localhost/",
            "127.0.0.1:1",
        ] {
            assert!(
                Target::remote(bad, "c.pem".into(), vec![], None).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn disk_usage_counts_nested_files() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir(d.path().join("sub")).unwrap();
        std::fs::write(d.path().join("sub").join("f"), vec![1u8; 100_000]).unwrap();
        assert!(disk_usage(d.path()) >= 100_000);
    }
}
