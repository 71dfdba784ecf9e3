/// The ceiling: what this PostgreSQL, on this machine, at this moment, can do at best.
///
/// pgbench, a C client with no queue logic, claims and completes batches of the worker's claim size
/// on as many connections as works best (of `ceilingClients`):
/// - `limit_jobs_per_s`: the cheapest batched claim and completion, on a minimal table (a bigint key
///   and a state, one partial index);
/// - `own_sql_limit_jobs_per_s`: Offload's own claim and complete statements, on Offload's schema.
///
/// The burn-down divided by these says how much the worker itself costs, and how much the schema.
struct CeilingBench {
    struct Outcome {
        var jobsPerSecond: Double
        var clients: Int
        /// The server's processor time per job in the best run, in microseconds.
        var serverCPUMicrosecondsPerJob: Double?
    }

    let context: BenchContext
    let pgbench: Pgbench

    /// The minimal queue.
    func minimal() async throws -> Outcome {
        try await best { clients, rows in
            let database = context.database
            for query in BenchSQL.fillMinimal(rows) { try await database.pool.execute(query) }
            try await database.settle()
            let (tps, cpu) = try await context.measuringServerCPU(jobs: rows) {
                let tps = try await pgbench.run(
                    script: BenchSQL.minimalPgbenchScript, name: "minimal",
                    variables: ["batch": String(context.settings.claimBatch)],
                    clients: clients, transactionsPerClient: rows / (clients * context.settings.claimBatch),
                    target: database.childTarget
                )
                try await sessionsEnded()
                return tps
            }
            let left = try await database.pool.query(BenchSQL.minimalUnfinished).single(Int.self, "n")
            guard left == 0 else { throw BenchError("ceiling (minimal): \(left) of \(rows) jobs were not completed") }
            // Leave no dead rows for autovacuum to clean up in the middle of a later measurement.
            try await database.pool.execute(BenchSQL.fillMinimal(0)[0])
            return (tps, cpu)
        }
    }

    /// Offload's claim and complete statements on Offload's schema.
    func ownSQL() async throws -> Outcome {
        let script = try OwnSQLScript(batch: context.settings.claimBatch)
        return try await best { clients, rows in
            let database = context.database
            try await database.reset()
            let firstID = try await database.pool.query(BenchSQL.nextJobID).single(Int64.self, "id")
            try await database.pool.execute(BenchSQL.enqueueNoops(rows))
            try await database.settle()
            let (tps, cpu) = try await context.measuringServerCPU(jobs: rows) {
                let tps = try await pgbench.run(
                    script: script.script, name: "own-sql", variables: script.variables,
                    clients: clients, transactionsPerClient: rows / (clients * context.settings.claimBatch),
                    target: database.childTarget
                )
                try await sessionsEnded()
                return tps
            }
            let outcome = try await database.pool.query(BenchSQL.burndownOutcome(firstID: firstID))
            let completed = try outcome.single(Int.self, "completed_once")
            guard completed == rows else {
                throw BenchError("ceiling (Offload's SQL): \(completed) of \(rows) jobs were completed once")
            }
            return (tps, cpu)
        }
    }

    /// Waits until pgbench's server processes have exited, and a moment more for the postmaster to
    /// reap them: only then is their processor time in the server's total.
    private func sessionsEnded() async throws {
        while try await context.database.pool.query(BenchSQL.pgbenchSessions).single(Int.self, "n") > 0 {
            try await Task.sleep(for: .milliseconds(5))
        }
        try await Task.sleep(for: .milliseconds(50))
    }

    /// Runs `measure` for each client count with about `jobs` rows (a whole number of batches per
    /// client) and keeps the best rate.
    private func best(
        _ measure: (_ clients: Int, _ rows: Int) async throws -> (tps: Double, cpu: Double?)
    ) async throws -> Outcome {
        let batch = context.settings.claimBatch
        var best = Outcome(jobsPerSecond: 0, clients: 0)
        for clients in context.settings.ceilingClients {
            let transactions = max(1, context.settings.jobs / (batch * clients))
            let (tps, cpu) = try await measure(clients, transactions * clients * batch)
            let rate = tps * Double(batch)
            if rate > best.jobsPerSecond {
                best = Outcome(jobsPerSecond: rate, clients: clients, serverCPUMicrosecondsPerJob: cpu)
            }
        }
        return best
    }
}
