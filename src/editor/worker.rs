//! The editor's file work on a thread of its own: reading the project and the screen file when the editor
//! opens, checking and writing it when the engineer saves. The console's UI thread never waits on the
//! disk: it sends a request and picks the reply up on a later frame (`try_reply`).
//!
//! One request at a time, in order; the thread ends when the editor lets go of its `Worker`.

use super::file::{self, OpenedScreen, SaveError, Saved};
use crate::project::ProjectFiles;
use crossbeam_channel::{Receiver, Sender, TryRecvError, bounded};
use std::path::PathBuf;
use std::sync::Arc;

/// What the editor asks of the disk.
#[derive(Debug, Clone)]
pub enum Request {
    /// Read the project at `root` and its screen file `rel`.
    Open { root: PathBuf, rel: String },
    /// Write a new screen file `rel` with `text` (never over an existing one), checked like a save.
    Create { root: PathBuf, rel: String, text: String },
    /// Check `text` against the project as it is on disk now and write it over `opened`
    /// (`over_disk_change`: the engineer chose to replace a change made on disk meanwhile).
    Save {
        opened: OpenedScreen,
        text: String,
        over_disk_change: bool,
    },
}

/// What the disk answered.
#[derive(Debug)]
pub enum Reply {
    Opened(Result<(OpenedScreen, ProjectFiles), SaveError>),
    /// A new screen file was written (open it), or why not.
    Created(Result<(OpenedScreen, ProjectFiles, Saved), SaveError>),
    /// `text` (what was asked to be saved) is on disk as `OpenedScreen`, or why not.
    Saved {
        text: String,
        result: Result<(OpenedScreen, Saved), SaveError>,
    },
}

/// Called after each reply so the UI draws it without waiting for other input.
pub type Notify = Arc<dyn Fn() + Send + Sync>;

/// The editor's end of the file thread.
pub struct Worker {
    requests: Sender<Request>,
    replies: Receiver<Reply>,
    pending: usize,
    dead: bool,
}

impl Worker {
    pub fn start(notify: Option<Notify>) -> std::io::Result<Self> {
        // An editor asks one thing at a time (its buttons wait for the answer); a few queued is plenty.
        let (requests, rx) = bounded::<Request>(8);
        let (tx, replies) = bounded(8);
        std::thread::Builder::new()
            .name("screen-editor-files".into())
            .spawn(move || {
                for r in rx {
                    let reply = answer(r);
                    if tx.send(reply).is_err() {
                        break;
                    }
                    if let Some(n) = &notify {
                        n();
                    }
                }
            })?;
        Ok(Self {
            requests,
            replies,
            pending: 0,
            dead: false,
        })
    }

    /// Queues `r`; false when the thread has ended or is still busy with earlier requests (never waits).
    pub fn send(&mut self, r: Request) -> bool {
        let ok = !self.dead && self.requests.try_send(r).is_ok();
        self.pending += usize::from(ok);
        ok
    }

    /// A reply, when one has come.
    pub fn try_reply(&mut self) -> Option<Reply> {
        match self.replies.try_recv() {
            Ok(r) => {
                self.pending = self.pending.saturating_sub(1);
                Some(r)
            }
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => {
                // The thread ended (it panicked): nothing more will come.
                self.pending = 0;
                self.dead = true;
                None
            }
        }
    }

    /// The file thread has ended: nothing can be opened or saved any more.
    pub fn is_dead(&self) -> bool {
        self.dead
    }

    /// Requests not answered yet.
    pub fn busy(&self) -> bool {
        self.pending > 0
    }
}

fn read_project(root: &std::path::Path) -> Result<ProjectFiles, SaveError> {
    ProjectFiles::from_dir(root).map_err(|e| SaveError::Io {
        path: root.to_path_buf(),
        source: std::io::Error::other(e.to_string()),
    })
}

fn answer(r: Request) -> Reply {
    match r {
        Request::Open { root, rel } => {
            Reply::Opened(file::open(&root, &rel).and_then(|opened| Ok((opened, read_project(&root)?))))
        }
        Request::Create { root, rel, text } => Reply::Created(read_project(&root).and_then(|files| {
            let (opened, saved) = file::create(&root, &rel, &files, &text)?;
            Ok((opened, files.with_file(&rel, &text), saved))
        })),
        Request::Save {
            mut opened,
            text,
            over_disk_change,
        } => {
            let result = read_project(&opened.root)
                .and_then(|files| file::save(&mut opened, &files, &text, over_disk_change))
                .map(|saved| (opened, saved));
            Reply::Saved { text, result }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wait(w: &mut Worker) -> Reply {
        loop {
            if let Some(r) = w.try_reply() {
                return r;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }

    #[test]
    fn opens_and_saves_on_its_thread() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for (rel, text) in ProjectFiles::embedded_demo().iter() {
            let p = root.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        let mut w = Worker::start(None).unwrap();
        assert!(w.send(Request::Open {
            root: root.to_path_buf(),
            rel: "screens/esp.toml".into()
        }));
        assert!(w.busy());
        let Reply::Opened(Ok((opened, files))) = wait(&mut w) else {
            panic!("opened")
        };
        assert!(!w.busy());
        assert_eq!(files.get("screens/esp.toml"), Some(opened.text.as_str()));
        let text = opened.text.replacen("title", "# edited\ntitle", 1);
        w.send(Request::Save {
            opened,
            text: text.clone(),
            over_disk_change: false,
        });
        let Reply::Saved {
            result: Ok((opened, saved)),
            ..
        } = wait(&mut w)
        else {
            panic!("saved")
        };
        assert_eq!(std::fs::read_to_string(root.join("screens/esp.toml")).unwrap(), text);
        assert_eq!(saved.hash, opened.hash);
        // A file not in screens/ is refused, said as such.
        w.send(Request::Open {
            root: root.to_path_buf(),
            rel: "site.toml".into(),
        });
        assert!(matches!(wait(&mut w), Reply::Opened(Err(SaveError::NotAScreen(_)))));
    }
}
