//! The hash command family (skeleton: to be built out).
