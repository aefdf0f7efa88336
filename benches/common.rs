//! Shared fixtures for the benches: a directory of N numeric tags spread over D drivers.

use std::sync::Arc;
use std::time::Duration;
use wellconsole::tag::{DriverId, TagDef, TagDirectory, TagId, ValueKind};

pub fn directory(tags: u32, drivers: u16) -> Arc<TagDirectory> {
    Arc::new(TagDirectory::new(
        (0..tags)
            .map(|i| TagDef {
                id: TagId(i),
                name: format!("dev{:03}/signal{i}", i % 1000),
                description: String::new(),
                unit: "psi".into(),
                kind: ValueKind::F64,
                range: Some((0.0, 10_000.0)),
                decimals: 1,
                driver: DriverId((i % u32::from(drivers)) as u16),
                address: format!("a{i}"),
                stale_after: Duration::from_secs(60),
                writable: false,
            })
            .collect(),
    ))
}
