import PGClient

/// The app's own tables. Offload's schema comes from `Migrator`; these sit beside it in `public`.
public enum AppSchema {
    /// Creates the tables if they don't exist yet; running it again changes nothing.
    public static func create(on database: some Queryable) async throws {
        for statement in statements { try await database.execute(statement) }
    }

    static let statements: [Query] = [
        """
        CREATE TABLE IF NOT EXISTS sources (
            id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            user_id       bigint NOT NULL,
            url           text NOT NULL,
            -- The api/source.connected event sent with this row: offload.jobs.event_id finds the
            -- background work it caused.
            event_id      bigint,
            created_at    timestamptz NOT NULL DEFAULT now(),
            -- Set by backfill-user-data, in the transaction that completes its job.
            backfilled_at timestamptz
        )
        """,
        // What backfill-user-data imports. The key makes a re-run write nothing twice.
        """
        CREATE TABLE IF NOT EXISTS source_documents (
            source_id   bigint NOT NULL REFERENCES sources (id),
            position    integer NOT NULL,
            title       text NOT NULL,
            imported_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (source_id, position)
        )
        """,
        // Mail waiting to be handed to a mail service; send-welcome-email writes one row per source.
        """
        CREATE TABLE IF NOT EXISTS outbox (
            source_id  bigint NOT NULL REFERENCES sources (id),
            kind       text NOT NULL,
            user_id    bigint NOT NULL,
            subject    text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (source_id, kind)
        )
        """,
    ]
}
