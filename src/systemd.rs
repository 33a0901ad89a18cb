//! Talking to systemd: READY=1 once the listener is up, STOPPING=1 on a
//! stop signal, and watchdog pings only while the store's group commit
//! still makes writes durable. A ping that cannot notice a stuck flusher
//! would keep a useless appliance alive. Outside systemd (no NOTIFY_SOCKET,
//! no WATCHDOG_USEC) all of this does nothing.
//!
//! Log lines written to the journal start with their syslog priority
//! (`<3>` …), so `journalctl -p err` finds the errors.

use std::sync::Arc;

use sd_notify::NotifyState;

use crate::service::Service;

fn notify(states: &[NotifyState]) {
    if let Err(e) = sd_notify::notify(states) {
        log::warn!("notifying systemd: {e}");
    }
}

/// The appliance takes requests.
pub fn ready(status: &str) {
    notify(&[NotifyState::Ready, NotifyState::Status(status)]);
}

/// The appliance is draining and will exit.
pub fn stopping() {
    notify(&[NotifyState::Stopping]);
}

/// Pings the watchdog every half period while the group commit is healthy:
/// its flush thread runs and no writer has waited more than half a period.
/// Returns at once when systemd asked for no watchdog.
pub async fn watchdog(service: Arc<Service>) {
    let Some(period) = sd_notify::watchdog_enabled() else {
        return;
    };
    let every = period / 2;
    log::info!("systemd watchdog: pinging every {every:?} while flushes keep up");
    let mut tick = tokio::time::interval(every);
    let mut healthy = true;
    loop {
        tick.tick().await;
        match service.store.commit_health(every) {
            Ok(()) => {
                if !healthy {
                    log::warn!("flushes keep up again; pinging the watchdog");
                }
                healthy = true;
                notify(&[NotifyState::Watchdog]);
            }
            Err(e) => {
                if healthy {
                    log::error!("withholding the watchdog ping: {e}");
                }
                healthy = false;
            }
        }
    }
}

/// Whether stderr goes to the journal: systemd sets `JOURNAL_STREAM` for a
/// unit whose output it collects.
pub fn logs_to_journal() -> bool {
    std::env::var_os("JOURNAL_STREAM").is_some()
}

/// One log line for the journal: the record's syslog priority as the
/// prefix journald reads (sd-daemon(3)), then the text.
pub fn journal_line(level: log::Level, target: &str, text: &std::fmt::Arguments) -> String {
    let priority = match level {
        log::Level::Error => 3,
        log::Level::Warn => 4,
        log::Level::Info => 6,
        log::Level::Debug | log::Level::Trace => 7,
    };
    format!("<{priority}>{target}: {text}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use log::Level;

    #[test]
    fn journal_lines_carry_the_syslog_priority() {
        for (level, want) in [
            (Level::Error, "<3>outpost: disk full"),
            (Level::Warn, "<4>outpost: disk full"),
            (Level::Info, "<6>outpost: disk full"),
            (Level::Debug, "<7>outpost: disk full"),
            (Level::Trace, "<7>outpost: disk full"),
        ] {
            assert_eq!(
                journal_line(level, "outpost", &format_args!("disk {}", "full")),
                want
            );
        }
    }
}
