import EPPServer
import Foundation
import Logging
import RegistryCore

extension Serve {
    /// Starts EPP over TLS on `address` unless it is `off`.
    ///
    /// The server certificate is `DIR/epp-tls.pem` with its key `DIR/epp-tls.key`; a self-signed one is made on
    /// first use (replace both files with a certificate your ASPs trust, then restart).
    static func startEPP(
        on address: ListenAddress, registry: Registry, home: RegistryHome, logger: Logger
    ) async throws -> EPPServer? {
        guard !address.isOff else { return nil }
        let server = EPPServer(
            configuration: .init(
                host: address.host, port: address.port,
                tls: try EPPTLSIdentity.loadOrCreate(directory: home.directory)),
            registry: registry, logger: logger)
        try await server.start()
        print(
            "iotreg serving EPP on \(address.host):\(server.localPort ?? address.port) (TLS, certificate "
                + "\(home.directory.appendingPathComponent("epp-tls.pem").path))")
        return server
    }
}
