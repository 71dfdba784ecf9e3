import Foundation
import Offload
import OffloadTestKit
import PGClient
import Testing

/// Issue 13, finding 1: an enqueuer that can create objects in a schema on other roles' search_path
/// plants operators and functions with the names and argument types Offload's SQL uses; none of them
/// may ever run, whoever calls the SQL API or reads the views (migration 8).
@Suite("search_path hijack")
struct SearchPathTests {
    /// Every function in schema offload (of any migration, later ones included) runs with a fixed
    /// search_path, and only the three enqueue functions run with their owner's rights.
    @Test func everyFunctionHasAFixedSearchPath() async throws {
        try await OffloadTestDatabase.with { pool async throws in
            let rows = try await pool.query("""
                SELECT p.oid::regprocedure::text AS signature, p.prosecdef,
                       coalesce(p.proconfig @> ARRAY['search_path=pg_catalog, pg_temp'], false) AS fixed
                FROM pg_proc AS p
                WHERE p.pronamespace = 'offload'::regnamespace
                ORDER BY 1
                """).rows
            #expect(rows.count >= 8)
            for row in rows {
                let signature = try row.decode(String.self, "signature")
                #expect(try row.decode(Bool.self, "fixed"), "\(signature) lacks SET search_path = pg_catalog, pg_temp")
            }
            let definers = try rows.filter { try $0.decode(Bool.self, "prosecdef") }.map { try $0.decode(String.self, "signature") }
            #expect(definers.map { $0.prefix { $0 != "(" } }.sorted() == ["offload.enqueue", "offload.enqueue_many", "offload.send"])
        }
    }

    /// A planted function: `signature` in public, returning `returns`, doing what `body` does after
    /// recording the call.
    struct Plant {
        let signature: String
        let returns: String
        let body: String

        /// A function that delegates to pg_catalog's of the same name.
        static func function(_ name: String, _ arguments: [String], returns: String) -> Plant {
            let call = "pg_catalog.\(name)(\(arguments.indices.map { "$\($0 + 1)" }.joined(separator: ", ")))"
            let body = switch returns {
            case "void": "PERFORM \(call);"
            case let setOf where setOf.hasPrefix("SETOF"): "RETURN QUERY SELECT * FROM \(call);"
            default: "RETURN \(call);"
            }
            return Plant(signature: "\(name)(\(arguments.joined(separator: ", ")))", returns: returns, body: body)
        }
    }

    /// Operators Offload's SQL (functions, views, runtime statements) applies: (name, left, right, returns).
    static let operators: [(String, String, String, String)] = [
        ("=", "offload.job_state", "offload.job_state", "boolean"),
        ("<>", "offload.job_state", "offload.job_state", "boolean"),
        ("=", "text", "text", "boolean"),
        ("<>", "text", "text", "boolean"),
        ("~", "text", "text", "boolean"),
        ("!~", "text", "text", "boolean"),
        ("||", "text", "text", "text"),
        ("=", "bigint", "bigint", "boolean"),
        (">", "bigint", "integer", "boolean"),
        ("=", "integer", "integer", "boolean"),
        ("<>", "integer", "integer", "boolean"),
        ("<", "integer", "integer", "boolean"),
        ("<=", "integer", "integer", "boolean"),
        (">", "integer", "integer", "boolean"),
        (">=", "integer", "integer", "boolean"),
        ("+", "integer", "integer", "integer"),
        ("-", "integer", "integer", "integer"),
        ("<", "timestamptz", "timestamptz", "boolean"),
        ("<=", "timestamptz", "timestamptz", "boolean"),
        (">", "timestamptz", "timestamptz", "boolean"),
        (">=", "timestamptz", "timestamptz", "boolean"),
        ("+", "timestamptz", "interval", "timestamptz"),
        ("-", "timestamptz", "interval", "timestamptz"),
        ("-", "timestamptz", "timestamptz", "interval"),
        ("||", "jsonb", "jsonb", "jsonb"),
        ("->", "jsonb", "integer", "jsonb"),
        ("->>", "jsonb", "text", "text"),
        ("=", "text[]", "text[]", "boolean"),
        ("@>", "text[]", "text[]", "boolean"),
        ("&&", "text[]", "text[]", "boolean"),
    ]

    static let functions: [Plant] = [
        .function("now", [], returns: "timestamptz"),
        .function("pg_notify", ["text", "text"], returns: "void"),
        .function("set_config", ["text", "text", "boolean"], returns: "text"),
        .function("char_length", ["text"], returns: "integer"),
        .function("octet_length", ["text"], returns: "integer"),
        .function("jsonb_typeof", ["jsonb"], returns: "text"),
        .function("to_jsonb", ["text"], returns: "jsonb"),
        .function("pg_column_size", ["jsonb"], returns: "integer"),
        .function("pg_column_compression", ["jsonb"], returns: "text"),
        .function("cardinality", ["text[]"], returns: "integer"),
        .function("cardinality", ["jsonb[]"], returns: "integer"),
        .function("cardinality", ["integer[]"], returns: "integer"),
        .function("cardinality", ["timestamptz[]"], returns: "integer"),
        .function("array_remove", ["text[]", "text"], returns: "text[]"),
        .function("array_ndims", ["text[]"], returns: "integer"),
        .function("array_position", ["text[]", "text"], returns: "integer"),
        .function("unnest", ["text[]"], returns: "SETOF text"),
        .function("unnest", ["jsonb[]"], returns: "SETOF jsonb"),
        .function("unnest", ["bigint[]"], returns: "SETOF bigint"),
        .function("unnest", ["integer[]"], returns: "SETOF integer"),
        .function("unnest", ["timestamptz[]"], returns: "SETOF timestamptz"),
        .function("format", ["text", "bigint"], returns: "text"),
        .function("format", ["text", "text"], returns: "text"),
        .function("nextval", ["regclass"], returns: "bigint"),
        .function("date_trunc", ["text", "timestamptz"], returns: "timestamptz"),
        .function("jsonb_build_array", ["jsonb"], returns: "jsonb"),
        .function("jsonb_build_object", ["text", "timestamptz", "text", "integer", "text", "text", "text", "text", "text", "text"], returns: "jsonb"),
        .function("pg_postmaster_start_time", [], returns: "timestamptz"),
        .function("pg_try_advisory_lock", ["bigint"], returns: "boolean"),
        Plant(
            signature: "make_interval(years integer DEFAULT 0, months integer DEFAULT 0, weeks integer DEFAULT 0, days integer DEFAULT 0, hours integer DEFAULT 0, mins integer DEFAULT 0, secs double precision DEFAULT 0)",
            returns: "interval",
            body: "RETURN pg_catalog.make_interval(years, months, weeks, days, hours, mins, secs);"
        ),
    ]

    /// The plants, created by `attacker` in public. Each records its call in public.planted_calls and
    /// in a sequence (which a rollback does not undo), and tries to make the attacker a superuser.
    static func plantScript(attacker: String) -> String {
        var sql = """
            CREATE TABLE public.planted_calls (name text, called_by name);
            GRANT INSERT ON public.planted_calls TO PUBLIC;
            CREATE SEQUENCE public.planted_hits;
            GRANT USAGE ON SEQUENCE public.planted_hits TO PUBLIC;
            CREATE FUNCTION public.planted_hit(what text) RETURNS void
            LANGUAGE plpgsql SET search_path = pg_catalog AS $plant$
            BEGIN
                PERFORM pg_catalog.nextval('public.planted_hits'::pg_catalog.regclass);
                INSERT INTO public.planted_calls (name, called_by) VALUES (what, current_user);
                BEGIN
                    EXECUTE 'ALTER ROLE \(attacker) SUPERUSER';
                EXCEPTION WHEN OTHERS THEN NULL;
                END;
            END;
            $plant$;

            """
        for (index, plant) in functions.enumerated() {
            sql += """
                CREATE FUNCTION public.\(plant.signature) RETURNS \(plant.returns)
                LANGUAGE plpgsql SET search_path = pg_catalog AS $plant$
                BEGIN
                    PERFORM public.planted_hit('\(plant.signature.prefix { $0 != "(" }) #\(index)');
                    \(plant.body)
                END;
                $plant$;

                """
        }
        for (index, (name, left, right, returns)) in operators.enumerated() {
            sql += """
                CREATE FUNCTION public.planted_operator_\(index)(a \(left), b \(right)) RETURNS \(returns)
                LANGUAGE plpgsql SET search_path = pg_catalog AS $plant$
                BEGIN
                    PERFORM public.planted_hit('operator \(name)(\(left), \(right))');
                    RETURN a OPERATOR(pg_catalog.\(name)) b;
                END;
                $plant$;
                CREATE OPERATOR public.\(name) (LEFTARG = \(left), RIGHTARG = \(right), FUNCTION = public.planted_operator_\(index));

                """
        }
        return sql
    }

    /// Runs as the owner (a superuser here), the enqueuer, the worker and the monitor, each with public
    /// first on its search_path (ahead of pg_catalog), every function of schema offload and every view.
    @Test func plantedOperatorsAndFunctionsNeverRun() async throws {
        try await OffloadTestDatabase.withConfiguration { configuration in
            try await TestRoles.with(configuration) { roles, owner in
                // The attacker: an enqueuer that may create objects in public.
                let attacker = "offload_test_attacker_\(roles.suffix)"
                // The test's own statements stay clear of the plants.
                try await owner.execute("SET search_path = pg_catalog, pg_temp")
                try await owner.execute(Query(sql: "CREATE ROLE \(attacker) LOGIN IN ROLE offload_enqueuer"))
                do {
                    try await plantAndCall(roles: roles, owner: owner, attacker: attacker, configuration: configuration)
                } catch {
                    await roles.drop(using: owner, extra: [attacker])
                    throw error
                }
                await roles.drop(using: owner, extra: [attacker])
            }
        }
    }

    private func plantAndCall(roles: TestRoles, owner: Connection, attacker: String, configuration: ConnectionConfiguration) async throws {
        try await owner.execute(Query(sql: "GRANT CREATE ON SCHEMA public TO \(attacker)"))
        let attackerConnection = try await Connection.connect(roles.configuration(as: attacker))
        try await attackerConnection.executeScript(Self.plantScript(attacker: attacker))

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
        let hitsBefore = try await owner.query("SELECT last_value FROM public.planted_hits").single(Int64.self, "last_value")

        try await owner.execute("INSERT INTO offload.functions (id, events, queue) VALUES ('greet', '{e}', 'default')")
        var called: Set<String> = []
        func call(_ connection: Connection, _ function: String, _ sql: String) async throws {
            called.insert(function)
            _ = try await connection.query(Query(sql: sql))
        }
        for connection in [asOwner, attackerConnection] {
            try await call(connection, "enqueue", "SELECT offload.enqueue('greet', '{\"a\": 1}', queue => 'default', run_at => '2030-01-01', tags => '{x}')")
            try await call(connection, "enqueue", "SELECT offload.enqueue('greet', '{}', unique_key => 'u')")
            try await call(connection, "enqueue_many", "SELECT offload.enqueue_many('{greet,greet}', '{\"{}\",\"{}\"}')")
            try await call(connection, "enqueue_many", "SELECT offload.enqueue_many('{greet,greet}', '{\"{}\",\"{}\"}', run_ats => '{2030-01-01,NULL}', unique_keys => '{b,a}')")
            try await call(connection, "send", "SELECT offload.send('e', '{\"x\": 1}', idempotency_key => 'i')")
            try await call(connection, "send", "SELECT offload.send('e', '{\"x\": 2}')")
        }
        // Ids are looked up on the owner's clean connection: a victim's own `state = '…'` would
        // run the planted operator.
        func someJob(_ state: String) async throws -> Int64 {
            try await owner.query("SELECT min(id) AS id FROM offload.jobs WHERE state = \(state)::offload.job_state").single(Int64.self, "id")
        }
        for connection in [asOwner, asWorker] {
            try await call(connection, "claim", "SELECT * FROM offload.claim('default', 2, 'w', 30)")
            try await call(connection, "cancel", "SELECT offload.cancel(\(try await someJob("running")))")
            try await call(connection, "cancel", "SELECT offload.cancel(\(try await someJob("available")))")
            try await call(connection, "retry", "SELECT offload.retry(\(try await someJob("cancelled")), to_queue => 'other')")
        }
        try await call(asOwner, "check_job_input", "SELECT offload.check_job_input('c', 'f', '{}', 'q', 0, 1)")
        try await call(asOwner, "check_job", "SELECT offload.check_job('c', 'f', '{}', 'q', 0, 1, '2030-01-01', 'k', '{t}', 1024)")
        try await owner.execute("""
            UPDATE offload.jobs SET state = 'dead', finished_at = now(),
                errors = '[{"at": "2026-01-01T00:00:00Z", "message": "m", "type": "T", "attempt": 1}]'
            WHERE id = (SELECT min(id) FROM offload.jobs WHERE state = 'available')
            """)
        try await owner.execute("INSERT INTO offload.workers (id) VALUES ('w')")
        for connection in [asOwner, asMonitor] {
            for view in ["queue_stats", "failures", "live_workers", "throughput"] {
                #expect(try await connection.query(Query(sql: "SELECT * FROM offload.\(view)")).rows.count > 0, "\(view)")
            }
        }

        // Every function of the schema was called (a new one needs a line above).
        let all = try await owner.query("SELECT DISTINCT proname FROM pg_proc WHERE pronamespace = 'offload'::regnamespace").rows
            .map { try $0.decode(String.self, "proname") }
        #expect(Set(all).subtracting(called).isEmpty, "not called with planted objects around: \(Set(all).subtracting(called).sorted())")

        #expect(try await plantedCalls(owner) == [])
        #expect(try await owner.query("SELECT last_value FROM public.planted_hits").single(Int64.self, "last_value") == hitsBefore)
        let escalated = try await owner.query(Query(sql: """
            SELECT count(*) AS n FROM pg_roles
            WHERE rolname IN ('\(attacker)', '\(roles.enqueuer)', '\(roles.worker)', '\(roles.monitor)')
              AND (rolsuper OR rolcreaterole OR rolcreatedb OR rolbypassrls OR rolreplication)
            """)).single(Int.self, "n")
        #expect(escalated == 0)
    }

    private func plantedCalls(_ owner: Connection) async throws -> [String] {
        try await owner.query("SELECT name FROM public.planted_calls ORDER BY name").rows.map { try $0.decode(String.self, "name") }
    }
}
