//! Every integration test in one binary: one link of the whole dependency tree instead of one per file
//! (minutes on a 2-core CI machine). Each module is what an engineer or operator does with one part:
//! the CLI, the console UI, the real window, and each protocol against real peers on 127.0.0.1.

// Tests and benches may unwrap (a panic is their failure report) and be long (a scenario reads top to bottom).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)]

#[path = "../support/mod.rs"]
mod support;

mod alarm_ui;
mod api;
mod cab_ui;
mod calc_cli;
mod calculated;
mod check_never_panics;
mod cli;
mod console_ui;
mod ct_string;
mod ct_string_ui;
mod editor_ui;
mod files_never_panic;
mod forward;
mod job_cli;
mod jobs;
mod jobs_ui;
mod locale_ui;
mod modbus_peer;
mod modbus_sim;
mod mqtt_peer;
mod mqtt_sim;
mod opcua_peer;
mod production;
mod production_cli;
mod production_ui;
mod replay;
mod screens_ui;
mod share;
mod trip_ui;
mod window_smoke;
