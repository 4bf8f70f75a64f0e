//! RESP: the request decoder and the reply encoder.

pub mod parse;
pub mod reply;

pub use reply::Reply;
