//! A query thread for the console's alarm history and KPI pages: the UI asks without waiting and polls
//! for the answer once per frame; requests that pile up while one runs collapse to the newest.

use super::journal::{self, JournalQuery, JournalRow};
use super::kpi::{self, KpiReport};
use crate::tag::Timestamp;
use crossbeam_channel::{Receiver, Sender, TryRecvError, bounded};
use std::path::PathBuf;
use std::thread::JoinHandle;

#[derive(Debug, Clone, PartialEq)]
pub enum JournalRequest {
    Search(JournalQuery),
    Kpi { from: Timestamp, to: Timestamp },
}

#[derive(Debug, Clone, PartialEq)]
pub enum JournalAnswer {
    Search(Result<Vec<JournalRow>, String>),
    Kpi(Result<KpiReport, String>),
}

pub struct JournalReader {
    requests: Option<Sender<(u64, JournalRequest)>>,
    answers: Receiver<(u64, JournalAnswer)>,
    thread: Option<JoinHandle<()>>,
}

impl JournalReader {
    pub fn start(path: PathBuf) -> std::io::Result<Self> {
        let (req_tx, req_rx) = bounded::<(u64, JournalRequest)>(16);
        let (ans_tx, ans_rx) = bounded(8);
        let thread = std::thread::Builder::new()
            .name("alarm-journal-reader".into())
            .spawn(move || serve(&path, &req_rx, &ans_tx))?;
        Ok(Self {
            requests: Some(req_tx),
            answers: ans_rx,
            thread: Some(thread),
        })
    }

    /// Never blocks; a full queue drops the request (the page asks again).
    pub fn request(&self, generation: u64, r: JournalRequest) -> bool {
        self.requests
            .as_ref()
            .is_some_and(|tx| tx.try_send((generation, r)).is_ok())
    }

    /// Answers that arrived since the last call.
    pub fn poll(&self) -> Vec<(u64, JournalAnswer)> {
        let mut out = Vec::new();
        loop {
            match self.answers.try_recv() {
                Ok(a) => out.push(a),
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => return out,
            }
        }
    }
}

impl Drop for JournalReader {
    fn drop(&mut self) {
        self.requests = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(path: &std::path::Path, rx: &Receiver<(u64, JournalRequest)>, tx: &Sender<(u64, JournalAnswer)>) {
    let mut conn = None;
    while let Ok(first) = rx.recv() {
        // Only the newest request of each kind matters.
        let mut latest_search = None;
        let mut latest_kpi = None;
        for (g, r) in std::iter::once(first).chain(rx.try_iter()) {
            match r {
                JournalRequest::Search(_) => latest_search = Some((g, r)),
                JournalRequest::Kpi { .. } => latest_kpi = Some((g, r)),
            }
        }
        for (g, r) in [latest_search, latest_kpi].into_iter().flatten() {
            if conn.is_none() {
                conn = journal::open_reader(path).ok();
            }
            let answer = match (&conn, r) {
                (None, JournalRequest::Search(_)) => {
                    JournalAnswer::Search(Err(format!("{}: no alarm journal yet", path.display())))
                }
                (None, JournalRequest::Kpi { .. }) => {
                    JournalAnswer::Kpi(Err(format!("{}: no alarm journal yet", path.display())))
                }
                (Some(c), JournalRequest::Search(q)) => {
                    JournalAnswer::Search(journal::search(c, &q).map_err(|e| e.to_string()))
                }
                (Some(c), JournalRequest::Kpi { from, to }) => JournalAnswer::Kpi(
                    journal::activations(c, from, to)
                        .and_then(|a| Ok((a, journal::standing(c)?)))
                        .map(|(a, s)| kpi::report(from, to, &a, &s))
                        .map_err(|e| e.to_string()),
                ),
            };
            if tx.send((g, answer)).is_err() {
                return;
            }
        }
    }
}
