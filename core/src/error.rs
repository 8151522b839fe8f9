//! The one error type the host reports to users, and its exit codes.

use commet_sdk::wire::{ApiError, PluginError};

/// Exit code for success.
pub const EXIT_OK: u8 = 0;
/// Exit code for API, validation and runtime failures.
pub const EXIT_FAILURE: u8 = 1;
/// Exit code for command-line usage errors.
pub const EXIT_USAGE: u8 = 2;
/// Exit code after Ctrl-C (128 + SIGINT), as shells expect.
pub const EXIT_INTERRUPTED: u8 = 130;

/// Everything that can end a command unsuccessfully.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CliError {
    /// Bad flags or arguments (exit 2).
    #[error("{message}")]
    Usage {
        message: String,
        hint: Option<String>,
    },
    /// The API answered with an error.
    #[error(transparent)]
    Api(Box<ApiError>),
    /// The server could not be reached.
    #[error("{message}")]
    Transport {
        message: String,
        hint: Option<String>,
    },
    /// Anything else that stops the command, with advice.
    #[error("{message}")]
    Failed {
        message: String,
        hint: Option<String>,
    },
    #[error("interrupted")]
    Interrupted,
}

impl CliError {
    pub fn usage(message: impl Into<String>) -> Self {
        CliError::Usage {
            message: message.into(),
            hint: None,
        }
    }

    pub fn failed(message: impl Into<String>) -> Self {
        CliError::Failed {
            message: message.into(),
            hint: None,
        }
    }

    pub fn with_hint(self, text: impl Into<String>) -> Self {
        let text = Some(text.into());
        match self {
            CliError::Usage { message, .. } => CliError::Usage {
                message,
                hint: text,
            },
            CliError::Transport { message, .. } => CliError::Transport {
                message,
                hint: text,
            },
            CliError::Failed { message, .. } => CliError::Failed {
                message,
                hint: text,
            },
            other => other,
        }
    }

    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage { .. } => EXIT_USAGE,
            CliError::Interrupted => EXIT_INTERRUPTED,
            _ => EXIT_FAILURE,
        }
    }

    pub fn hint(&self) -> Option<&str> {
        match self {
            CliError::Usage { hint, .. }
            | CliError::Transport { hint, .. }
            | CliError::Failed { hint, .. } => hint.as_deref(),
            _ => None,
        }
    }

    /// The machine-readable `type` and `code` shown to agents.
    pub fn kind_and_code(&self) -> (&str, &str) {
        match self {
            CliError::Usage { .. } => ("usage_error", "invalid_usage"),
            CliError::Api(e) => (e.kind.as_str(), e.code.as_str()),
            CliError::Transport { .. } => ("connection_error", "connection_failed"),
            CliError::Failed { .. } => ("cli_error", "command_failed"),
            CliError::Interrupted => ("cli_error", "interrupted"),
        }
    }
}

impl From<Box<ApiError>> for CliError {
    fn from(e: Box<ApiError>) -> Self {
        CliError::Api(e)
    }
}

impl From<ApiError> for CliError {
    fn from(e: ApiError) -> Self {
        CliError::Api(Box::new(e))
    }
}

impl From<PluginError> for CliError {
    fn from(e: PluginError) -> Self {
        match e {
            PluginError::Api(api) => CliError::Api(api),
            PluginError::Usage { message } => CliError::usage(message),
            PluginError::Transport { message, hint } => CliError::Transport { message, hint },
            PluginError::Failed { message, hint } => CliError::Failed { message, hint },
            PluginError::Panic { message } => CliError::Failed {
                message,
                hint: Some(
                    "this is a bug in the plugin; run `commet plugins list` to see which file it came from and report it to its author".into(),
                ),
            },
            PluginError::Interrupted => CliError::Interrupted,
        }
    }
}

impl From<CliError> for PluginError {
    fn from(e: CliError) -> Self {
        match e {
            CliError::Api(api) => PluginError::Api(api),
            CliError::Usage { message, .. } => PluginError::Usage { message },
            CliError::Transport { message, hint } => PluginError::Transport { message, hint },
            CliError::Failed { message, hint } => PluginError::Failed { message, hint },
            CliError::Interrupted => PluginError::Interrupted,
        }
    }
}

pub type CliResult<T> = Result<T, CliError>;
