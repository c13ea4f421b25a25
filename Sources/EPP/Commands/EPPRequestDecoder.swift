/// Turns a frame's bytes into an ``EPPRequest``: safe XML first, then the EPP 1.0 and device-mapping grammar.
///
/// The client transaction id is recovered even when the command itself is refused, so every error response can
/// echo it (RFC 5730 §2.6).
public struct EPPRequestDecoder: Sendable {
    /// The most EIDs one `<check>` may name (RFC 5731 leaves this to server policy).
    public static let maxCheck = 100

    public var limits: XML.Limits

    public init(limits: XML.Limits = XML.Limits()) {
        self.limits = limits
    }

    /// What decoding produced: the request or the refusal, and the clTRID if one could be read.
    public struct Outcome: Sendable {
        public var result: Result<EPPRequest, EPPError>
        public var clTRID: String?
    }

    /// Decodes one frame payload.
    public func decode(_ bytes: [UInt8]) -> Outcome {
        let root: XML.Element
        do {
            root = try XML.parse(bytes, limits: limits)
        } catch let error as EPPError {
            return Outcome(result: .failure(error), clTRID: nil)
        } catch {
            return Outcome(result: .failure(.malformedXML("unreadable XML")), clTRID: nil)
        }
        guard root.name == "epp", root.namespace == EPPNamespace.epp else {
            return Outcome(
                result: .failure(EPPError(.notEPP, "the root must be <epp> in \(EPPNamespace.epp)")), clTRID: nil)
        }
        let elements = root.children
        guard elements.count == 1, let body = elements.first, body.namespace == EPPNamespace.epp else {
            return Outcome(
                result: .failure(EPPError(.notEPP, "<epp> must hold exactly one of <hello>, <command>")), clTRID: nil)
        }
        switch body.name {
        case "hello":
            guard body.children.isEmpty else {
                return Outcome(result: .failure(.malformedXML("<hello> is empty")), clTRID: nil)
            }
            return Outcome(result: .success(.hello), clTRID: nil)
        case "command":
            var clTRID: String?
            if let element = body.child("clTRID", in: EPPNamespace.epp) {
                let text = element.trimmedText
                if (3...64).contains(text.count), XML.isAllowedText(text) { clTRID = text }
            }
            do {
                let command = try decodeCommand(body)
                return Outcome(result: .success(.command(command, clTRID: clTRID)), clTRID: clTRID)
            } catch let error as EPPError {
                return Outcome(result: .failure(error), clTRID: clTRID)
            } catch {
                return Outcome(result: .failure(.malformedXML("unreadable command")), clTRID: clTRID)
            }
        case "extension":
            return decodeProtocolExtension(body)
        case "greeting", "response":
            return Outcome(
                result: .failure(EPPError(.unknownCommand, "<\(body.name)> is sent by servers")), clTRID: nil)
        default:
            return Outcome(result: .failure(EPPError(.unknownCommand, "unknown element <\(body.name)>")), clTRID: nil)
        }
    }

    // MARK: - protocol extension

    /// `<extension><iotdev:command>`: the device mapping's own commands (only `list` so far), with the clTRID
    /// inside in the mapping's namespace, as RFC 5730 §2.7.3 leaves a protocol extension to define.
    private func decodeProtocolExtension(_ body: XML.Element) -> Outcome {
        let ns = EPPNamespace.iotDevice
        guard body.children.count == 1, let command = body.children.first, command.name == "command",
            command.namespace == ns
        else {
            return Outcome(
                result: .failure(
                    EPPError(.unimplementedCommand, "the only protocol extension offered is <iotdev:command>")),
                clTRID: nil)
        }
        var clTRID: String?
        if let element = command.child("clTRID", in: ns) {
            let text = element.trimmedText
            if (3...64).contains(text.count), XML.isAllowedText(text) { clTRID = text }
        }
        do {
            let verbs = command.children.filter { $0.name != "clTRID" }
            guard verbs.count == 1, let verb = verbs.first, verb.namespace == ns else {
                throw EPPError.malformedXML("<iotdev:command> holds exactly one command and an optional clTRID")
            }
            guard verb.name == "list" else {
                throw EPPError(.unknownCommand, "<iotdev:\(verb.name)> is not a device-mapping command")
            }
            return Outcome(result: .success(.command(.list(try list(verb)), clTRID: clTRID)), clTRID: clTRID)
        } catch let error as EPPError {
            return Outcome(result: .failure(error), clTRID: clTRID)
        } catch {
            return Outcome(result: .failure(.malformedXML("unreadable command")), clTRID: clTRID)
        }
    }

    private func list(_ element: XML.Element) throws -> EPPCommand.List {
        let ns = EPPNamespace.iotDevice
        var list = EPPCommand.List()
        for child in element.children {
            guard child.namespace == ns else { throw EPPError.malformedXML("<\(child.name)> is not a device element") }
            let text = child.trimmedText
            switch child.name {
            case "status":
                guard let status = DeviceStatus.all.first(where: { $0.rawValue == child.attribute("s") }) else {
                    throw EPPError(.invalidValue, "status s= must be one of ok, inactive, pendingTransfer, clientHold")
                }
                list.status = status
            case "after":
                guard text.count == 32, text.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                    throw EPPError(.invalidValue, "<after> must be the 32-digit EID that ended the last page")
                }
                list.after = text
            case "limit":
                guard let limit = Int(text), (1...EPPCommand.List.maxLimit).contains(limit) else {
                    throw EPPError(.outOfRange, "<limit> must be 1 to \(EPPCommand.List.maxLimit)")
                }
                list.limit = limit
            default:
                throw EPPError.malformedXML("<iotdev:\(child.name)> has no place in <iotdev:list>")
            }
        }
        return list
    }

    // MARK: - commands

    private func decodeCommand(_ command: XML.Element) throws -> EPPCommand {
        var verb: XML.Element?
        for child in command.children {
            guard child.namespace == EPPNamespace.epp else {
                throw EPPError.malformedXML("<\(child.name)> is not an EPP element")
            }
            switch child.name {
            case "clTRID", "extension": continue
            default:
                guard verb == nil else { throw EPPError.malformedXML("a <command> holds exactly one command") }
                verb = child
            }
        }
        // Unknown extensions are optional to understand here: they are read past, never acted on.
        guard let verb else { throw EPPError.missing("a command element inside <command>") }
        switch verb.name {
        case "login": return .login(try login(verb))
        case "logout": return .logout
        case "poll": return try poll(verb)
        case "check", "info", "create", "update", "delete", "transfer": return try objectCommand(verb)
        case "renew": throw EPPError(.unimplementedCommand, "devices are not renewed; they have no expiry")
        default: throw EPPError(.unknownCommand, "<\(verb.name)> is not an EPP command")
        }
    }

    private func login(_ element: XML.Element) throws -> EPPCommand.Login {
        let ns = EPPNamespace.epp
        guard let clID = element.child("clID", in: ns)?.trimmedText, !clID.isEmpty else {
            throw EPPError.missing("<clID>")
        }
        guard let pw = element.child("pw", in: ns)?.trimmedText, !pw.isEmpty else { throw EPPError.missing("<pw>") }
        guard let options = element.child("options", in: ns) else { throw EPPError.missing("<options>") }
        guard let version = options.child("version", in: ns)?.trimmedText else { throw EPPError.missing("<version>") }
        guard let lang = options.child("lang", in: ns)?.trimmedText else { throw EPPError.missing("<lang>") }
        guard let svcs = element.child("svcs", in: ns) else { throw EPPError.missing("<svcs>") }
        let objURIs = svcs.children("objURI", in: ns).map(\.trimmedText)
        guard !objURIs.isEmpty else { throw EPPError.missing("at least one <objURI>") }
        let extURIs = svcs.child("svcExtension", in: ns)?.children("extURI", in: ns).map(\.trimmedText) ?? []
        return EPPCommand.Login(
            clientID: clID, password: pw, newPassword: element.child("newPW", in: ns)?.trimmedText, version: version,
            language: lang, objectURIs: objURIs, extensionURIs: extURIs)
    }

    private func poll(_ element: XML.Element) throws -> EPPCommand {
        switch element.attribute("op") {
        case "req": return .pollRequest
        case "ack":
            guard let id = element.attribute("msgID"), !id.isEmpty else { throw EPPError.missing("msgID") }
            return .pollAcknowledge(messageID: id)
        case nil: throw EPPError.missing("the op attribute of <poll>")
        case let op?: throw EPPError.malformedXML("<poll op=\"\(op.prefix(16))\"> is not req or ack")
        }
    }

    private func objectCommand(_ verb: XML.Element) throws -> EPPCommand {
        let objects = verb.children
        guard objects.count == 1, let object = objects.first else {
            throw EPPError.malformedXML("<\(verb.name)> holds exactly one object element")
        }
        guard object.namespace == EPPNamespace.iotDevice else {
            throw EPPError(
                .unimplementedObject,
                "objects in \(object.namespace.prefix(80)) are not managed here; use "
                    + EPPNamespace.iotDevice)
        }
        guard object.name == verb.name else {
            throw EPPError.malformedXML("<\(verb.name)> must hold <iotdev:\(verb.name)>")
        }
        let ns = EPPNamespace.iotDevice
        switch verb.name {
        case "check":
            let eids = try object.children("eid", in: ns).map { try eid($0) }
            guard !eids.isEmpty else { throw EPPError.missing("at least one <iotdev:eid>") }
            guard eids.count <= Self.maxCheck else {
                throw EPPError(.policy, "check at most \(Self.maxCheck) EIDs per command")
            }
            try only(["eid"], in: object)
            return .check(eids: eids)
        case "info":
            try only(["eid", "authInfo"], in: object)
            return .info(eid: try requiredEID(object), authInfo: try authInfo(object))
        case "delete":
            try only(["eid"], in: object)
            return .delete(eid: try requiredEID(object))
        case "create":
            try only(["eid", "iccid", "owner", "mno", "model", "serial", "fwVersion", "mudURL"], in: object)
            return .create(
                EPPCommand.Create(
                    eid: try requiredEID(object), iccid: try required("iccid", object),
                    owner: try required("owner", object),
                    mno: try required("mno", object), model: optional("model", object),
                    serial: optional("serial", object), firmwareVersion: optional("fwVersion", object),
                    mudURL: optional("mudURL", object)))
        case "update":
            try only(["eid", "add", "rem", "chg"], in: object)
            let add = try statuses(object.child("add", in: ns))
            let remove = try statuses(object.child("rem", in: ns))
            var change: EPPCommand.Update.Change?
            if let chg = object.child("chg", in: ns) {
                try only(["iccid", "owner", "mno", "model", "serial", "fwVersion", "mudURL"], in: chg)
                change = EPPCommand.Update.Change(
                    iccid: optional("iccid", chg), owner: optional("owner", chg), mno: optional("mno", chg),
                    model: optional("model", chg), serial: optional("serial", chg),
                    firmwareVersion: optional("fwVersion", chg), mudURL: optional("mudURL", chg))
            }
            guard !add.isEmpty || !remove.isEmpty || change != nil else {
                throw EPPError.missing("one of <iotdev:add>, <iotdev:rem>, <iotdev:chg>")
            }
            return .update(EPPCommand.Update(eid: try requiredEID(object), add: add, remove: remove, change: change))
        default:  // transfer
            guard let opText = verb.attribute("op") else { throw EPPError.missing("the op attribute of <transfer>") }
            guard let op = EPPCommand.TransferOperation(rawValue: opText) else {
                throw EPPError.malformedXML("<transfer op=\"\(opText.prefix(16))\"> is not a transfer operation")
            }
            try only(["eid", "authInfo"], in: object)
            let code = try authInfo(object)
            if op == .request, code == nil { throw EPPError.missing("<iotdev:authInfo> (the owner's transfer code)") }
            return .transfer(op, eid: try requiredEID(object), authInfo: code)
        }
    }

    // MARK: - fields

    private func only(_ names: Set<String>, in element: XML.Element) throws {
        for child in element.children where child.namespace != EPPNamespace.iotDevice || !names.contains(child.name) {
            throw EPPError.malformedXML("<\(child.name)> is not allowed in <iotdev:\(element.name)>")
        }
    }

    private func eid(_ element: XML.Element) throws -> String {
        let text = element.trimmedText
        guard text.utf8.count == 32, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            throw EPPError(.invalidValue, "an EID is 32 decimal digits (got \(text.prefix(40).count) characters)")
        }
        return text
    }

    private func requiredEID(_ object: XML.Element) throws -> String {
        let eids = object.children("eid", in: EPPNamespace.iotDevice)
        guard let first = eids.first else { throw EPPError.missing("<iotdev:eid>") }
        guard eids.count == 1 else { throw EPPError.malformedXML("exactly one <iotdev:eid>") }
        return try eid(first)
    }

    private func required(_ name: String, _ object: XML.Element) throws -> String {
        guard let value = optional(name, object), !value.isEmpty else { throw EPPError.missing("<iotdev:\(name)>") }
        return value
    }

    private func optional(_ name: String, _ object: XML.Element) -> String? {
        object.child(name, in: EPPNamespace.iotDevice)?.trimmedText
    }

    private func authInfo(_ object: XML.Element) throws -> String? {
        guard let element = object.child("authInfo", in: EPPNamespace.iotDevice) else { return nil }
        guard let pw = element.child("pw", in: EPPNamespace.iotDevice)?.trimmedText, !pw.isEmpty else {
            throw EPPError.missing("<iotdev:pw> inside <iotdev:authInfo>")
        }
        return pw
    }

    private func statuses(_ element: XML.Element?) throws -> [DeviceStatus] {
        guard let element else { return [] }
        let list = element.children("status", in: EPPNamespace.iotDevice)
        guard !list.isEmpty, list.count == element.children.count else {
            throw EPPError.missing("<iotdev:status s=\"…\"/> inside <iotdev:\(element.name)>")
        }
        return try list.map { status in
            guard let value = status.attribute("s") else {
                throw EPPError.missing("the s attribute of <iotdev:status>")
            }
            let parsed = DeviceStatus(rawValue: value)
            guard DeviceStatus.all.contains(parsed) else {
                throw EPPError(
                    .invalidValue, "status \(value.prefix(24)) is not one of ok, inactive, pendingTransfer, clientHold")
            }
            return parsed
        }
    }
}
