public import Crypto
public import Foundation
public import Logging
public import RegistryCore

/// Derives each tenant's webhook key from one operator key and signs notifications with it.
///
/// Why derived: the registry must be able to sign, so the key cannot be stored hashed like a token; deriving it
/// (HMAC-SHA256 of the operator key over the tenant and URL) keeps it out of the database entirely. The receiver
/// checks `X-IoTReg-Signature: sha256=<hex HMAC-SHA256(key, "<timestamp>.<body>")>` and the timestamp's freshness.
public struct WebhookSigner: Sendable {
    let key: SymmetricKey

    public init(key: SymmetricKey) { self.key = key }

    /// The tenant's key for `url` (32 bytes), as shown to it once per registration (base64url).
    public func secret(tenantID: String, url: String) -> [UInt8] {
        Array(
            HMAC<SHA256>.authenticationCode(for: Array("iotreg-webhook-v1\u{0}\(tenantID)\u{0}\(url)".utf8), using: key)
        )
    }

    public func secretText(tenantID: String, url: String) -> String {
        Data(secret(tenantID: tenantID, url: url)).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// The signature header value for `body` sent at `timestamp` (seconds since 1970).
    public static func signature(body: [UInt8], timestamp: Int, secret: [UInt8]) -> String {
        let mac = HMAC<SHA256>.authenticationCode(
            for: Array("\(timestamp).".utf8) + body, using: SymmetricKey(data: secret))
        return "sha256=" + mac.map { String(format: "%02x", $0) }.joined()
    }
}

/// Sends an HTTP POST; the host provides it (AsyncHTTPClient in `iotreg serve`, or a test double).
public protocol WebhookTransport: Sendable {
    /// Returns the HTTP status.
    func post(url: String, body: [UInt8], headers: [String: String]) async throws -> Int
}

/// Tells ASPs of their devices' changes by webhook (issue 5): activated (payload delivered), transferred in or away,
/// revoked (deactivated). An outbox consumer: every change is notified at least once, in order per consumer;
/// the body carries the outbox sequence so a receiver drops repeats. A failing receiver is retried with back-off
/// (0.5, 1, 2 s) and then skipped, logged and counted, so one dead endpoint does not stall the others.
public actor WebhookNotifier {
    public static let consumer = "webhooks"

    let registry: Registry
    let signer: WebhookSigner
    let transport: any WebhookTransport
    let logger: Logger
    let backoff: [Duration]
    public private(set) var delivered = 0
    public private(set) var failed = 0

    public init(
        registry: Registry, signer: WebhookSigner, transport: any WebhookTransport, logger: Logger,
        backoff: [Duration] = [.milliseconds(500), .seconds(1), .seconds(2)]
    ) {
        self.registry = registry
        self.signer = signer
        self.transport = transport
        self.logger = logger
        self.backoff = backoff
    }

    /// One notification: which tenant, which event.
    struct Notification: Encodable {
        var event: String
        var sequence: Int64
        var at: Date
        var eid: String
        var asp: String
        var rpid: Int64?
    }

    /// The notifications an outbox event makes (none for most).
    static func notifications(for event: OutboxEvent) -> [Notification] {
        guard let eid = event.eid?.digits else { return [] }
        func make(_ name: String, _ asp: String?) -> Notification? {
            asp.map {
                Notification(event: name, sequence: event.sequence, at: event.at, eid: eid, asp: $0, rpid: event.rpid)
            }
        }
        switch event.kind {
        case .payloadDelivered: return [make("device.activated", event.aspID)].compactMap { $0 }
        case .transferCompleted:
            return [make("device.transferred-away", event.previousASPID), make("device.transferred-in", event.aspID)]
                .compactMap { $0 }
        case .deviceDeactivated: return [make("device.revoked", event.aspID)].compactMap { $0 }
        default: return []
        }
    }

    public func process(_ events: [OutboxEvent]) async {
        for event in events {
            for notification in Self.notifications(for: event) { await send(notification) }
        }
    }

    @discardableResult
    public func catchUp(batch: Int = 200) async throws -> Int {
        var seen = 0
        while true {
            let events = try await registry.store.processOutbox(consumer: Self.consumer, limit: batch) { events in
                await self.process(events)
            }
            seen += events.count
            if events.count < batch { return seen }
        }
    }

    func send(_ notification: Notification) async {
        guard let hook = try? await registry.webhook(tenantID: notification.asp) else { return }
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        guard let body = try? Array(encoder.encode(notification)) else { return }
        let secret = signer.secret(tenantID: hook.tenantID, url: hook.url)
        for attempt in 0...backoff.count {
            let timestamp = Int(Date().timeIntervalSince1970)
            let headers = [
                "Content-Type": "application/json", "X-IoTReg-Event": notification.event,
                "X-IoTReg-Timestamp": String(timestamp),
                "X-IoTReg-Signature": WebhookSigner.signature(body: body, timestamp: timestamp, secret: secret),
            ]
            if let status = try? await transport.post(url: hook.url, body: body, headers: headers),
                (200..<300).contains(status)
            {
                delivered += 1
                return
            }
            if attempt < backoff.count { try? await Task.sleep(for: backoff[attempt]) }
        }
        failed += 1
        logger.warning(
            "webhook gave up",
            metadata: [
                "tenant": "\(hook.tenantID)", "event": "\(notification.event)",
                "sequence": "\(notification.sequence)",
            ])
    }
}
