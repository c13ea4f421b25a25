import EPP
public import NIOCore

// RFC 5734 §4, data unit format:
//
//    0                   1                   2                   3
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                Total Length (32 bits, network order)          |
//   +---------------------------------------------------------------+
//   |                EPP XML instance (Total Length - 4 octets)     |
//   +---------------------------------------------------------------+
//
// The length counts its own four octets, which is why swift-nio-extras' LengthFieldBasedFrameDecoder (no adjustment,
// no cap) does not fit.

/// Splits the TLS byte stream into EPP data units, refusing any whose declared length is out of bounds before
/// reading its payload.
public struct EPPFrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = ByteBuffer

    /// The largest total length (header included) accepted.
    public let maxFrameSize: Int

    /// - Parameter maxFrameSize: the largest data unit accepted, header included; 256 KiB by default, far above any
    ///   EPP command this server understands.
    public init(maxFrameSize: Int = 256 * 1024) {
        self.maxFrameSize = maxFrameSize
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let total = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else { return .needMoreData }
        guard total >= 5, total <= UInt32(clamping: maxFrameSize) else {
            throw EPPFrameError(declaredLength: total, maxFrameSize: maxFrameSize)
        }
        let payloadLength = Int(total) - 4
        guard buffer.readableBytes >= 4 + payloadLength else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 4)
        guard let payload = buffer.readSlice(length: payloadLength) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(payload))
        return .continue
    }

    public mutating func decodeLast(
        context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool
    ) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}

/// A data unit whose length header is below 5 or above the maximum: the connection is closed (RFC 5734 §4 gives
/// no way to resynchronise a stream after a bad length).
public struct EPPFrameError: Error, Hashable, Sendable, CustomStringConvertible {
    public var declaredLength: UInt32
    public var maxFrameSize: Int

    public var description: String {
        "EPP data unit of \(declaredLength) octets is outside 5...\(maxFrameSize); closing the connection"
    }
}

extension ByteBuffer {
    /// Writes one EPP data unit: the 4-octet total length, then the XML.
    public mutating func writeEPPFrame(_ payload: [UInt8]) {
        writeInteger(UInt32(truncatingIfNeeded: payload.count + 4))
        writeBytes(payload)
    }
}
