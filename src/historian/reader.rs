//! A query thread for the console: the UI asks for trend lines and depth plots without ever waiting;
//! the answer arrives on a channel it polls once per frame. Requests that pile up while one runs are
//! collapsed to the newest (a user dragging a trend only needs the last view).

use super::decimate::Segments;
use super::query::{History, QueryError};
use super::rollup::Resolution;
use super::xy::{Pass, depth_passes};
use crossbeam_channel::{Receiver, Sender, TryRecvError, bounded};
use std::path::PathBuf;
use std::thread::JoinHandle;

#[derive(Debug, Clone, PartialEq)]
pub enum TrendQuery {
    /// Each pen over `from..=to`, decimated to `width` columns.
    Time {
        pens: Vec<String>,
        from: i64,
        to: i64,
        width: usize,
    },
    /// `values` against `depth` (held to each value's time), split into passes in and out of the hole.
    Depth {
        depth: String,
        values: Vec<String>,
        from: i64,
        to: i64,
        width: usize,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct TrendRequest {
    /// Echoed in the answer, so the UI can drop answers to questions it no longer asks.
    pub generation: u64,
    pub query: TrendQuery,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PenData {
    Time {
        resolution: Resolution,
        segments: Segments,
        /// The part of the span (µs) drawn from the central store, where this console's history no
        /// longer reaches (`None`: all of it is local).
        archived: Option<(i64, i64)>,
    },
    Depth {
        passes: Vec<Pass>,
    },
}

/// Older history than the local database keeps: the central store, asked by the query thread for a
/// pen's span before the local horizon. Implemented by the forward room (the historian never talks to the
/// network itself).
pub trait Archive: Send {
    /// `tag` over `from..to`, decimated to `width` columns at the resolution the span calls for.
    fn trend(&mut self, tag: &str, from: i64, to: i64, width: usize) -> Result<Segments, String>;

    /// After a failure the archive rests a while: local trends are not held up asking it again and
    /// again while it is away.
    fn resting(&self) -> bool {
        false
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct TrendAnswer {
    pub generation: u64,
    pub query: TrendQuery,
    /// One per pen (or per value tag), in request order; a pen without history gets its reason.
    pub pens: Vec<Result<PenData, String>>,
}

pub struct TrendReader {
    requests: Option<Sender<TrendRequest>>,
    answers: Receiver<TrendAnswer>,
    thread: Option<JoinHandle<()>>,
}

impl TrendReader {
    /// Starts the query thread on `path`; it opens the database itself (a missing file is an answer
    /// of errors, not a failure here).
    pub fn start(path: PathBuf) -> std::io::Result<Self> {
        Self::start_with_archive(path, None)
    }

    /// `start`, asking `archive` for what is older than the local history.
    pub fn start_with_archive(path: PathBuf, archive: Option<Box<dyn Archive>>) -> std::io::Result<Self> {
        let (req_tx, req_rx) = bounded::<TrendRequest>(16);
        let (ans_tx, ans_rx) = bounded::<TrendAnswer>(4);
        let thread = std::thread::Builder::new().name("trend-reader".into()).spawn(move || {
            let mut archive = archive;
            serve(&path, &req_rx, &ans_tx, &mut archive);
        })?;
        Ok(Self {
            requests: Some(req_tx),
            answers: ans_rx,
            thread: Some(thread),
        })
    }

    /// Queues a request; never blocks (a full queue drops it: a newer one follows within a frame).
    pub fn request(&self, r: TrendRequest) {
        if let Some(tx) = &self.requests {
            let _ = tx.try_send(r);
        }
    }

    /// The newest answer that has arrived, if any.
    pub fn poll(&self) -> Option<TrendAnswer> {
        let mut last = None;
        loop {
            match self.answers.try_recv() {
                Ok(a) => last = Some(a),
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => return last,
            }
        }
    }
}

impl Drop for TrendReader {
    fn drop(&mut self) {
        self.requests = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(
    path: &std::path::Path,
    requests: &Receiver<TrendRequest>,
    answers: &Sender<TrendAnswer>,
    archive: &mut Option<Box<dyn Archive>>,
) {
    let mut db: Option<History> = None;
    while let Ok(mut r) = requests.recv() {
        while let Ok(newer) = requests.try_recv() {
            r = newer;
        }
        if db.is_none() && path.exists() {
            db = History::open(path)
                .map_err(|e| tracing::warn!(error = %e, "trend queries: history unreadable"))
                .ok();
        }
        let pens = match &db {
            Some(h) => {
                let mut pens = answer(h, &r.query);
                if let Some(a) = archive {
                    older_from_archive(h, a.as_mut(), &r.query, &mut pens);
                }
                pens
            }
            None => vec![Err("no history recorded yet".to_owned()); count(&r.query)],
        };
        if answers
            .send(TrendAnswer {
                generation: r.generation,
                query: r.query,
                pens,
            })
            .is_err()
        {
            return;
        }
    }
}

fn count(q: &TrendQuery) -> usize {
    match q {
        TrendQuery::Time { pens, .. } => pens.len(),
        TrendQuery::Depth { values, .. } => values.len(),
    }
}

fn answer(h: &History, q: &TrendQuery) -> Vec<Result<PenData, String>> {
    let text = |e: QueryError| e.to_string();
    match q {
        TrendQuery::Time { pens, from, to, width } => h
            .trends(pens, *from, *to, *width)
            .into_iter()
            .map(|t| {
                t.map(|t| PenData::Time {
                    resolution: t.resolution,
                    segments: t.segments,
                    archived: None,
                })
                .map_err(text)
            })
            .collect(),
        TrendQuery::Depth {
            depth,
            values,
            from,
            to,
            width,
        } => {
            let depth = h.raw(depth, *from, *to);
            values
                .iter()
                .map(|v| {
                    let depth = depth.as_ref().map_err(|e| e.to_string())?;
                    let vals = h.raw(v, *from, *to).map_err(text)?;
                    Ok(PenData::Depth {
                        passes: depth_passes(depth, &vals, *width),
                    })
                })
                .collect()
        }
    }
}

/// For each time pen whose span starts before the local history does, the older part from `archive`,
/// put in front of the local line and marked. A pen the archive cannot answer keeps its local line (the
/// reason is logged once per failure, not per frame: the reader only runs on a new question).
fn older_from_archive(h: &History, archive: &mut dyn Archive, q: &TrendQuery, pens: &mut [Result<PenData, String>]) {
    let TrendQuery::Time {
        pens: tags,
        from,
        to,
        width,
    } = q
    else {
        return;
    };
    if archive.resting() {
        return;
    }
    let res = History::resolution_for(*from, *to, *width);
    for (tag, pen) in tags.iter().zip(pens.iter_mut()) {
        // The local horizon at the resolution drawn: history before it is gone here (retention). A tag
        // this console never kept (history off) was never forwarded either: nothing to ask.
        let horizon = match h.first_time(tag, res) {
            Ok(Some(t)) => t,
            Ok(None) | Err(_) => continue,
        };
        if horizon <= *from {
            continue;
        }
        let until = horizon.min(*to);
        let share = (until - from) as f64 / (to - from).max(1) as f64;
        let cols = ((*width as f64) * share).ceil().max(1.0) as usize;
        match archive.trend(tag, *from, until, cols) {
            Ok(older) if !older.is_empty() => {
                let mut merged = older;
                let mut resolution = History::resolution_for(*from, until, cols);
                if let Ok(PenData::Time {
                    segments,
                    resolution: r,
                    ..
                }) = pen
                {
                    resolution = *r;
                    merged.append(segments);
                }
                *pen = Ok(PenData::Time {
                    resolution,
                    segments: merged,
                    archived: Some((*from, until)),
                });
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(tag = %tag, error = %e, "older history not read from the central store");
                // The other pens wait for the next question (and the archive's rest).
                return;
            }
        }
    }
}
