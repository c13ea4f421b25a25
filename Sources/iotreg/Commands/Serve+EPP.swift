import EPPServer
import Foundation
import Logging
import RegistryCore

extension Serve {
    /// Starts EPP over TLS on `address` unless it is `off`.
    ///
    /// The server certificate is `DIR/epp-tls.pem`, its key sealed in `DIR/epp-tls.key.sealed`; a self-signed one is
    /// made on first use. To use a certificate your ASPs trust, put it and its plain key (`DIR/epp-tls.key`) there and
    /// restart: the key is sealed and the plain file removed.
    static func startEPP(
        on address: ListenAddress, registry: Registry, home: RegistryHome, logger: Logger
    ) async throws -> EPPServer? {
        guard !address.isOff else { return nil }
        let server = EPPServer(
            configuration: .init(
                host: address.host, port: address.port,
                tls: try home.sealedTLSIdentity(in: home.directory, purpose: "epp")),
            registry: registry, logger: logger)
        try await server.start()
        print(
            "iotreg serving EPP on \(address.host):\(server.localPort ?? address.port) (TLS, certificate "
                + "\(home.directory.appendingPathComponent("epp-tls.pem").path))")
        return server
    }
}
