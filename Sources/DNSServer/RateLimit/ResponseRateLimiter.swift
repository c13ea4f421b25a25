import NIOConcurrencyHelpers
import NIOCore

/// Response rate limiting for UDP (in the spirit of BIND/NSD RRL): a token bucket per client prefix (/24 for IPv4,
/// /56 for IPv6), so a spoofed-source flood cannot use the server as an amplifier.
public struct ResponseRateLimit: Hashable, Sendable {
    /// Responses per second allowed to one prefix.
    public var responsesPerSecond: Double
    /// Of the responses over the limit, every `slip`-th is sent truncated (TC, no records) so a real client behind
    /// the prefix retries over TCP; 0 drops them all.
    public var slip: Int
    /// The most prefixes tracked; the table starts over beyond it.
    public var maxPrefixes: Int

    public init(responsesPerSecond: Double = 20, slip: Int = 2, maxPrefixes: Int = 100_000) {
        self.responsesPerSecond = max(0.001, responsesPerSecond)
        self.slip = max(0, slip)
        self.maxPrefixes = max(16, maxPrefixes)
    }
}

/// The token buckets behind ``ResponseRateLimit``; the decision logic is pure and tested without sockets.
final class ResponseRateLimiter: Sendable {
    enum Decision: Equatable {
        case send
        case slip
        case drop
    }

    struct Bucket {
        var tokens: Double
        var last: Double
        var over: Int
    }

    let config: ResponseRateLimit
    private let buckets = NIOLockedValueBox([UInt64: Bucket]())

    init(_ config: ResponseRateLimit) { self.config = config }

    /// The prefix key of an address: /24 for IPv4, /56 for IPv6.
    static func prefix(of address: SocketAddress) -> UInt64 {
        // Raw sockaddr layouts (Linux and Darwin agree on the offsets): sockaddr_in = family/len(2) port(2) addr(4);
        // sockaddr_in6 = family/len(2) port(2) flowinfo(4) addr(16).
        switch address {
        case .v4(let a):
            return withUnsafeBytes(of: a.address) { raw in
                guard raw.count >= 8 else { return 0 }
                return UInt64(raw[4]) << 24 | UInt64(raw[5]) << 16 | UInt64(raw[6]) << 8
            }
        case .v6(let a):
            return withUnsafeBytes(of: a.address) { raw in
                guard raw.count >= 24 else { return 0 }
                var k: UInt64 = 1 << 63
                for i in 8..<15 { k = k << 8 | UInt64(raw[i]) }
                return k
            }
        default:
            return 0
        }
    }

    /// Whether to answer a client of `prefix` at time `now` (seconds).
    func decide(prefix: UInt64, now: Double) -> Decision {
        buckets.withLockedValue { table in
            if table.count >= config.maxPrefixes, table[prefix] == nil { table.removeAll(keepingCapacity: true) }
            let burst = max(1, config.responsesPerSecond)
            var b = table[prefix] ?? Bucket(tokens: burst, last: now, over: 0)
            b.tokens = min(burst, b.tokens + max(0, now - b.last) * config.responsesPerSecond)
            b.last = now
            let decision: Decision
            if b.tokens >= 1 {
                b.tokens -= 1
                decision = .send
            } else {
                b.over += 1
                decision = config.slip > 0 && b.over % config.slip == 0 ? .slip : .drop
            }
            table[prefix] = b
            return decision
        }
    }
}

