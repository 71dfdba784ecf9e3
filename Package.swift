// swift-tools-version:6.2
import PackageDescription

let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .treatAllWarnings(as: .error),
]

let package = Package(
    name: "offload",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "Offload", targets: ["Offload"]),
        .library(name: "PGClient", targets: ["PGClient"]),
        .library(name: "OffloadCLI", targets: ["OffloadCLI"]),
        .library(name: "OffloadTestKit", targets: ["OffloadTestKit"]),
        .library(name: "OffloadLocalPostgres", targets: ["OffloadLocalPostgres"]),
        .executable(name: "offload", targets: ["offload"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.1.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
    ],
    targets: [
        // The C library, found through pkg-config; Debian's package is libpq-dev.
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        // The only code that touches PGconn* / PGresult*.
        .target(name: "LibPQ", dependencies: ["CLibPQ"], swiftSettings: strictSettings),
        .target(
            name: "PGClient",
            dependencies: [
                "LibPQ",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "Offload",
            dependencies: [
                "PGClient",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        // A project-local PostgreSQL (initdb, pg_ctl, runuser): `offload local`, the tools and the tests.
        // Foundation only, so nothing in it knows about jobs.
        .target(name: "OffloadLocalPostgres", swiftSettings: strictSettings),
        .target(
            name: "OffloadCLI",
            dependencies: [
                "Offload",
                "OffloadLocalPostgres",
                "PGClient",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // bench, chaos and fixture-worker: the `offload` executable's tools, kept out of the embeddable
        // OffloadCLI. They reuse its `package` helpers (DatabaseOptions, TextTable), so tools → CLI → Offload.
        .target(
            name: "OffloadTools",
            dependencies: [
                "Offload",
                "OffloadCLI",
                "OffloadLocalPostgres",
                "PGClient",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        // The `offload` executable: OffloadCLI's operator commands plus OffloadTools' commands.
        .executableTarget(
            name: "offload",
            dependencies: [
                "OffloadCLI",
                "OffloadTools",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings
        ),
        // What we test Offload with, shipped so apps test their functions the same way.
        .target(name: "OffloadTestKit", dependencies: ["Offload", "PGClient"], swiftSettings: strictSettings),
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["Offload", "OffloadTestKit", "PGClient"],
            swiftSettings: strictSettings
        ),
        .testTarget(name: "PGClientTests", dependencies: ["PGClient"], swiftSettings: strictSettings),
        // Unit tests of the CLI, and the built `offload` binary run as a process against test databases.
        .testTarget(
            name: "OffloadCLITests",
            dependencies: ["OffloadCLI", "OffloadLocalPostgres", "Offload", "OffloadTestKit", "PGClient"],
            swiftSettings: strictSettings
        ),
        .testTarget(name: "OffloadTests", dependencies: ["Offload"], swiftSettings: strictSettings),
        // The tools' planning without a database, and `offload bench --quick` end to end.
        .testTarget(name: "OffloadToolsTests", dependencies: ["OffloadTools"], swiftSettings: strictSettings),
        // LocalCluster's settings without a server, and real starts (needs the PostgreSQL server programs).
        .testTarget(
            name: "OffloadLocalPostgresTests", dependencies: ["OffloadLocalPostgres"], swiftSettings: strictSettings),
        // Real `offload fixture-worker` processes: killed, terminated, chaos (needs the built `offload`).
        .testTarget(
            name: "ProcessTests",
            dependencies: ["Offload", "OffloadLocalPostgres", "OffloadTestKit", "OffloadTools", "PGClient"],
            swiftSettings: strictSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
