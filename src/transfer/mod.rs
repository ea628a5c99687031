//! The file-transfer engine: pure planning (`limits`, `plan`) and the IO executors.

pub mod limits;
pub mod plan;
