import Hummingbird
import Logging
import Offload
import PGClient

/// The HTTP API: `POST /api/connectSource`, `GET /api/sources/:id` and `GET /health`.
public struct SourcesAPI: Sendable {
    let pool: ConnectionPool
    let offload: Offload

    /// An API writing through `pool` and sending events with `offload`.
    public init(pool: ConnectionPool, offload: Offload) {
        self.pool = pool
        self.offload = offload
    }

    /// Adds the routes to `router`.
    public func addRoutes<Context: RequestContext>(to router: Router<Context>) {
        router.post("/api/connectSource") { request, context in
            try await self.connectSource(request, context: context)
        }
        router.get("/api/sources/{id}") { _, context in
            try await self.source(id: context.parameters.require("id", as: Int64.self))
        }
        // For readiness checks: answers once the server listens, without touching the database.
        router.get("/health") { _, _ in "ok\n" }
    }

    /// Records the source and sends `api/source.connected` in one transaction, then answers 201.
    /// Nothing slow happens here: the import and the email are the workers' jobs.
    func connectSource(_ request: Request, context: some RequestContext) async throws -> EditedResponse<SourceCreated> {
        let body = try await request.body.collect(upTo: 64 * 1024)
        let input: ConnectSourceRequest
        do {
            input = try ConnectSourceRequest.parse(body.readableBytesView)
        } catch {
            throw HTTPError(.badRequest, message: error.message)
        }
        let created = try await pool.transaction { tx in
            let sourceID = try await tx.query(
                "INSERT INTO sources (user_id, url) VALUES (\(input.userId), \(input.url)) RETURNING id"
            ).single(Int64.self, "id")
            // The event and its jobs commit with the source, or none of them exists.
            let eventID = try await offload.send(SourceConnected(sourceId: sourceID, userId: input.userId), on: tx)
            try await tx.execute("UPDATE sources SET event_id = \(eventID) WHERE id = \(sourceID)")
            return SourceCreated(sourceId: sourceID, eventId: eventID)
        }
        return EditedResponse(
            status: .created,
            headers: [.location: "/api/sources/\(created.sourceId)"],
            response: created
        )
    }

    func source(id: Int64) async throws -> SourceStatus {
        guard let status = try await SourceStatus.load(id: id, from: pool) else {
            throw HTTPError(.notFound, message: "no source \(id)")
        }
        return status
    }
}

extension SourceStatus: ResponseEncodable {}
