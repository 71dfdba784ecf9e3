// swift-tools-version:6.2
import PackageDescription

// The example app of Offload: an HTTP API that records a source and sends an event in one
// transaction, and workers that run the event's two functions. A package of its own, so that users
// of the library never build the HTTP server it needs.
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .treatAllWarnings(as: .error),
]

let package = Package(
    name: "ConnectSource",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "connect-source", targets: ["connect-source"])
    ],
    dependencies: [
        // Named, because a path dependency's identity is its folder's name, which depends on where
        // the repository was cloned.
        .package(name: "offload", path: "../.."),
        // No traits: the example needs neither swift-configuration support nor full Foundation,
        // and leaving them out saves building swift-configuration.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.0.0", traits: []),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
    ],
    targets: [
        // The app: its schema, the event, the two functions and the HTTP routes.
        .target(
            name: "ConnectSourceApp",
            dependencies: [
                .product(name: "Offload", package: "offload"),
                .product(name: "PGClient", package: "offload"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // `connect-source api|worker|migrate|load`.
        .executableTarget(
            name: "connect-source",
            dependencies: [
                "ConnectSourceApp",
                .product(name: "Offload", package: "offload"),
                .product(name: "PGClient", package: "offload"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ConnectSourceAppTests",
            dependencies: ["ConnectSourceApp"],
            swiftSettings: strictSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
