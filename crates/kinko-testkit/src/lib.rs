//! kinko-testkit
