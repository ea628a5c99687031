//! tgcmd
