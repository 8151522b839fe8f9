//! The spinner: on stderr, only when stderr is a terminal and output is for
//! people.

use std::cell::RefCell;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

pub struct Spinner {
    enabled: bool,
    bar: RefCell<Option<ProgressBar>>,
    /// Whether the running spinner was started automatically for a request
    /// (and so should stop with it) rather than by the plugin.
    auto: RefCell<bool>,
}

impl Spinner {
    pub fn new(enabled: bool) -> Self {
        Spinner {
            enabled,
            bar: RefCell::new(None),
            auto: RefCell::new(false),
        }
    }

    /// Shows `message`, replacing any current one.
    pub fn start(&self, message: &str) {
        if !self.enabled {
            return;
        }
        *self.auto.borrow_mut() = false;
        let mut slot = self.bar.borrow_mut();
        match slot.as_ref() {
            Some(bar) => bar.set_message(message.to_owned()),
            None => {
                let bar = ProgressBar::new_spinner();
                bar.set_style(
                    ProgressStyle::with_template("{spinner} {msg}")
                        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                );
                bar.set_message(message.to_owned());
                bar.enable_steady_tick(Duration::from_millis(90));
                *slot = Some(bar);
            }
        }
    }

    /// Starts a spinner for a request unless the plugin already shows one.
    pub fn start_if_idle(&self, message: &str) {
        if self.enabled && self.bar.borrow().is_none() {
            self.start(message);
            *self.auto.borrow_mut() = true;
        }
    }

    pub fn stop_if_auto(&self) {
        if *self.auto.borrow() {
            self.stop();
        }
    }

    pub fn stop(&self) {
        if let Some(bar) = self.bar.borrow_mut().take() {
            bar.finish_and_clear();
        }
        *self.auto.borrow_mut() = false;
    }

    /// Runs `f` with the spinner hidden, so log lines do not tangle with it.
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        match self.bar.borrow().as_ref() {
            Some(bar) => bar.suspend(f),
            None => f(),
        }
    }
}
