//! The Matrix adapter.
