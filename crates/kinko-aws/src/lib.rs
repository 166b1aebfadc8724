//! kinko-aws
