//! The commit block: everything one commit adds, for every tag, in one row. A commit then appends one
//! row whatever the number of tags, instead of one row and one index entry per tag scattered over the
//! file. Each tag's part is a chunk of its own (codec), found through a directory at the block's start.
//! Blocks live until every tag in them has sealed those samples into its own chunks. Pure.

use super::codec::CodecError;

/// One tag's part of a block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub tag: i64,
    pub samples: u32,
    offset: u32,
    len: u32,
}

const ENTRY_BYTES: usize = 16;

/// Lays out `parts` (historian tag id, sample count, encoded chunk) as a block.
pub fn encode(mut parts: Vec<(i64, u32, Vec<u8>)>) -> Vec<u8> {
    parts.sort_unstable_by_key(|p| p.0);
    let head = 4 + parts.len() * ENTRY_BYTES;
    let body: usize = parts.iter().map(|p| p.2.len()).sum();
    let mut out = Vec::with_capacity(head + body);
    out.extend_from_slice(&(parts.len() as u32).to_le_bytes());
    let mut offset = head as u32;
    for (tag, n, data) in &parts {
        out.extend_from_slice(&(*tag as u32).to_le_bytes());
        out.extend_from_slice(&n.to_le_bytes());
        out.extend_from_slice(&offset.to_le_bytes());
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        offset += data.len() as u32;
    }
    for (_, _, data) in parts {
        out.extend_from_slice(&data);
    }
    out
}

fn u32_at(b: &[u8], at: usize) -> Result<u32, CodecError> {
    b.get(at..at + 4)
        .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
        .ok_or(CodecError::Truncated)
}

/// The directory of a block.
pub fn entries(block: &[u8]) -> Result<Vec<Entry>, CodecError> {
    let n = u32_at(block, 0)? as usize;
    if 4 + n.saturating_mul(ENTRY_BYTES) > block.len() {
        return Err(CodecError::Corrupt("block directory"));
    }
    (0..n)
        .map(|i| {
            let at = 4 + i * ENTRY_BYTES;
            Ok(Entry {
                tag: i64::from(u32_at(block, at)?),
                samples: u32_at(block, at + 4)?,
                offset: u32_at(block, at + 8)?,
                len: u32_at(block, at + 12)?,
            })
        })
        .collect()
}

/// The encoded chunk of one entry.
pub fn part<'a>(block: &'a [u8], e: &Entry) -> Result<&'a [u8], CodecError> {
    block
        .get(e.offset as usize..e.offset as usize + e.len as usize)
        .ok_or(CodecError::Corrupt("block entry"))
}

/// The encoded chunk of `tag` in `block`, if it has one.
pub fn find(block: &[u8], tag: i64) -> Result<Option<&[u8]>, CodecError> {
    let es = entries(block)?;
    match es.binary_search_by_key(&tag, |e| e.tag) {
        Ok(i) => part(block, &es[i]).map(Some),
        Err(_) => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_found_by_tag() {
        let b = encode(vec![(7, 2, vec![1, 2, 3]), (3, 1, vec![9]), (12, 5, vec![])]);
        assert_eq!(find(&b, 3).unwrap(), Some(&[9u8][..]));
        assert_eq!(find(&b, 7).unwrap(), Some(&[1u8, 2, 3][..]));
        assert_eq!(find(&b, 12).unwrap(), Some(&[][..]));
        assert_eq!(find(&b, 5).unwrap(), None);
        assert_eq!(entries(&b).unwrap().iter().map(|e| e.samples).sum::<u32>(), 8);
        assert!(entries(&b[..10]).is_err());
        assert!(find(&[255, 255, 255, 255], 1).is_err());
    }
}
