//! Ayni: an ecosystem Balanced Scorecard for mining territories.
//!
//! Layers: [`domain`] is pure (types, rules, computations; no I/O); [`db`] stores it with
//! diesel on SQLite or PostgreSQL; [`app`] holds the use cases; [`graphql`], [`rest`] and
//! [`cli`] are the interfaces, and [`web`] is the public portal.

pub mod app;
pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod export;
pub mod graphql;
pub mod rest;
pub mod seed;
pub mod startup;
pub mod telemetry;
pub mod web;
