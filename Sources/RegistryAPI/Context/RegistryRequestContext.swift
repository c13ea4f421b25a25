public import Hummingbird
public import NIOCore
public import RegistryCore

/// One request's context: Hummingbird's core storage plus who is calling.
///
/// ``AuthenticationMiddleware`` fills ``principal`` from the bearer token before any route runs, so controllers
/// only ever see an established principal (anonymous when no token was sent).
public struct RegistryRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Who is calling; `.anonymous` until authenticated.
    public var principal: Principal = .anonymous
    /// The connection the request came on: EST `simplereenroll` reads the TLS client certificate from it.
    public let channel: (any Channel)?

    public init(source: Source) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }

    /// Request bodies above this are refused with 413 before they are read in full.
    public var maxUploadSize: Int { 64 * 1024 * 1024 }
}
