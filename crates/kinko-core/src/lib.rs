//! kinko-core
