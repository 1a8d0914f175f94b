//! The `emp` binary. Its commands arrive with the features they drive; the
//! FIX log reader (`emp fix decode`) is the first.

fn main() {}
