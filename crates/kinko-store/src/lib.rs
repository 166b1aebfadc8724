//! kinko-store
