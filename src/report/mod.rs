//! The console's printed documents' machinery: A4 pages laid out as display lists and made into PDF
//! (`sheet`: fonts, colours, measuring, krilla), the reader's formatting (`fmt`: language, units, decimal
//! mark), the layout's building blocks and every page's dress (`blocks`) and line charts (`chart`).
//!
//! Shared by the CT job ticket (`job::ticket`) and the production test certificate
//! (`production::certificate`), which own what they print and in what order. This room knows nothing of
//! jobs or wells: it must not import `job`, `production` or any room above `units`/`locale`, and draws
//! nothing on screen.

pub mod blocks;
pub mod chart;
pub mod fmt;
pub mod sheet;

pub use fmt::Fmt;

/// Why a document could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("PDF: {0}")]
    Pdf(String),
}

#[cfg(test)]
pub mod testing;
