//! What every Sparkplug B edge node of ours says about itself (the simulator's, and a console republishing
//! its tags): the NBIRTH with its bdSeq and rebirth control, the NDEATH its will carries, and whether a
//! node command asks for a rebirth. Owns these payloads only; what a node publishes beside them is its own.

use super::proto::Payload;
use super::proto::payload::{Metric, metric};
use super::value::datatype;
use super::{BD_SEQ, REBIRTH};
use prost::Message;

/// The NDEATH payload of the session whose birth carried `bd_seq`.
pub fn ndeath(bd_seq: u64) -> Vec<u8> {
    Payload {
        metrics: vec![Metric {
            name: Some(BD_SEQ.into()),
            datatype: Some(datatype::INT64),
            value: Some(metric::Value::LongValue(bd_seq)),
            ..Metric::default()
        }],
        ..Payload::default()
    }
    .encode_to_vec()
}

/// The NBIRTH payload: `bd_seq` and the rebirth control, at `ts` (ms), with sequence number `seq`.
pub fn nbirth(bd_seq: u64, ts: u64, seq: u64) -> Vec<u8> {
    Payload {
        timestamp: Some(ts),
        seq: Some(seq),
        metrics: vec![
            Metric {
                name: Some(BD_SEQ.into()),
                timestamp: Some(ts),
                datatype: Some(datatype::INT64),
                value: Some(metric::Value::LongValue(bd_seq)),
                ..Metric::default()
            },
            Metric {
                name: Some(REBIRTH.into()),
                timestamp: Some(ts),
                datatype: Some(datatype::BOOLEAN),
                value: Some(metric::Value::BooleanValue(false)),
                ..Metric::default()
            },
        ],
        ..Payload::default()
    }
    .encode_to_vec()
}

/// Whether an NCMD payload asks for a rebirth.
pub fn asks_rebirth(payload: &[u8]) -> bool {
    Payload::decode(payload).is_ok_and(|pl| {
        pl.metrics
            .iter()
            .any(|m| m.name.as_deref() == Some(REBIRTH) && m.value == Some(metric::Value::BooleanValue(true)))
    })
}
