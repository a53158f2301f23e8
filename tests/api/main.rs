//! Integration tests: the real service over HTTP, each on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

mod accounts;
mod actor_rules;
mod admin;
mod audit_path;
mod audit_v1;
mod auth;
mod challenges;
mod citizen;
mod cli;
mod concurrency;
mod contracts;
mod data_quality;
mod docs_examples;
mod graphql_limits;
mod hardening_input;
mod hardening_login;
mod health;
mod portal;
mod privacy;
mod scorecard;
mod scorecard_support;
mod seeding;
mod shared_value;
mod strategy;
mod tasks;
mod trust;
mod variables;
mod workspace_admin;
mod workspace_evidence;
mod workspace_notifications;
mod workspace_review;
mod workspace_sessions;
