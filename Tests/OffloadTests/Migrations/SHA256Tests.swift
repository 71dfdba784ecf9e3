import Testing

@testable import Offload

/// Test vectors from FIPS 180-4 / NIST's "SHA-256 examples", and `sha256sum`.
@Suite struct SHA256Tests {
    @Test func emptyInput() {
        #expect(SHA256.hex([UInt8]()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func abc() {
        #expect(SHA256.hex("abc".utf8) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    /// 56 bytes: the padding no longer fits in the first block.
    @Test func twoBlocks() {
        let message = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
        #expect(SHA256.hex(message.utf8) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test func oneMillionAs() {
        let message = String(repeating: "a", count: 1_000_000)
        #expect(SHA256.hex(message.utf8) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Multi-byte UTF-8 is hashed as its bytes, as `sha256sum` would hash the file.
    @Test func unicode() {
        #expect(SHA256.hex("Zoë 🚀".utf8) == "c42451691e2d83ec03e7e0d0208f3e2faf1dc538d3aede9af9d5a30887885374")
    }

    @Test func migrationChecksumIsTheSQLsDigest() {
        let migration = Migration(version: 1, name: "x", sql: "abc")
        #expect(migration.checksum == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}
