//! Reading history: raw samples, rollup buckets, decimated trend lines and storage statistics, on a
//! connection of its own (WAL: queries never wait for the writer, nor it for them). Each thread that
//! queries opens its own `History`.

use super::codec::{Chunk, CodecError, StoredQuality};
use super::decimate::{Decimator, Segments};
use super::rollup::{Bucket, Resolution};
use super::store::{self, StoreError};
use crate::tag::Value;
use rusqlite::{Connection, OptionalExtension, params};
use std::ops::ControlFlow;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("history database: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("no history for tag '{0}'")]
    UnknownTag(String),
    #[error("a stored chunk of '{tag}' is unreadable: {source}")]
    Codec { tag: String, source: CodecError },
    /// An error from a query worker, as text (SQLite errors are not `Clone`).
    #[error("{0}")]
    Again(String),
}

fn decode(tag: &str, data: &[u8]) -> Result<Chunk, QueryError> {
    Chunk::decode(data).map_err(|source| QueryError::Codec {
        tag: tag.to_owned(),
        source,
    })
}

/// Decodes `blobs` and decimates their samples in `from..=to` (plus the one before) to `width` columns.
fn raw_trend(tag: &str, blobs: &[Vec<u8>], from: i64, to: i64, width: usize) -> Result<Trend, QueryError> {
    let mut d = Decimator::new(from, to, width);
    let mut read = 0;
    let mut before: Option<(i64, Option<f64>)> = None;
    for data in blobs {
        let c = decode(tag, data)?;
        read += c.len();
        for (k, &(start, q)) in c.runs.iter().enumerate() {
            let end = c.runs.get(k + 1).map_or(c.len(), |r| r.0 as usize);
            let plottable = q.plottable();
            for i in start as usize..end {
                let t = c.ts[i];
                let v = if plottable { c.values.f64_at(i) } else { None };
                if t < from {
                    before = Some((t, v));
                    continue;
                }
                if t > to {
                    break;
                }
                if let Some((bt, bv)) = before.take() {
                    d.push(bt, bv);
                }
                d.push(t, v);
            }
        }
    }
    if let Some((bt, bv)) = before {
        d.push(bt, bv);
    }
    Ok(Trend {
        resolution: Resolution::Raw,
        segments: d.finish(),
        read,
    })
}

/// A tag the database has history for.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredTag {
    pub name: String,
    pub kind: String,
    pub unit: String,
}

/// One stored sample.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub ts: i64,
    pub value: Option<Value>,
    pub quality: StoredQuality,
}

/// A decimated pen: which resolution answered, and the line to draw.
#[derive(Debug, Clone, PartialEq)]
pub struct Trend {
    pub resolution: Resolution,
    pub segments: Segments,
    /// Samples or buckets read to draw it.
    pub read: usize,
}

/// Storage figures for `history stats`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stats {
    pub tags: Vec<TagStats>,
    pub samples: u64,
    pub chunk_bytes: u64,
    pub file_bytes: u64,
    pub rollup_rows: u64,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct TagStats {
    pub name: String,
    pub samples: u64,
    pub chunks: u64,
    pub bytes: u64,
    pub first: Option<i64>,
    pub last: Option<i64>,
}

pub struct History {
    conn: Connection,
}

impl History {
    pub fn open(path: &Path) -> Result<Self, QueryError> {
        Ok(Self {
            conn: store::open_reader(path)?,
        })
    }

    pub fn tags(&self) -> Result<Vec<StoredTag>, QueryError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT name, kind, unit FROM tags ORDER BY name")?;
        let rows = stmt.query_map([], |r| {
            Ok(StoredTag {
                name: r.get(0)?,
                kind: r.get(1)?,
                unit: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn id(&self, tag: &str) -> Result<i64, QueryError> {
        store::tag_id(&self.conn, tag)?.ok_or_else(|| QueryError::UnknownTag(tag.to_owned()))
    }

    /// The stored chunks that hold samples of `tag` in `from..=to`, in time order, led by the chunk
    /// holding the last sample before `from` (the value a trend starts with).
    fn chunk_blobs(&self, tag: &str, from: i64, to: i64) -> Result<Vec<Vec<u8>>, QueryError> {
        let id = self.id(tag)?;
        let mut out = Vec::new();
        let before: Option<Vec<u8>> = self
            .conn
            .prepare_cached("SELECT data FROM chunks WHERE tag = ?1 AND t1 < ?2 ORDER BY t1 DESC, id DESC LIMIT 1")?
            .query_row(params![id, from], |r| r.get(0))
            .optional()?;
        out.extend(before);
        self.each_stored(id, tag, from, to, |data| {
            out.push(data.to_vec());
            Ok(ControlFlow::Continue(()))
        })?;
        Ok(out)
    }

    /// Hands `f` each encoded chunk of tag `id` (`tag`) that may hold samples in `from..=to`, in time
    /// order: the sealed chunks, then its parts of the blocks committed since its last seal (a few minutes
    /// at most, all later than anything sealed). Stops when `f` says so; one chunk in memory at a time.
    fn each_stored(
        &self,
        id: i64,
        tag: &str,
        from: i64,
        to: i64,
        mut f: impl FnMut(&[u8]) -> Result<ControlFlow<()>, QueryError>,
    ) -> Result<(), QueryError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT data FROM chunks WHERE tag = ?1 AND t1 >= ?2 AND t0 <= ?3 ORDER BY t0, id")?;
        let mut rows = stmt.query(params![id, from, to])?;
        while let Some(row) = rows.next()? {
            let data: Vec<u8> = row.get(0)?;
            if f(&data)?.is_break() {
                return Ok(());
            }
        }
        drop(rows);
        let upto = store::sealed_upto(&self.conn, id)?;
        let mut stmt = self
            .conn
            .prepare_cached("SELECT data FROM blocks WHERE id > ?1 AND t0 <= ?2 ORDER BY id")?;
        let mut rows = stmt.query(params![upto, to])?;
        while let Some(row) = rows.next()? {
            let block: Vec<u8> = row.get(0)?;
            let part = super::block::find(&block, id).map_err(|source| QueryError::Codec {
                tag: tag.to_owned(),
                source,
            })?;
            if let Some(part) = part
                && f(part)?.is_break()
            {
                return Ok(());
            }
        }
        Ok(())
    }

    /// Calls `f` with each decoded chunk of `chunk_blobs`.
    fn chunks(&self, tag: &str, from: i64, to: i64, mut f: impl FnMut(&Chunk)) -> Result<(), QueryError> {
        for data in self.chunk_blobs(tag, from, to)? {
            f(&decode(tag, &data)?);
        }
        Ok(())
    }

    /// Every stored sample of `tag` in `from..=to`, preceded by the last one before `from` if any.
    pub fn raw(&self, tag: &str, from: i64, to: i64) -> Result<Vec<Sample>, QueryError> {
        let mut before: Option<Sample> = None;
        let mut out = Vec::new();
        self.chunks(tag, from, to, |c| {
            for i in 0..c.len() {
                let t = c.ts[i];
                if t > to {
                    break;
                }
                let q = c.quality_at(i);
                let s = Sample {
                    ts: t,
                    value: q.has_value.then(|| c.values.value_at(i)),
                    quality: q,
                };
                if t < from {
                    before = Some(s);
                } else {
                    out.push(s);
                }
            }
        })?;
        if let Some(b) = before {
            out.insert(0, b);
        }
        Ok(out)
    }

    /// Up to `limit` stored samples of `tag` in `from..=to`, oldest first, and the time of the first one
    /// left out when more remain (the next page starts there). Reads one chunk at a time (`each_stored`)
    /// and stops once the page is full, so a page costs its own size whatever span it is asked of.
    pub fn raw_page(
        &self,
        tag: &str,
        from: i64,
        to: i64,
        limit: usize,
    ) -> Result<(Vec<Sample>, Option<i64>), QueryError> {
        let id = self.id(tag)?;
        let mut out = Vec::with_capacity(limit.min(1 << 16));
        // Push the samples of one decoded chunk; the next page's start once the page is full.
        let mut take = |c: &Chunk| -> Option<i64> {
            for i in 0..c.len() {
                let t = c.ts[i];
                if t > to {
                    break;
                }
                if t < from {
                    continue;
                }
                if out.len() >= limit {
                    return Some(t);
                }
                let q = c.quality_at(i);
                out.push(Sample {
                    ts: t,
                    value: q.has_value.then(|| c.values.value_at(i)),
                    quality: q,
                });
            }
            None
        };
        let mut next = None;
        self.each_stored(id, tag, from, to, |data| {
            next = take(&decode(tag, data)?);
            Ok(if next.is_some() {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            })
        })?;
        Ok((out, next))
    }

    /// Up to `limit` rollup buckets of `tag` at `res` from the one containing `from` to `to`, and the start
    /// of the first one left out when more remain. Bounded in SQL: a page costs its own size.
    pub fn buckets_page(
        &self,
        res: Resolution,
        tag: &str,
        from: i64,
        to: i64,
        limit: usize,
    ) -> Result<(Vec<Bucket>, Option<i64>), QueryError> {
        let id = self.id(tag)?;
        let first = from.div_euclid(res.bucket_us().max(1)) * res.bucket_us().max(1);
        let mut stmt = self.conn.prepare_cached(
            "SELECT t, n, min, max, sum, integral, covered_us, hold_t, hold_v, upto FROM rollups
             WHERE res = ?1 AND tag = ?2 AND t >= ?3 AND t <= ?4 ORDER BY t LIMIT ?5",
        )?;
        let n = i64::try_from(limit).unwrap_or(i64::MAX - 1) + 1;
        let rows = stmt.query_map(params![res.code(), id, first, to, n], store::bucket_from_row)?;
        let mut out: Vec<Bucket> = rows.collect::<Result<_, _>>()?;
        let next = out.get(limit).map(|b| b.start);
        out.truncate(limit);
        Ok((out, next))
    }

    /// Calls `f` with every stored sample of `tag` in `from..=to`, in time order, one chunk in memory at
    /// a time (exports of any length).
    pub fn each_raw(
        &self,
        tag: &str,
        from: i64,
        to: i64,
        mut f: impl FnMut(i64, Option<Value>, StoredQuality),
    ) -> Result<(), QueryError> {
        self.chunks(tag, from, to, |c| {
            for i in 0..c.len() {
                let t = c.ts[i];
                if t > to {
                    break;
                }
                if t >= from {
                    let q = c.quality_at(i);
                    f(t, q.has_value.then(|| c.values.value_at(i)), q);
                }
            }
        })
    }

    /// Rollup buckets of `tag` whose start lies in `from..=to` (and the one containing `from`).
    pub fn buckets(&self, res: Resolution, tag: &str, from: i64, to: i64) -> Result<Vec<Bucket>, QueryError> {
        let id = self.id(tag)?;
        let first = from.div_euclid(res.bucket_us().max(1)) * res.bucket_us().max(1);
        let mut stmt = self.conn.prepare_cached(
            "SELECT t, n, min, max, sum, integral, covered_us, hold_t, hold_v, upto FROM rollups
             WHERE res = ?1 AND tag = ?2 AND t >= ?3 AND t <= ?4 ORDER BY t",
        )?;
        let rows = stmt.query_map(params![res.code(), id, first, to], store::bucket_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Where this database's history of `tag` at `res` begins: its oldest raw sample (the first sealed
    /// chunk, else the oldest block kept), or its oldest rollup bucket, which are kept longer. `None`: it
    /// holds none.
    pub fn first_time(&self, tag: &str, res: Resolution) -> Result<Option<i64>, QueryError> {
        let Some(id) = store::tag_id(&self.conn, tag)? else {
            return Ok(None);
        };
        if res != Resolution::Raw {
            return Ok(self
                .conn
                .prepare_cached("SELECT t FROM rollups WHERE res = ?1 AND tag = ?2 ORDER BY t LIMIT 1")?
                .query_row(params![res.code(), id], |r| r.get(0))
                .optional()?);
        }
        let sealed: Option<i64> = self
            .conn
            .prepare_cached("SELECT t0 FROM chunks WHERE tag = ?1 ORDER BY t1 LIMIT 1")?
            .query_row(params![id], |r| r.get(0))
            .optional()?;
        if sealed.is_some() {
            return Ok(sealed);
        }
        let upto = store::sealed_upto(&self.conn, id)?;
        Ok(self
            .conn
            .prepare_cached("SELECT t0 FROM blocks WHERE id > ?1 ORDER BY id LIMIT 1")?
            .query_row(params![upto], |r| r.get(0))
            .optional()?)
    }

    /// The resolution a trend of `width` pixels over `from..to` reads: the coarsest whose bucket still
    /// fits in one pixel column, so no column ever shows less than the data has.
    pub fn resolution_for(from: i64, to: i64, width: usize) -> Resolution {
        let per_px = (to - from) / width.max(1) as i64;
        if per_px >= Resolution::Hour.bucket_us() {
            Resolution::Hour
        } else if per_px >= Resolution::Minute.bucket_us() {
            Resolution::Minute
        } else {
            Resolution::Raw
        }
    }

    /// A pen's line over `from..=to` decimated to `width` pixel columns, at the resolution that fits.
    pub fn trend(&self, tag: &str, from: i64, to: i64, width: usize) -> Result<Trend, QueryError> {
        self.trend_at(Self::resolution_for(from, to, width), tag, from, to, width)
    }

    /// Several pens at once: chunks are read in turn, then decoded and decimated on every core.
    pub fn trends(&self, tags: &[String], from: i64, to: i64, width: usize) -> Vec<Result<Trend, QueryError>> {
        let res = Self::resolution_for(from, to, width);
        if res != Resolution::Raw || tags.len() < 2 {
            return tags.iter().map(|t| self.trend_at(res, t, from, to, width)).collect();
        }
        let blobs: Vec<Result<Vec<Vec<u8>>, QueryError>> = tags.iter().map(|t| self.chunk_blobs(t, from, to)).collect();
        let cores = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(tags.len());
        let mut out: Vec<Option<Result<Trend, QueryError>>> = (0..tags.len()).map(|_| None).collect();
        std::thread::scope(|s| {
            let workers: Vec<_> = (0..cores)
                .map(|w| {
                    let (tags, blobs) = (&tags, &blobs);
                    s.spawn(move || {
                        (w..tags.len())
                            .step_by(cores)
                            .map(|i| {
                                let r = match &blobs[i] {
                                    Ok(b) => raw_trend(&tags[i], b, from, to, width),
                                    Err(e) => Err(QueryError::Again(e.to_string())),
                                };
                                (i, r)
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            for w in workers {
                for (i, r) in w.join().unwrap_or_default() {
                    out[i] = Some(r);
                }
            }
        });
        out.into_iter()
            .map(|r| r.unwrap_or_else(|| Err(QueryError::Again("query worker failed".into()))))
            .collect()
    }

    pub fn trend_at(&self, res: Resolution, tag: &str, from: i64, to: i64, width: usize) -> Result<Trend, QueryError> {
        let mut d = Decimator::new(from, to, width);
        let mut read = 0;
        match res {
            Resolution::Raw => return raw_trend(tag, &self.chunk_blobs(tag, from, to)?, from, to, width),
            Resolution::Minute | Resolution::Hour => {
                for b in self.buckets(res, tag, from, to)? {
                    read += 1;
                    if b.count == 0 {
                        d.push(b.start, None);
                    } else {
                        d.push(b.start, Some(b.min));
                        d.push(b.start, Some(b.max));
                    }
                }
            }
        }
        Ok(Trend {
            resolution: res,
            segments: d.finish(),
            read,
        })
    }

    pub fn stats(&self) -> Result<Stats, QueryError> {
        let mut stmt = self.conn.prepare(
            "SELECT tags.name, COALESCE(SUM(c.n), 0), COUNT(c.id), COALESCE(SUM(LENGTH(c.data)), 0), MIN(c.t0), MAX(c.t1)
             FROM tags LEFT JOIN chunks c ON c.tag = tags.id GROUP BY tags.id ORDER BY tags.name",
        )?;
        let tags: Vec<TagStats> = stmt
            .query_map([], |r| {
                Ok(TagStats {
                    name: r.get(0)?,
                    samples: r.get::<_, i64>(1)? as u64,
                    chunks: r.get::<_, i64>(2)? as u64,
                    bytes: r.get::<_, i64>(3)? as u64,
                    first: r.get(4)?,
                    last: r.get(5)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        let mut tags = tags;
        // Unsealed samples, from the blocks.
        let ids: Vec<(i64, String)> = {
            let mut st = self.conn.prepare("SELECT id, name FROM tags")?;
            st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?
        };
        let mut uptos = std::collections::HashMap::new();
        for (id, name) in &ids {
            uptos.insert(*id, (store::sealed_upto(&self.conn, *id)?, name.clone()));
        }
        let mut st = self.conn.prepare("SELECT id, data FROM blocks ORDER BY id")?;
        let mut rows = st.query([])?;
        while let Some(row) = rows.next()? {
            let (block_id, data): (i64, Vec<u8>) = (row.get(0)?, row.get(1)?);
            let Ok(entries) = super::block::entries(&data) else {
                continue;
            };
            for e in entries {
                let Some((upto, name)) = uptos.get(&e.tag) else {
                    continue;
                };
                if block_id <= *upto {
                    continue;
                }
                if let Some(t) = tags.iter_mut().find(|t| &t.name == name) {
                    t.samples += u64::from(e.samples);
                    t.chunks += 1;
                    if let Ok(p) = super::block::part(&data, &e) {
                        t.bytes += p.len() as u64;
                        if let Ok(c) = Chunk::decode(p) {
                            t.first = t.first.min(c.ts.first().copied()).or(c.ts.first().copied());
                            t.last = t.last.max(c.ts.last().copied());
                        }
                    }
                }
            }
        }
        drop(rows);
        let page_count: i64 = self.conn.pragma_query_value(None, "page_count", |r| r.get(0))?;
        let page_size: i64 = self.conn.pragma_query_value(None, "page_size", |r| r.get(0))?;
        let rollup_rows: i64 = self.conn.query_row("SELECT COUNT(*) FROM rollups", [], |r| r.get(0))?;
        Ok(Stats {
            samples: tags.iter().map(|t| t.samples).sum(),
            chunk_bytes: tags.iter().map(|t| t.bytes).sum(),
            file_bytes: (page_count * page_size) as u64,
            rollup_rows: rollup_rows as u64,
            tags,
        })
    }
}
