#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The parts of a password-database entry we need, read with the re-entrant calls.
struct UserRecord {
    var name: String
    var uid: uid_t
    var gid: gid_t

    init?(name: String) {
        guard let record = Self.lookup({ getpwnam_r(name, &$0, $1, $2, &$3) }) else { return nil }
        self = record
    }

    init?(uid: uid_t) {
        guard let record = Self.lookup({ getpwuid_r(uid, &$0, $1, $2, &$3) }) else { return nil }
        self = record
    }

    private init(name: String, uid: uid_t, gid: gid_t) {
        self.name = name
        self.uid = uid
        self.gid = gid
    }

    private static func lookup(
        _ call: (inout passwd, UnsafeMutablePointer<CChar>, Int, inout UnsafeMutablePointer<passwd>?) -> Int32
    ) -> UserRecord? {
        var buffer = [CChar](repeating: 0, count: 16 * 1024)
        // The entry's strings point into `buffer`, so copy them out before it goes away.
        return buffer.withUnsafeMutableBufferPointer { storage -> UserRecord? in
            var entry = passwd()
            var result: UnsafeMutablePointer<passwd>?
            let status = call(&entry, storage.baseAddress!, storage.count, &result)
            guard status == 0, result != nil, let name = entry.pw_name else { return nil }
            return UserRecord(name: String(cString: name), uid: entry.pw_uid, gid: entry.pw_gid)
        }
    }
}
