//! A tmux server of a test's own, driven by keys and read by `capture-pane`, as a user over SSH
//! would use the explorer.

use std::process::Command;
use std::time::{Duration, Instant};

/// A tmux server of this test's own, killed on drop.
pub struct Tmux {
    pub socket: String,
}

impl Tmux {
    pub fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux").arg("-L").arg(&self.socket).args(args).output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "e2e"])
    }

    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "e2e"];
        args.extend_from_slice(keys);
        self.run(&args);
    }

    /// Waits until the screen contains every needle, or fails showing the screen.
    pub fn wait_for(&self, needles: &[&str]) -> String {
        self.wait_until(&format!("{needles:?}"), |s| needles.iter().all(|n| s.contains(n)))
    }

    /// Waits until the screen no longer contains `needle`.
    pub fn wait_gone(&self, needle: &str) -> String {
        self.wait_until(&format!("{needle:?} to go"), |s| !s.contains(needle))
    }

    pub fn wait_until(&self, what: &str, done: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let screen = self.screen();
            if done(&screen) {
                return screen;
            }
            assert!(Instant::now() < deadline, "waited for {what}; the screen shows:\n{screen}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux").args(["-L", &self.socket, "kill-server"]).output();
    }
}
