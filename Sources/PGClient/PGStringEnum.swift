/// A string-backed enum stored as PostgreSQL text or an enum type: adopt this to bind and decode it.
public protocol PGStringEnum: PGEncodable, PGDecodable, RawRepresentable where RawValue == String {}

extension PGStringEnum {
    public func pgText() -> String? { rawValue }

    public init(pgText text: String) throws {
        guard let value = Self(rawValue: text) else { throw PGError.cannotDecode(text, as: "\(Self.self)") }
        self = value
    }
}
