import DNSWire
import Dispatch

/// Signs many RRsets on all cores: jobs are split into chunks run with `concurrentPerform`.
enum ParallelSigning {
    struct Job: Sendable {
        var rrset: RRSet
        var key: DNSSECKey
    }

    static func sign(_ jobs: [Job], signer: DNSName, inception: UInt32, expiration: UInt32) throws -> [RRSIG] {
        if jobs.count < 64 {
            return try jobs.map {
                try RRSetSigner.sign(
                    $0.rrset, key: $0.key, signer: signer, inception: inception, expiration: expiration)
            }
        }
        let chunkSize = max(64, jobs.count / 64)
        let chunks = (jobs.count + chunkSize - 1) / chunkSize
        let signatures = ParallelSlots<RRSIG?>(count: jobs.count, initial: nil)
        let failures = ParallelSlots(count: chunks, initial: false)
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            let range = (c * chunkSize)..<min(jobs.count, (c + 1) * chunkSize)
            for i in range {
                let job = jobs[i]
                guard
                    let sig = try? RRSetSigner.sign(
                        job.rrset, key: job.key, signer: signer, inception: inception, expiration: expiration)
                else {
                    failures.slots[c] = true
                    return
                }
                signatures.slots[i] = sig
            }
        }
        guard !failures.slots.contains(true) else {
            throw DNSSECError(.signingFailed, "ECDSA signing failed for at least one RRset")
        }
        return signatures.slots.compactMap { $0 }
    }
}

/// Slots that concurrent workers fill, each worker only its own indices (so no two threads touch one element).
final class ParallelSlots<T>: @unchecked Sendable {
    let slots: UnsafeMutableBufferPointer<T>

    init(count: Int, initial: T) {
        slots = .allocate(capacity: count)
        slots.initialize(repeating: initial)
    }

    deinit {
        slots.deinitialize()
        slots.deallocate()
    }
}
