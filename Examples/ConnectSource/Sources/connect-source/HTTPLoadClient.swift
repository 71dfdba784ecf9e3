import ConnectSourceApp
import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// What one request of the load run got.
struct RequestResult: Sendable {
    /// From sending the request to having the whole answer, in milliseconds.
    var milliseconds: Double
    /// The HTTP status, nil when there was no answer.
    var status: Int?
    /// The created source, when the API answered 201 with one.
    var sourceID: Int64?
    /// What went wrong, when something did.
    var failure: String?
}

/// Sends `POST /api/connectSource` requests on a fixed schedule with URLSession.
struct HTTPLoadClient: Sendable {
    let baseURL: URL
    let session: URLSession

    init(baseURL: URL) {
        self.baseURL = baseURL
        let configuration = URLSessionConfiguration.ephemeral
        // Enough connections that a slow answer never queues the next request behind it.
        configuration.httpMaximumConnectionsPerHost = 64
        configuration.timeoutIntervalForRequest = 30
        self.session = URLSession(configuration: configuration)
    }

    /// Polls `GET /health` until it answers 200.
    func waitUntilReady(timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        var request = URLRequest(url: baseURL.appendingPathComponent("health"))
        request.timeoutInterval = 2
        while true {
            if let (_, response) = try? await session.data(for: request),
                (response as? HTTPURLResponse)?.statusCode == 200
            {
                return
            }
            guard ContinuousClock.now < deadline else {
                throw LoadError("the API at \(baseURL) did not answer GET /health within \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    /// Sends `count` requests, request i at `i / rate` seconds after the first, each without waiting
    /// for the earlier ones to be answered; returns the results in sending order.
    func send(count: Int, rate: Double) async -> [RequestResult] {
        let clock = ContinuousClock()
        let start = clock.now
        return await withTaskGroup(of: (Int, RequestResult).self) { group in
            for index in 0..<count {
                try? await clock.sleep(until: start + .seconds(Double(index) / rate))
                group.addTask { (index, await self.connectSource(index: index)) }
            }
            var results = [RequestResult?](repeating: nil, count: count)
            for await (index, result) in group { results[index] = result }
            return results.compactMap { $0 }
        }
    }

    private func connectSource(index: Int) async -> RequestResult {
        var request = URLRequest(url: baseURL.appendingPathComponent("api/connectSource"))
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        let userID = Int64.random(in: 1...1_000)
        request.httpBody = Data(#"{"userId": \#(userID), "url": "https://example.com/feeds/\#(index)"}"#.utf8)
        let clock = ContinuousClock()
        let sent = clock.now
        do {
            let (data, response) = try await session.data(for: request)
            let milliseconds = Self.milliseconds(clock.now - sent)
            let status = (response as? HTTPURLResponse)?.statusCode
            guard status == 201 else {
                let body = String(decoding: data.prefix(200), as: UTF8.self)
                return RequestResult(
                    milliseconds: milliseconds, status: status, failure: "HTTP \(status ?? 0): \(body)")
            }
            let created = try JSONDecoder().decode(SourceCreated.self, from: data)
            return RequestResult(milliseconds: milliseconds, status: status, sourceID: created.sourceId)
        } catch {
            return RequestResult(milliseconds: Self.milliseconds(clock.now - sent), failure: "\(error)")
        }
    }

    static func milliseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) * 1_000 + Double(attoseconds) / 1e15
    }
}

struct LoadError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
