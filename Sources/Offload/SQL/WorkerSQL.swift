import PGClient

/// Statements about worker processes (`offload.workers`).
enum WorkerSQL {
    /// Binds: id, hostname, pid, queues, concurrency.
    static func register(id: String, hostname: String, pid: Int, queues: [String], concurrency: Int) -> Query {
        """
        INSERT INTO offload.workers (id, hostname, pid, queues, concurrency, started_at, heartbeat_at)
        VALUES (\(id), \(hostname), \(pid), \(queues)::text[], \(concurrency), now(), now())
        ON CONFLICT (id) DO UPDATE SET heartbeat_at = now()
        """
    }

    /// Binds: id. Re-inserts nothing: a worker whose row was removed as stale re-registers.
    static func heartbeat(id: String) -> Query {
        """
        UPDATE offload.workers
        SET heartbeat_at = now()
        WHERE id = \(id)
        """
    }

    /// Binds: id.
    static func deregister(id: String) -> Query {
        """
        DELETE FROM offload.workers
        WHERE id = \(id)
        """
    }
}
