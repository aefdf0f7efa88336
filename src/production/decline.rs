//! placeholder
pub struct DeclineWorker;
