/// A benchmark could not be carried out, or its outcome was wrong (a job lost or run twice).
struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
