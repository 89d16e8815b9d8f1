//! `clickpath top`: a live, full-screen terminal dashboard over the report's own structures
//! (`TrafficReport`). The panels pick and format the report's figures (adding only a row's share
//! of its total); the source of the reports (a dataset the logs are followed into) is the
//! binary's.

pub mod app;
pub mod draw;
pub mod panels;
pub mod terminal;
pub mod text;

pub use app::{Action, Answer, App};
pub use panels::{AlertCount, Pairs};
pub use terminal::{Source, run};
