import Foundation
import Logging
import OffloadTestKit
import PGClient
import Testing

@testable import Offload

/// Issue 13, finding 1: an enqueuer that can create objects in a schema on other roles' search_path
/// plants operators and functions with the names and argument types Offload's SQL uses; none of them
/// may ever run, whoever calls the SQL API or reads the views (migration 8).
@Suite("search_path hijack")
struct SearchPathTests {
    /// Every function in schema offload (of any migration, later ones included) runs with a fixed
    /// search_path, and only the three enqueue functions run with their owner's rights.
    @Test func everyFunctionHasAFixedSearchPath() async throws {
        try await OffloadTestDatabase.with { pool async throws in
            let rows = try await pool.query(
                """
                SELECT p.oid::regprocedure::text AS signature, p.prosecdef,
                       coalesce(p.proconfig @> ARRAY['search_path=pg_catalog, pg_temp'], false) AS fixed
                FROM pg_proc AS p
                WHERE p.pronamespace = 'offload'::regnamespace
                ORDER BY 1
                """
            ).rows
            #expect(rows.count >= 8)
            for row in rows {
                let signature = try row.decode(String.self, "signature")
                #expect(try row.decode(Bool.self, "fixed"), "\(signature) lacks SET search_path = pg_catalog, pg_temp")
            }
            let definers = try rows.filter { try $0.decode(Bool.self, "prosecdef") }.map {
                try $0.decode(String.self, "signature")
            }
            #expect(
                definers.map { $0.prefix { $0 != "(" } }.sorted() == [
                    "offload.enqueue", "offload.enqueue_many", "offload.send",
                ])
        }
    }

    /// Runs as the owner (a superuser here), the enqueuer, the worker and the monitor, each with public
    /// first on its search_path (ahead of pg_catalog), every function of schema offload and every view.
    @Test func plantedOperatorsAndFunctionsNeverRun() async throws {
        try await OffloadTestDatabase.withConfiguration { configuration in
            try await OffloadTestRoles.with(configuration) { roles, owner in
                try await SearchPathPlants.withPlants(roles: roles, owner: owner) { attacker, attackerConnection in
                    try await plantAndCall(
                        roles: roles, owner: owner, attacker: attacker, attackerConnection: attackerConnection,
                        configuration: configuration
                    )
                }
            }
        }
    }

    private func plantAndCall(
        roles: OffloadTestRoles, owner: Connection, attacker: String, attackerConnection: Connection,
        configuration: ConnectionConfiguration
    ) async throws {

        func victim(_ user: String?) async throws -> Connection {
            let connection = try await Connection.connect(user.map { roles.configuration(as: $0) } ?? configuration)
            try await connection.execute("SET search_path = public, pg_catalog")
            return connection
        }
        let asOwner = try await victim(nil)
        let asWorker = try await victim(roles.worker)
        let asMonitor = try await victim(roles.monitor)
        try await attackerConnection.execute("SET search_path = public, pg_catalog")

        // The plants work: an unqualified call in a victim's own statement runs one.
        try await asMonitor.execute("SELECT 'available'::offload.job_state = 'running'::offload.job_state")
        #expect(try await plantedCalls(owner) == ["operator =(offload.job_state, offload.job_state)"])
        try await owner.execute("TRUNCATE public.planted_calls")
        let hitsBefore = try await owner.query("SELECT last_value FROM public.planted_hits").single(
            Int64.self, "last_value")

        try await owner.execute("INSERT INTO offload.functions (id, events, queue) VALUES ('greet', '{e}', 'default')")
        var called: Set<String> = []
        func call(_ connection: Connection, _ function: String, _ sql: String) async throws {
            called.insert(function)
            _ = try await connection.query(Query(unsafeSQL: sql))
        }
        for connection in [asOwner, attackerConnection] {
            try await call(
                connection, "enqueue",
                "SELECT offload.enqueue('greet', '{\"a\": 1}', queue => 'default', run_at => '2030-01-01', tags => '{x}')"
            )
            try await call(connection, "enqueue", "SELECT offload.enqueue('greet', '{}', unique_key => 'u')")
            try await call(
                connection, "enqueue_many", "SELECT offload.enqueue_many('{greet,greet}', '{\"{}\",\"{}\"}')")
            try await call(
                connection, "enqueue_many",
                "SELECT offload.enqueue_many('{greet,greet}', '{\"{}\",\"{}\"}', run_ats => '{2030-01-01,NULL}', unique_keys => '{b,a}')"
            )
            try await call(connection, "send", "SELECT offload.send('e', '{\"x\": 1}', idempotency_key => 'i')")
            try await call(connection, "send", "SELECT offload.send('e', '{\"x\": 2}')")
        }
        // Ids are looked up on the owner's clean connection: a victim's own `state = '…'` would
        // run the planted operator.
        func someJob(_ state: String) async throws -> Int64 {
            try await owner.query("SELECT min(id) AS id FROM offload.jobs WHERE state = \(state)::offload.job_state")
                .single(Int64.self, "id")
        }
        for connection in [asOwner, asWorker] {
            try await call(connection, "claim", "SELECT * FROM offload.claim('default', 2, 'w', 30)")
            try await call(connection, "cancel", "SELECT offload.cancel(\(try await someJob("running")))")
            try await call(connection, "cancel", "SELECT offload.cancel(\(try await someJob("available")))")
            try await call(
                connection, "retry", "SELECT offload.retry(\(try await someJob("cancelled")), to_queue => 'other')")
        }
        try await call(asWorker, "claimable_now", "SELECT offload.claimable_now()")
        try await call(
            asWorker, "advance_claim_floors", "SELECT offload.advance_claim_floors('2030-01-01', thorough => true)")
        try await call(asWorker, "advance_claim_floors", "SELECT offload.advance_claim_floors('2030-01-01')")
        try await call(asOwner, "check_job_input", "SELECT offload.check_job_input('c', 'f', '{}', 'q', 0, 1)")
        try await call(
            asOwner, "check_job", "SELECT offload.check_job('c', 'f', '{}', 'q', 0, 1, '2030-01-01', 'k', '{t}', 1024)")
        try await owner.execute(
            """
            UPDATE offload.jobs SET state = 'dead', finished_at = now(),
                errors = '[{"at": "2026-01-01T00:00:00Z", "message": "m", "type": "T", "attempt": 1}]'
            WHERE id = (SELECT min(id) FROM offload.jobs WHERE state = 'available')
            """)
        try await owner.execute("INSERT INTO offload.workers (id) VALUES ('w')")
        for connection in [asOwner, asMonitor] {
            for view in ["queue_stats", "failures", "live_workers", "throughput"] {
                #expect(
                    try await connection.query(Query(unsafeSQL: "SELECT * FROM offload.\(view)")).rows.count > 0,
                    "\(view)")
            }
        }

        // Every function of the schema was called (a new one needs a line above).
        let all = try await owner.query(
            "SELECT DISTINCT proname FROM pg_proc WHERE pronamespace = 'offload'::regnamespace"
        ).rows
            .map { try $0.decode(String.self, "proname") }
        #expect(
            Set(all).subtracting(called).isEmpty,
            "not called with planted objects around: \(Set(all).subtracting(called).sorted())")

        #expect(try await plantedCalls(owner) == [])
        #expect(
            try await owner.query("SELECT last_value FROM public.planted_hits").single(Int64.self, "last_value")
                == hitsBefore)
        let escalated = try await owner.query(
            Query(
                unsafeSQL: """
                    SELECT count(*) AS n FROM pg_roles
                    WHERE rolname IN ('\(attacker)', '\(roles.enqueuer)', '\(roles.worker)', '\(roles.monitor)')
                      AND (rolsuper OR rolcreaterole OR rolcreatedb OR rolbypassrls OR rolreplication)
                    """)
        ).single(Int.self, "n")
        #expect(escalated == 0)
    }

    private func plantedCalls(_ owner: Connection) async throws -> [String] {
        try await SearchPathPlants.calls(owner)
    }
}

/// Arguments of jobs that take none.
private struct NoArguments: Codable, Sendable {}

extension SearchPathTests {
    /// A worker among the plants, as `offload_worker`: claims, renewals, outcomes (a return, a failure
    /// that goes dead, a completion in the handler's own transaction on the app's pool, whose search
    /// path puts public first) and a maintenance pass (rescue, pruning). None runs a plant: the
    /// worker's own sessions pin their search path, and the one statement it runs on the app's
    /// connection qualifies every operator.
    @Test func aWorkerAmongPlantsRunsNone() async throws {
        try await OffloadTestDatabase.withConfiguration { configuration in
            try await OffloadTestRoles.with(configuration) { roles, owner in
                try await SearchPathPlants.withPlants(roles: roles, owner: owner) { attacker, _ in
                    try await runWorkerAmongPlants(roles: roles, owner: owner, attacker: attacker)
                }
            }
        }
    }

    private func runWorkerAmongPlants(roles: OffloadTestRoles, owner: Connection, attacker: String) async throws {
        let hitsBefore = try await SearchPathPlants.hits(owner)

        for function in ["plain", "own-transaction", "fails"] {
            _ = try await owner.query(
                Query(unsafeSQL: "SELECT offload.enqueue($1, '{}', max_attempts => 1)", binds: [function]))
        }
        // A job of a worker that is gone, for rescue; a job finished long ago, for pruning.
        try await owner.executeUnsafeScript(
            """
            INSERT INTO offload.jobs (queue, function, state, attempt, worker_id, lease_until)
            VALUES ('other', 'plain', 'running', 1, 'gone', now() - interval '1 minute');
            INSERT INTO offload.jobs (queue, function, state, finished_at)
            VALUES ('other', 'plain', 'completed', now() - interval '3 days');
            """)

        // The app's pool: the worker role, public first on its search path.
        let app = roles.configuration(as: roles.worker).setting("search_path", to: "public, pg_catalog")
        let appPool = ConnectionPool(app, maxConnections: 4)
        defer { appPool.close() }
        let functions = [
            Function(id: "plain") { (_: NoArguments, _: JobContext) in },
            Function(id: "own-transaction") { (_: NoArguments, context: JobContext) in
                try await context.transaction { _ in }
            },
            Function(id: "fails") { (_: NoArguments, _: JobContext) in throw Failing() },
        ]
        let worker = testWorker(pool: appPool, functions: functions)
        try await whileRunning(worker) { () async throws in
            let settled = try await eventually {
                try await owner.query(
                    """
                    SELECT count(*) FILTER (WHERE state = 'completed' AND queue = 'default') = 2
                       AND count(*) FILTER (WHERE state = 'dead') = 1 AS done
                    FROM offload.jobs
                    """
                ).single(Bool.self, "done")
            }
            let states = try await owner.query(
                "SELECT function || ':' || state || ':' || errors::text AS s FROM offload.jobs ORDER BY id"
            ).rows.map { try $0.decode(String.self, "s") }
            #expect(settled, "\(states)")
        }
        // A maintenance pass as the worker role, on a session configured as the worker's own.
        let maintenanceConfiguration = Worker.ownConnectionConfiguration(app, WorkerConfiguration())
        let maintenance = Maintenance(
            configuration: MaintenanceConfiguration(),
            leaseDuration: .zero,
            connectionConfiguration: maintenanceConfiguration,
            metrics: WorkerMetrics(),
            logger: Logger(label: "search-path-test")
        )
        try await maintenance.runPass(on: try await Connection.connect(maintenanceConfiguration))
        #expect(
            try await owner.query(
                "SELECT count(*) AS n FROM offload.jobs WHERE worker_id = 'gone' AND state = 'running'"
            ).single(Int.self, "n") == 0, "rescued")
        #expect(
            try await owner.query(
                "SELECT count(*) AS n FROM offload.jobs WHERE finished_at < now() - interval '2 days'"
            ).single(Int.self, "n") == 0, "pruned")

        let calls = try await SearchPathPlants.calls(owner)
        #expect(calls == [], "planted code ran: \(calls)")
        #expect(try await SearchPathPlants.hits(owner) == hitsBefore)
        let escalated = try await owner.query(
            Query(
                unsafeSQL: """
                    SELECT count(*) AS n FROM pg_roles
                    WHERE rolname IN ('\(attacker)', '\(roles.worker)')
                      AND (rolsuper OR rolcreaterole OR rolcreatedb OR rolbypassrls OR rolreplication)
                    """)
        ).single(Int.self, "n")
        #expect(escalated == 0)
    }
}
