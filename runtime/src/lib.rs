//! The nubes runtime: the context, the exactly-once executor, the stores and the transports
//! that generated handlers and clients run on.
