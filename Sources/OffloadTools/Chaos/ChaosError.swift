/// A chaos run could not be carried out (as opposed to a check that failed).
struct ChaosError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
