//! The list command family (skeleton: to be built out).
