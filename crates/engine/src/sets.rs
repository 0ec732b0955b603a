//! The set command family (skeleton: to be built out).
