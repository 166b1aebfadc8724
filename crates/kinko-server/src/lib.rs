//! kinko-server
