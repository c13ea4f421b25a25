public import Foundation

// RFC 5730 §2.6 response layout (epp-1.0.xsd responseType: result+, msgQ?, resData?, extension?, trID):
//
//   <epp xmlns="urn:ietf:params:xml:ns:epp-1.0">
//     <response>
//       <result code="2303"><msg>Object does not exist</msg>
//         <extValue><value><iotdev:eid>…</iotdev:eid></value><reason>…</reason></extValue></result>
//       <msgQ count="5" id="12"><qDate>…</qDate><msg>…</msg></msgQ>
//       <resData><iotdev:infData xmlns:iotdev="…">…</iotdev:infData></resData>
//       <trID><clTRID>…</clTRID><svTRID>…</svTRID></trID>
//     </response>
//   </epp>

/// Writes responses and greetings as UTF-8 XML that validates against epp-1.0.xsd and iotdevice-1.0.xsd.
public enum EPPResponseEncoder {
    static let header = #"<?xml version="1.0" encoding="UTF-8" standalone="no"?>"#
    static let eppOpen = #"<epp xmlns="urn:ietf:params:xml:ns:epp-1.0">"#
    static let dev = "iotdev"
    static let devDeclaration = #" xmlns:iotdev="urn:ietf:params:xml:ns:iotdevice-1.0""#

    /// The greeting, RFC 5730 §2.4, with a data collection policy of "provisioning, kept as stated".
    public static func encode(_ greeting: EPPGreeting) -> [UInt8] {
        var out = header + eppOpen + "<greeting>"
        out += "<svID>\(XML.escapeText(greeting.serverID))</svID>"
        out += "<svDate>\(XMLDate.string(greeting.serverDate))</svDate>"
        out += "<svcMenu><version>1.0</version><lang>en</lang>"
        for uri in greeting.objectURIs { out += "<objURI>\(XML.escapeText(uri))</objURI>" }
        out += "</svcMenu>"
        out += "<dcp><access><all/></access><statement><purpose><admin/><prov/></purpose>"
        out += "<recipient><ours/></recipient><retention><stated/></retention></statement></dcp>"
        out += "</greeting></epp>"
        return Array(out.utf8)
    }

    /// One response.
    public static func encode(_ response: EPPResponse) -> [UInt8] {
        var out = header + eppOpen + "<response>"
        out += "<result code=\"\(response.code.rawValue)\"><msg>\(response.code.message)</msg>"
        if let reason = response.reason {
            out += "<extValue><value>"
            if let eid = response.reasonEID {
                out += "<\(dev):eid\(devDeclaration)>\(XML.escapeText(eid))</\(dev):eid>"
            } else {
                out += "<undef/>"
            }
            out += "</value><reason>\(XML.escapeText(String(reason.prefix(1000))))</reason></extValue>"
        }
        out += "</result>"
        if let queue = response.messageQueue {
            out += "<msgQ count=\"\(queue.count)\" id=\"\(XML.escapeAttribute(queue.id))\">"
            if let date = queue.queuedAt { out += "<qDate>\(XMLDate.string(date))</qDate>" }
            if let message = queue.message { out += "<msg>\(XML.escapeText(message))</msg>" }
            out += "</msgQ>"
        }
        if let data = response.resultData {
            out += "<resData>"
            resultData(data, into: &out)
            out += "</resData>"
        }
        out += "<trID>"
        if let clTRID = response.clTRID { out += "<clTRID>\(XML.escapeText(clTRID))</clTRID>" }
        out += "<svTRID>\(XML.escapeText(response.svTRID))</svTRID></trID>"
        out += "</response></epp>"
        return Array(out.utf8)
    }

    private static func resultData(_ data: EPPResponse.ResultData, into out: inout String) {
        switch data {
        case .check(let results):
            out += "<\(dev):chkData\(devDeclaration)>"
            for result in results {
                out += "<\(dev):cd><\(dev):eid avail=\"\(result.available ? 1 : 0)\">\(result.eid)</\(dev):eid>"
                if let reason = result.reason { out += "<\(dev):reason>\(XML.escapeText(reason))</\(dev):reason>" }
                out += "</\(dev):cd>"
            }
            out += "</\(dev):chkData>"
        case .info(let info):
            out += "<\(dev):infData\(devDeclaration)>"
            element("eid", info.eid, into: &out)
            element("iccid", info.iccid, into: &out)
            for status in info.statuses { out += "<\(dev):status s=\"\(status.rawValue)\"/>" }
            element("owner", info.owner, into: &out)
            element("mno", info.mno, into: &out)
            element("clID", info.sponsor, into: &out)
            if let rpid = info.rpid { element("rpid", String(rpid), into: &out) }
            if let model = info.model { element("model", model, into: &out) }
            if let serial = info.serial { element("serial", serial, into: &out) }
            if let firmware = info.firmwareVersion { element("fwVersion", firmware, into: &out) }
            if let mud = info.mudURL { element("mudURL", mud, into: &out) }
            element("crDate", XMLDate.string(info.createdAt), into: &out)
            element("upDate", XMLDate.string(info.updatedAt), into: &out)
            if let certificate = info.certificate {
                element("certificate", Data(certificate).base64EncodedString(), into: &out)
            }
            out += "</\(dev):infData>"
        case .list(let devices, let next):
            out += "<\(dev):lstData\(devDeclaration)>"
            for device in devices {
                out += "<\(dev):device><\(dev):eid>\(device.eid)</\(dev):eid>"
                out += "<\(dev):status s=\"\(device.status.rawValue)\"/></\(dev):device>"
            }
            if let next { element("next", next, into: &out) }
            out += "</\(dev):lstData>"
        case .create(let eid, let createdAt):
            out += "<\(dev):creData\(devDeclaration)>"
            element("eid", eid, into: &out)
            element("crDate", XMLDate.string(createdAt), into: &out)
            out += "</\(dev):creData>"
        case .transfer(let transfer):
            out += "<\(dev):trnData\(devDeclaration)>"
            element("eid", transfer.eid, into: &out)
            element("trStatus", transfer.status.rawValue, into: &out)
            element("reID", transfer.requestingID, into: &out)
            element("reDate", XMLDate.string(transfer.requestedAt), into: &out)
            element("acID", transfer.actingID, into: &out)
            element("acDate", XMLDate.string(transfer.actedAt), into: &out)
            out += "</\(dev):trnData>"
        case .notification(let note):
            out += "<\(dev):notData\(devDeclaration)>"
            element("eid", note.eid, into: &out)
            element("event", note.event, into: &out)
            if let actor = note.actor { element("actor", actor, into: &out) }
            if let rpid = note.rpid { element("rpid", String(rpid), into: &out) }
            out += "</\(dev):notData>"
        }
    }

    private static func element(_ name: String, _ value: String, into out: inout String) {
        out += "<\(dev):\(name)>\(XML.escapeText(value))</\(dev):\(name)>"
    }
}

/// `xs:dateTime` in UTC with milliseconds (`2026-11-23T11:22:33.123Z`), without a formatter per call.
public enum XMLDate {
    /// Formats `date` in UTC.
    public static func string(_ date: Date) -> String {
        let totalMillis = Int64((date.timeIntervalSince1970 * 1000).rounded())
        var days = totalMillis / 86_400_000
        var millisOfDay = totalMillis % 86_400_000
        if millisOfDay < 0 {
            millisOfDay += 86_400_000
            days -= 1
        }
        // Civil-from-days (H. Hinnant), proleptic Gregorian.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        let hour = millisOfDay / 3_600_000
        let minute = millisOfDay / 60_000 % 60
        let second = millisOfDay / 1000 % 60
        let millis = millisOfDay % 1000
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(hour, 2)):\(pad(minute, 2)):\(pad(second, 2))."
            + "\(pad(millis, 3))Z"
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }
}
