//! Shared fixtures for the benches: a directory of N numeric tags spread over D drivers.
#![allow(dead_code)] // each bench uses a different part

use crossbeam_channel::bounded;
use std::sync::Arc;
use std::time::Duration;
use wellconsole::driver::{DriverStats, SampleBatch};
use wellconsole::hub::DriverPort;
use wellconsole::tag::{DriverId, TagDef, TagDirectory, TagId, ValueKind};

pub fn directory(tags: u32, drivers: u16) -> Arc<TagDirectory> {
    Arc::new(TagDirectory::new(
        (0..tags)
            .map(|i| TagDef {
                id: TagId(i),
                name: format!("dev{:03}/signal{i}", i % 1000),
                description: String::new(),
                description_es: String::new(),
                label: Default::default(),
                unit: "psi".into(),
                kind: ValueKind::F64,
                range: Some((0.0, 10_000.0)),
                decimals: 1,
                driver: DriverId((i % u32::from(drivers)) as u16),
                address: format!("a{i}"),
                stale_after: Duration::from_secs(60),
                writable: false,
                history: Default::default(),
            })
            .collect(),
    ))
}

/// A hub-side driver port for benches: its samples channel and fresh stats; commands and events
/// go nowhere (benches send none).
pub fn port(name: String, samples: crossbeam_channel::Receiver<SampleBatch>) -> DriverPort {
    DriverPort {
        name,
        kind: "bench",
        samples: samples.into(),
        commands: bounded(1).0,
        events: bounded(1).1,
        stats: Arc::new(DriverStats::default()),
    }
}
