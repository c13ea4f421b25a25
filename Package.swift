// swift-tools-version: 6.1
import PackageDescription

// Every target gets the same upcoming features (Hummingbird's choice): `any` is spelled out,
// imports are internal unless a dependency's types leak through our public API.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let crypto: Target.Dependency = .product(name: "Crypto", package: "swift-crypto")

let package = Package(
    name: "iotreg",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "iotreg", targets: ["iotreg"]),
        .library(name: "DNSWire", targets: ["DNSWire"]),
        .library(name: "DNSSEC", targets: ["DNSSEC"]),
        .library(name: "PKI", targets: ["PKI"]),
        .library(name: "Payload", targets: ["Payload"]),
        .library(name: "DeviceKit", targets: ["DeviceKit"]),
        .library(name: "MNOSimulator", targets: ["MNOSimulator"]),
        .library(name: "RegistryCore", targets: ["RegistryCore"]),
        .library(name: "RegistryTesting", targets: ["RegistryTesting"]),
        .library(name: "EPP", targets: ["EPP"]),
        .library(name: "EPPServer", targets: ["EPPServer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        // MARK: level 0: standards, no registry vocabulary
        .target(name: "DNSWire", swiftSettings: swiftSettings),
        .target(name: "DNSSEC", dependencies: ["DNSWire", crypto], swiftSettings: swiftSettings),
        .executableTarget(name: "bench-dnssec-sign", dependencies: ["DNSSEC", "DNSWire"], swiftSettings: swiftSettings),
        .target(
            name: "DNSServer",
            dependencies: [
                "DNSWire", "DNSSEC", crypto,
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "bench-dns-serve",
            dependencies: ["DNSServer", "DNSSEC", "DNSWire"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "PKI",
            dependencies: [
                crypto,
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Payload",
            dependencies: [crypto],
            exclude: ["RegistryPayload/RegistryPayload.cddl"],
            swiftSettings: swiftSettings
        ),

        // MARK: level 1: the device side (never links the registry)
        .target(
            name: "DeviceKit",
            dependencies: [
                "Payload", crypto, .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: swiftSettings
        ),

        .executableTarget(name: "bench-payload", dependencies: ["Payload", crypto], swiftSettings: swiftSettings),
        .executableTarget(
            name: "bench-mnosim",
            dependencies: [
                "MNOSimulator", "DeviceKit", "PKI", "Payload", crypto, .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "MNOSimulator",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                "DeviceKit", "Payload", crypto, .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: level 1: DANE (standards, no registry vocabulary) and the middlewares on top of it
        .target(
            name: "DANE",
            dependencies: [
                "DNSWire", "DNSSEC", crypto,
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ASPKit",
            dependencies: [
                "DANE", "DNSWire", "DNSSEC", crypto,
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "X509", package: "swift-certificates"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "DeviceAgent",
            dependencies: [
                "DANE", "DeviceKit", "Payload", "DNSWire", "DNSSEC", "PKI", crypto,
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "X509", package: "swift-certificates"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "bench-dane",
            dependencies: [
                "DANE", "ASPKit", "DNSServer", "DNSSEC", "DNSWire", crypto,
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: level 2: the registry
        .target(
            name: "RegistryCore",
            dependencies: [
                "PKI", crypto, .product(name: "Logging", package: "swift-log"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "RegistryZone",
            dependencies: [
                "RegistryCore", "DNSSEC", "DNSWire", "PKI", crypto, .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "RegistryProvisioning",
            dependencies: [
                "RegistryCore", "Payload", "PKI", crypto, .product(name: "Logging", package: "swift-log"),
                .product(name: "X509", package: "swift-certificates"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: level 3: stores and doors
        .target(
            name: "RegistryStoreSQLite",
            dependencies: ["RegistryCore", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "RegistryStorePostgres",
            dependencies: [
                "RegistryCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "RegistryTesting",
            dependencies: [
                "RegistryCore", "PKI", crypto, .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "RegistryAPI",
            dependencies: [
                "RegistryCore", "PKI",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                crypto,
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        .target(
            name: "EPP",
            dependencies: ["RegistryCore", .product(name: "Logging", package: "swift-log")],
            exclude: ["Schemas"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "EPPServer",
            dependencies: [
                "EPP", "RegistryCore", crypto,
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "bench-epp",
            dependencies: [
                "EPP", "EPPServer", "RegistryCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: top: wiring only
        .executableTarget(
            name: "iotreg",
            dependencies: [
                "RegistryCore", "RegistryStoreSQLite", "RegistryStorePostgres", "RegistryAPI", "PKI", "RegistryZone",
                "DNSSEC", "DNSWire", "EPPServer", "DNSServer", "RegistryProvisioning", "Payload", crypto,
                "MNOSimulator", "ASPKit", "DeviceAgent", "DANE",
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),

        .executableTarget(
            name: "bench-zone-publish",
            dependencies: [
                "RegistryZone", "DNSServer", "DNSSEC", "DNSWire", "PKI", crypto,
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: swiftSettings
        ),

        .executableTarget(
            name: "bench-zone-rebuild",
            dependencies: [
                "RegistryZone", "RegistryCore", "RegistryStorePostgres", "RegistryTesting", "DNSSEC", "DNSWire", "PKI",
                crypto, .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "bench-store",
            dependencies: [
                "RegistryCore", "RegistryStoreSQLite", "RegistryStorePostgres", "RegistryTesting",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"), crypto,
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "bench-pki-issue",
            dependencies: [
                "PKI", crypto,
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: swiftSettings
        ),

        .executableTarget(
            name: "bench-ca-issue",
            dependencies: [
                "RegistryCore", "RegistryStoreSQLite", "PKI", crypto,
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: tests
        .target(name: "PeerTesting", path: "Sources/PeerTesting", swiftSettings: swiftSettings),
        .testTarget(name: "DNSWireTests", dependencies: ["DNSWire", "PeerTesting"], swiftSettings: swiftSettings),
        .testTarget(name: "DNSSECTests", dependencies: ["DNSSEC", "DNSWire", "PeerTesting"], swiftSettings: swiftSettings),
        .testTarget(
            name: "RegistryProvisioningTests",
            dependencies: [
                "RegistryProvisioning", "RegistryCore", "RegistryStoreSQLite", "Payload", "PKI", "DeviceKit",
                "PeerTesting", crypto, .product(name: "X509", package: "swift-certificates"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RegistryZoneTests",
            dependencies: [
                "RegistryZone", "RegistryCore", "RegistryTesting", "RegistryStoreSQLite", "DNSSEC", "DNSWire", "PKI", "PeerTesting", crypto,
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "DNSServerTests",
            dependencies: [
                "DNSServer", "DNSWire", "DNSSEC", "PeerTesting", crypto,
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "DANETests",
            dependencies: [
                "DANE", "ASPKit", "DeviceAgent", "DeviceKit", "Payload", "DNSServer", "DNSSEC", "DNSWire", "PKI",
                "PeerTesting", crypto,
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PKITests",
            dependencies: [
                "PKI", "PeerTesting", crypto,
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "PayloadTests", dependencies: ["Payload", "PeerTesting", crypto], swiftSettings: swiftSettings),
        .testTarget(
            name: "DeviceKitTests",
            dependencies: [
                "DeviceKit", "Payload", "PeerTesting", crypto, .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MNOSimulatorTests",
            dependencies: [
                "MNOSimulator", "DeviceKit", "Payload", "PKI", "PeerTesting", crypto,
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RegistryCoreTests",
            dependencies: [
                "RegistryCore", "PeerTesting", "RegistryStoreSQLite", "RegistryTesting", "PKI", crypto,
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RegistryAPITests",
            dependencies: [
                "RegistryAPI", "RegistryCore", "RegistryStoreSQLite", "PeerTesting", "PKI", crypto,
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EPPTests",
            dependencies: [
                "EPP", "RegistryCore", "RegistryTesting", "RegistryStoreSQLite", "PeerTesting", crypto,
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EPPServerTests",
            dependencies: [
                "EPPServer", "EPP", "RegistryCore", "RegistryStoreSQLite", "PeerTesting", crypto,
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RegistryStoreSQLiteTests",
            dependencies: ["RegistryStoreSQLite", "RegistryTesting", "RegistryCore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RegistryStorePostgresTests",
            dependencies: [
                "RegistryStorePostgres", "RegistryTesting", "RegistryCore", "PeerTesting",
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
