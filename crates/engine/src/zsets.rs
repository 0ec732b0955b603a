//! The zset command family (skeleton: to be built out).
