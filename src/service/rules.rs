//! Where the two APIs' key-state rules differ, in neutral terms. The rules themselves are
//! the service's ([`crate::service::Kms`] applies them, once); each protocol only says which
//! of these choices its API makes, as a constant.

use crate::model::KeyState;

/// The state a key with material returns to when its deletion is cancelled (a key without
/// material always returns to PendingImport).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateAfterCancel {
    /// Usable again at once.
    Enabled,
    /// Disabled, to be enabled deliberately.
    Disabled,
}

impl StateAfterCancel {
    /// As a key state.
    #[must_use]
    pub const fn state(self) -> KeyState {
        match self {
            Self::Enabled => KeyState::Enabled,
            Self::Disabled => KeyState::Disabled,
        }
    }
}

/// The choices an API makes among the rules that are not the same everywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    /// Where a cancelled deletion leaves a key.
    pub after_cancel: StateAfterCancel,
    /// A key pending deletion refuses changes to its description and tags.
    pub frozen_when_pending_deletion: bool,
    /// A key pending deletion refuses new import parameters.
    pub no_import_parameters_when_pending_deletion: bool,
    /// Most tags a key may carry.
    pub max_tags: usize,
    /// Most aliases that may point at one key, if the API has a quota.
    pub max_aliases_per_key: Option<usize>,
    /// Changing the rotation policy needs an Enabled key (AWS); otherwise a Disabled key
    /// may change it too (its rotation is suspended meanwhile).
    pub rotation_needs_enabled: bool,
}
