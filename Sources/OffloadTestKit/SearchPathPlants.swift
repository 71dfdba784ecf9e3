import PGClient

/// Operators and functions an attacker plants in `public` with the names and argument types Offload's
/// SQL uses, for tests that prove none of them ever runs (docs/security.md). Apps can plant them next
/// to their own SQL too: whatever runs a planted object shows up in `public.planted_calls`.
///
/// Each plant records its call (in `public.planted_calls` and the sequence `public.planted_hits`,
/// which a rollback does not undo), tries to make the attacker a superuser, then does what the
/// pg_catalog original does, so a victim's statement still works and the call goes unnoticed.
public enum SearchPathPlants {
    /// A planted function: `signature` in public, returning `returns`, doing what `body` does after
    /// recording the call.
    public struct Plant: Sendable {
        public let signature: String
        public let returns: String
        public let body: String

        public init(signature: String, returns: String, body: String) {
            self.signature = signature
            self.returns = returns
            self.body = body
        }

        /// A function that delegates to pg_catalog's of the same name.
        public static func function(_ name: String, _ arguments: [String], returns: String) -> Plant {
            let call = "pg_catalog.\(name)(\(arguments.indices.map { "$\($0 + 1)" }.joined(separator: ", ")))"
            let body =
                switch returns {
                case "void": "PERFORM \(call);"
                case let setOf where setOf.hasPrefix("SETOF"): "RETURN QUERY SELECT * FROM \(call);"
                default: "RETURN \(call);"
                }
            return Plant(signature: "\(name)(\(arguments.joined(separator: ", ")))", returns: returns, body: body)
        }
    }

    /// Operators Offload's SQL (functions, views, runtime statements) applies: (name, left, right, returns).
    public static let operators: [(String, String, String, String)] = [
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

    public static let functions: [Plant] = [
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
        .function(
            "jsonb_build_object",
            ["text", "timestamptz", "text", "integer", "text", "text", "text", "text", "text", "text"], returns: "jsonb"
        ),
        .function("pg_postmaster_start_time", [], returns: "timestamptz"),
        .function("pg_try_advisory_lock", ["bigint"], returns: "boolean"),
        .function("clock_timestamp", [], returns: "timestamptz"),
        .function("txid_current", [], returns: "bigint"),
        .function("txid_current_snapshot", [], returns: "txid_snapshot"),
        .function("txid_snapshot_xmin", ["txid_snapshot"], returns: "bigint"),
        .function("generate_series", ["integer", "integer"], returns: "SETOF integer"),
        Plant(
            signature:
                "make_interval(years integer DEFAULT 0, months integer DEFAULT 0, weeks integer DEFAULT 0, days integer DEFAULT 0, hours integer DEFAULT 0, mins integer DEFAULT 0, secs double precision DEFAULT 0)",
            returns: "interval",
            body: "RETURN pg_catalog.make_interval(years, months, weeks, days, hours, mins, secs);"
        ),
    ]

    /// The plants, created by `attacker` in public. Each records its call in public.planted_calls and
    /// in a sequence (which a rollback does not undo), and tries to make the attacker a superuser.
    public static func script(attacker: String) -> String {
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

    /// What ran a plant so far, by name, sorted.
    public static func calls(_ connection: Connection) async throws -> [String] {
        try await connection.query("SELECT name FROM public.planted_calls ORDER BY name").rows.map {
            try $0.decode(String.self, "name")
        }
    }

    /// How many plant calls there ever were (rolled-back ones included).
    public static func hits(_ connection: Connection) async throws -> Int64 {
        try await connection.query("SELECT last_value FROM public.planted_hits").single(Int64.self, "last_value")
    }
}

extension SearchPathPlants {
    /// Creates the attacker, an `offload_enqueuer` login that may create objects in `public`, plants
    /// every operator and function there as it, and runs `body` with its name and its session; then
    /// drops it with `roles`' logins (also when `body` throws). The owner's session is pinned to
    /// `pg_catalog` first, so the test's own statements stay clear of the plants.
    public static func withPlants<T>(
        roles: OffloadTestRoles,
        owner: Connection,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (_ attacker: String, _ attackerSession: Connection) async throws -> T
    ) async throws -> T {
        let attacker = "offload_test_attacker_\(roles.suffix)"
        try await owner.execute("SET search_path = pg_catalog, pg_temp")
        try await owner.execute(Query(unsafeSQL: "CREATE ROLE \(attacker) LOGIN IN ROLE offload_enqueuer"))
        do {
            try await owner.execute(Query(unsafeSQL: "GRANT CREATE ON SCHEMA public TO \(attacker)"))
            let session = try await Connection.connect(roles.configuration(as: attacker))
            try await session.executeUnsafeScript(script(attacker: attacker))
            let result = try await body(attacker, session)
            await roles.drop(using: owner, extra: [attacker])
            return result
        } catch {
            await roles.drop(using: owner, extra: [attacker])
            throw error
        }
    }
}
