//! Read planning: adjacent addresses of one unit and table are merged into block reads of at most
//! 125 registers (2000 bits), bridging gaps of up to `max_gap` items, so a poll costs few requests.

use super::address::{ModbusAddress, Table};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub unit: u8,
    pub table: Table,
    pub start: u16,
    pub count: u16,
    /// Indices into the planned items.
    pub items: Vec<usize>,
}

/// Plans reads for `items` (in any order). `default_unit` applies where an address has none.
pub fn plan(items: &[ModbusAddress], default_unit: u8, max_gap: u16) -> Vec<Block> {
    let mut groups: BTreeMap<(u8, Table), Vec<usize>> = BTreeMap::new();
    for (i, a) in items.iter().enumerate() {
        groups
            .entry((a.unit.unwrap_or(default_unit), a.table))
            .or_default()
            .push(i);
    }
    let mut blocks = Vec::new();
    for ((unit, table), mut idx) in groups {
        idx.sort_by_key(|&i| (items[i].offset, items[i].width()));
        let limit = u32::from(table.max_read());
        let mut current: Option<(u32, u32, Vec<usize>)> = None; // start, end (exclusive), items
        for i in idx {
            let a = &items[i];
            let (s, e) = (u32::from(a.offset), a.end());
            current = match current.take() {
                Some((bs, be, mut v)) if s <= be + u32::from(max_gap) && e.max(be) - bs <= limit => {
                    v.push(i);
                    Some((bs, e.max(be), v))
                }
                Some(done) => {
                    blocks.push(block(unit, table, done));
                    Some((s, e, vec![i]))
                }
                None => Some((s, e, vec![i])),
            };
        }
        if let Some(done) = current {
            blocks.push(block(unit, table, done));
        }
    }
    blocks
}

fn block(unit: u8, table: Table, (start, end, items): (u32, u32, Vec<usize>)) -> Block {
    // Addresses are validated to end at or below 65536 and blocks to span at most 2000 items.
    Block {
        unit,
        table,
        start: start as u16,
        count: (end - start) as u16,
        items,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn addrs(list: &[&str]) -> Vec<ModbusAddress> {
        list.iter().map(|s| s.parse().unwrap()).collect()
    }

    #[test]
    fn merges_neighbours_and_splits_tables_units_and_gaps() {
        let items = addrs(&[
            "hr:0", "hr:1:f32", "hr:3", "hr:20", "ir:0", "2@hr:0", "hr:10.1", "hr:10.2",
        ]);
        let b = plan(&items, 1, 8);
        let find = |unit, table, start| {
            b.iter()
                .find(|x| x.unit == unit && x.table == table && x.start == start)
                .unwrap()
        };
        let first = find(1, Table::HoldingRegister, 0);
        assert_eq!(first.count, 11, "hr 0..=10 in one read (gap 4..9 bridged)");
        assert_eq!(first.items.len(), 5);
        assert_eq!(
            find(1, Table::HoldingRegister, 20).count,
            1,
            "gap of 9 > 8 starts a new block"
        );
        assert_eq!(find(1, Table::InputRegister, 0).count, 1);
        assert_eq!(find(2, Table::HoldingRegister, 0).count, 1);
        assert_eq!(b.len(), 4);
    }

    #[test]
    fn respects_the_125_register_limit() {
        let items: Vec<ModbusAddress> = (0..100).map(|i| format!("hr:{}:f32", i * 2).parse().unwrap()).collect();
        let b = plan(&items, 1, 0);
        assert_eq!(b.len(), 2);
        assert!(b.iter().all(|x| x.count <= 125));
    }

    proptest! {
        #[test]
        fn every_item_is_covered_once(offsets in proptest::collection::vec((0u16..3000, 0usize..4), 1..80), gap in 0u16..20) {
            let types = ["u16", "f32", "f64", "str9"];
            let items: Vec<ModbusAddress> = offsets.iter().map(|(o, t)| format!("hr:{o}:{}", types[*t]).parse().unwrap()).collect();
            let blocks = plan(&items, 1, gap);
            let mut seen = vec![0; items.len()];
            for b in &blocks {
                prop_assert!(b.count <= 125);
                for &i in &b.items {
                    seen[i] += 1;
                    prop_assert!(items[i].offset >= b.start && items[i].end() <= u32::from(b.start) + u32::from(b.count));
                }
            }
            prop_assert!(seen.iter().all(|&n| n == 1));
        }
    }
}
