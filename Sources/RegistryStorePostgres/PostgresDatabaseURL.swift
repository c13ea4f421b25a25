import Foundation
public import PostgresNIO
import NIOSSL
import RegistryCore

/// A `postgres://user:password@host:port/database?sslmode=...` URL, as libpq and `psql` accept it.
///
/// Operators already have these URLs for `psql` and `pg_dump`; the registry takes the same one. `sslmode` is
/// `disable` (the default, for loopback and tests), `require` (TLS without certificate checks, as libpq) or
/// `verify-full` (TLS checked against the system trust store). A password is never part of `description`.
public struct PostgresDatabaseURL: Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String?
    public var sslMode: String

    /// Parses `text`.
    ///
    /// - Throws: ``RegistryError`` `invalidInput` when it is not a `postgres://` or `postgresql://` URL with a host.
    public init(_ text: String) throws {
        guard let components = URLComponents(string: text),
            components.scheme == "postgres" || components.scheme == "postgresql"
        else {
            throw RegistryError.invalidInput("the database URL must look like postgres://user@host:5432/database")
        }
        guard let host = components.host, !host.isEmpty else {
            throw RegistryError.invalidInput("the database URL names no host; write postgres://user@127.0.0.1/db")
        }
        self.host = host
        port = components.port ?? 5432
        username = components.user.flatMap { $0.removingPercentEncoding } ?? "postgres"
        password = components.password.flatMap { $0.removingPercentEncoding }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        database = path.isEmpty ? nil : path.removingPercentEncoding
        sslMode = components.queryItems?.first { $0.name == "sslmode" }?.value ?? "disable"
        guard ["disable", "prefer", "require", "verify-full"].contains(sslMode) else {
            throw RegistryError.invalidInput(
                "sslmode '\(sslMode)' is not supported; use disable, prefer, require or verify-full")
        }
    }

    /// The same URL with another database (tests make one database each).
    public func with(database: String) -> PostgresDatabaseURL {
        var copy = self
        copy.database = database
        return copy
    }

    /// The URL without its password.
    public var description: String {
        "postgres://\(username)@\(host):\(port)/\(database ?? "")?sslmode=\(sslMode)"
    }

    /// The client configuration PostgresNIO needs.
    public func clientConfiguration() throws -> PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS
        switch sslMode {
        case "require", "prefer":
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.certificateVerification = .none
            tls = sslMode == "require" ? .require(configuration) : .prefer(configuration)
        case "verify-full":
            tls = .require(TLSConfiguration.makeClientConfiguration())
        default:
            tls = .disable
        }
        return PostgresClient.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: tls)
    }

    /// The single-connection configuration (advisory locks live on one session).
    func connectionConfiguration() throws -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS
        switch sslMode {
        case "require", "prefer":
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.certificateVerification = .none
            let context = try NIOSSLContext(configuration: configuration)
            tls = sslMode == "require" ? .require(context) : .prefer(context)
        case "verify-full":
            tls = .require(try NIOSSLContext(configuration: TLSConfiguration.makeClientConfiguration()))
        default:
            tls = .disable
        }
        return PostgresConnection.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: tls)
    }
}
