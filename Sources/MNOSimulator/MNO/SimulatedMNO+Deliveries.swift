import Foundation

extension SimulatedMNO {
    /// The EIDs whose eSIM accepts a payload from now on, one element per delivery once the registry has the
    /// receipt: what the modem tells its device (a SIM Toolkit REFRESH of the payload file), so the device reconnects
    /// with its new identity as soon as it has it, not when the whole fleet has.
    ///
    /// Each call is a new subscription; it ends when the consumer stops iterating or at ``stop()``.
    public func payloadDeliveries() -> AsyncStream<String> {
        let (stream, continuation) = AsyncStream.makeStream(of: String.self)
        let id = UUID()
        deliverySubscribers[id] = continuation
        continuation.onTermination = { [weak self] _ in
            Task { await self?.unsubscribe(id) }
        }
        return stream
    }

    func announceDelivery(_ eid: String) {
        for subscriber in deliverySubscribers.values { subscriber.yield(eid) }
    }

    func endDeliveryStreams() {
        for subscriber in deliverySubscribers.values { subscriber.finish() }
        deliverySubscribers = [:]
    }

    private func unsubscribe(_ id: UUID) {
        deliverySubscribers[id] = nil
    }
}
