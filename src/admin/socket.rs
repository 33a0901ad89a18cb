//! The admin socket's protocol. The command line sends one command as a
//! JSON line; the process that holds the store answers with JSON lines
//! (`Frame`): progress while the command runs, data for the command line to
//! write itself, and last the outcome. Data goes back rather than to a path
//! the process opens because the appliance runs sandboxed
//! (`ProtectSystem=strict`): the file an operator asks for, say on a USB
//! stick, must be written with the operator's rights, not the service's.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;

use super::{socket_path, Outcome};

/// One line of an answer on the admin socket.
#[derive(Debug, Serialize, Deserialize)]
pub enum Frame {
    /// How far a long command is: `done` of `total` (events, for sync).
    Progress { done: u64, total: u64 },
    /// Bytes of a file the command line writes, in base64.
    Data(String),
    /// The command's answer; nothing follows it.
    Done(Outcome),
}

/// What a command sends back before its outcome.
pub struct Reply(mpsc::Sender<Frame>);

impl Reply {
    /// Progress for a bar. A frame that finds the queue full is dropped:
    /// the next one says more, and the command never waits for a bar.
    pub fn progress(&self, done: u64, total: u64) {
        let _ = self.0.try_send(Frame::Progress { done, total });
    }

    /// A writer whose bytes the command line receives, waiting while it
    /// catches up. It fails once the command line has gone, so the command
    /// stops instead of producing bytes for nobody. Not for async contexts.
    pub fn data(&self) -> impl Write + '_ {
        DataWriter(&self.0)
    }
}

struct DataWriter<'a>(&'a mpsc::Sender<Frame>);

impl Write for DataWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let frame = Frame::Data(base64::engine::general_purpose::STANDARD.encode(buf));
        self.0.blocking_send(frame).map_err(|_| {
            std::io::Error::new(
                std::io::ErrorKind::BrokenPipe,
                "the command line closed the admin socket",
            )
        })?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Runs a command of type `R` in the process that holds the store.
pub type Exec<R> = Arc<dyn Fn(R, &Reply) -> Outcome + Send + Sync>;

/// Sends a command to the process that holds `data_dir` (the appliance or
/// the centre) through its admin socket, and returns its answer.
pub fn remote<R: Serialize>(data_dir: &Path, cmd: &R) -> Outcome {
    remote_streamed(data_dir, cmd, &mut |_, _| {}, None)
}

/// Like `remote`, giving progress to `progress` and the data the command
/// sends back to `data` (an answer with data and no `data` is an error).
pub fn remote_streamed<R: Serialize>(
    data_dir: &Path,
    cmd: &R,
    progress: &mut dyn FnMut(u64, u64),
    mut data: Option<&mut dyn Write>,
) -> Outcome {
    let path = socket_path(data_dir);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async {
        let stream = tokio::net::UnixStream::connect(&path).await.map_err(|e| {
            format!(
                "the data directory is in use, and the appliance's admin socket {} does not answer: {e}",
                path.display()
            )
        })?;
        let (r, mut w) = stream.into_split();
        let mut line = serde_json::to_string(cmd).map_err(|e| e.to_string())?;
        line.push('\n');
        w.write_all(line.as_bytes()).await.map_err(|e| e.to_string())?;
        let mut reader = BufReader::new(r);
        loop {
            let mut answer = String::new();
            let n = reader
                .read_line(&mut answer)
                .await
                .map_err(|e| e.to_string())?;
            if n == 0 {
                return Err("the admin socket closed before the command finished".into());
            }
            let frame = serde_json::from_str::<Frame>(&answer)
                .map_err(|e| format!("unreadable answer from the appliance: {e}"))?;
            match (frame, data.as_deref_mut()) {
                (Frame::Done(out), _) => return out,
                (Frame::Progress { done, total }, _) => progress(done, total),
                (Frame::Data(b64), Some(sink)) => {
                    let bytes = base64::engine::general_purpose::STANDARD
                        .decode(b64.trim_end())
                        .map_err(|e| format!("unreadable data from the appliance: {e}"))?;
                    sink.write_all(&bytes).map_err(|e| e.to_string())?;
                }
                (Frame::Data(_), None) => {
                    return Err("the appliance sent data that this command does not take".into())
                }
            }
        }
    })
}

/// Serves the admin socket until the task is dropped. `exec` runs a command
/// on the blocking pool against the store (the appliance's `Request`, or
/// the centre's commands), sending what it has to send back on the way.
pub async fn serve_socket<R>(listener: tokio::net::UnixListener, exec: Exec<R>)
where
    R: serde::de::DeserializeOwned + std::fmt::Debug + Send + 'static,
{
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let exec = exec.clone();
        tokio::spawn(async move {
            let (r, mut w) = stream.into_split();
            let mut line = String::new();
            // One command per connection; a line longer than this is not ours.
            let mut reader = BufReader::new(r).take(64 * 1024);
            let outcome = match reader.read_line(&mut line).await {
                Err(e) => Err(format!("reading the command: {e}")),
                Ok(_) => match serde_json::from_str::<R>(&line) {
                    Err(e) => Err(format!("unreadable command: {e}")),
                    Ok(cmd) => {
                        let desc = format!("{cmd:?}");
                        let (tx, mut rx) = mpsc::channel(4);
                        let job = tokio::task::spawn_blocking(move || exec(cmd, &Reply(tx)));
                        while let Some(frame) = rx.recv().await {
                            if send(&mut w, &frame).await.is_err() {
                                break;
                            }
                        }
                        // The command line may have gone: the command's next
                        // data then fails instead of waiting for it.
                        drop(rx);
                        let out = job
                            .await
                            .unwrap_or_else(|e| Err(format!("command failed: {e}")));
                        match &out {
                            Ok(_) => log::info!("admin: {}", redact(&desc)),
                            Err(e) => log::warn!("admin: {} refused: {e}", redact(&desc)),
                        }
                        out
                    }
                },
            };
            let _ = send(&mut w, &Frame::Done(outcome)).await;
        });
    }
}

async fn send(w: &mut tokio::net::unix::OwnedWriteHalf, frame: &Frame) -> std::io::Result<()> {
    let mut line = serde_json::to_string(frame)
        .unwrap_or_else(|_| r#"{"Done":{"Err":"unencodable answer"}}"#.into());
    line.push('\n');
    w.write_all(line.as_bytes()).await
}

/// Command description for the log, without secrets.
fn redact(desc: &str) -> String {
    match desc.find("password") {
        Some(i) => format!("{} …", &desc[..i]),
        None => desc.to_string(),
    }
}

/// Binds the admin socket, replacing a stale one, readable by the owner only.
pub fn bind_socket(data_dir: &Path) -> std::io::Result<tokio::net::UnixListener> {
    let path = socket_path(data_dir);
    // We hold the store lock, so no other appliance is using this socket.
    let _ = std::fs::remove_file(&path);
    let listener = tokio::net::UnixListener::bind(&path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(listener)
}
