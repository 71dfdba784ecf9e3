/// Offload: background jobs for Swift on PostgreSQL.
///
/// Jobs are rows in the `offload` schema. App code enqueues them inside its own transaction;
/// worker processes claim them with `FOR UPDATE SKIP LOCKED` and run the registered functions.
public enum Offload {}
