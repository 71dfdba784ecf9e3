import CLibPQ

/// The version of the linked libpq, e.g. 150018 for 15.18.
public func libpqVersion() -> Int { Int(PQlibVersion()) }
