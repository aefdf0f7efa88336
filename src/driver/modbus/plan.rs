//! Read planning: adjacent addresses of one unit and table are merged into block reads of at most
//! 125 registers (2000 bits), bridging gaps of up to `max_gap` items, so a poll costs few requests.
//! A merged block the device refuses is bisected (`bisect`) until each refusal is down to the tags whose
//! own registers it lacks. Word and byte order are decoding concerns: they never split a block.

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
    /// A run of items the device refused one by one while a refused block was bisected: a refusal of the
    /// whole is then each item's answer, not a reason to split it again.
    pub isolated: bool,
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

/// Splits a block the device refused into two, each holding half of its items and reading only the span
/// those items need, so the smaller reads also leave out the gaps the merge bridged. `None` for a block of
/// one item: nothing is left to split.
pub fn bisect(b: &Block, items: &[ModbusAddress]) -> Option<(Block, Block)> {
    if b.items.len() < 2 {
        return None;
    }
    let (left, right) = b.items.split_at(b.items.len() / 2);
    let tight = |part: &[usize]| {
        let start = part.iter().map(|&i| u32::from(items[i].offset)).min().unwrap_or(0);
        let end = part.iter().map(|&i| items[i].end()).max().unwrap_or(start);
        block(b.unit, b.table, (start, end, part.to_vec()))
    };
    Some((tight(left), tight(right)))
}

fn block(unit: u8, table: Table, (start, end, items): (u32, u32, Vec<usize>)) -> Block {
    // Addresses are validated to end at or below 65536 and blocks to span at most 2000 items.
    Block {
        unit,
        table,
        start: start as u16,
        count: (end - start) as u16,
        items,
        isolated: false,
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

    #[test]
    fn tags_with_different_orders_share_one_read() {
        let items = addrs(&[
            "hr:0:f32:abcd",
            "hr:2:f32:cdab",
            "hr:4:f64:hgfedcba",
            "hr:8:u16:ba",
            "hr:9:f32",
        ]);
        let b = plan(&items, 1, 0);
        assert_eq!(b.len(), 1, "{b:?}");
        assert_eq!((b[0].start, b[0].count, b[0].items.len()), (0, 11, 5));
    }

    #[test]
    fn bisecting_halves_the_items_and_drops_bridged_gaps() {
        // hr 0..=1, 5, 6..=7, 20: one read of 21 registers with max_gap 12.
        let items = addrs(&["hr:0:f32", "hr:5", "hr:6:u32", "hr:20"]);
        let b = plan(&items, 3, 12);
        assert_eq!((b.len(), b[0].start, b[0].count), (1, 0, 21));
        let (left, right) = bisect(&b[0], &items).unwrap();
        assert_eq!((left.unit, left.table), (3, Table::HoldingRegister));
        assert_eq!((left.start, left.count), (0, 6));
        assert_eq!(left.items, [0, 1]);
        assert_eq!((right.start, right.count), (6, 15));
        assert_eq!(right.items, [2, 3]);
        let (one, other) = bisect(&right, &items).unwrap();
        assert_eq!((one.start, one.count), (6, 2));
        assert_eq!((other.start, other.count), (20, 1));
        assert_eq!(bisect(&other, &items), None, "a single item cannot be split");
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

        #[test]
        fn bisecting_keeps_every_item_inside_its_piece(offsets in proptest::collection::vec((0u16..300, 0usize..4), 2..40), gap in 0u16..20) {
            let types = ["u16", "f32:cdab", "f64", "str9"];
            let items: Vec<ModbusAddress> = offsets.iter().map(|(o, t)| format!("hr:{o}:{}", types[*t]).parse().unwrap()).collect();
            for b in plan(&items, 1, gap) {
                let Some((left, right)) = bisect(&b, &items) else {
                    prop_assert_eq!(b.items.len(), 1);
                    continue;
                };
                prop_assert_eq!([left.items.clone(), right.items.clone()].concat(), b.items.clone());
                for piece in [&left, &right] {
                    prop_assert!(!piece.items.is_empty());
                    prop_assert!(piece.start >= b.start && u32::from(piece.start) + u32::from(piece.count) <= u32::from(b.start) + u32::from(b.count));
                    for &i in &piece.items {
                        prop_assert!(items[i].offset >= piece.start && items[i].end() <= u32::from(piece.start) + u32::from(piece.count));
                    }
                }
            }
        }
    }
}
