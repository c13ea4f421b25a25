import ArgumentParser
import RegistryAPI

struct OpenAPI: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "openapi", abstract: "Print the REST API's OpenAPI 3.1 document (as served at /openapi.json).")

    func run() throws {
        print(String(decoding: OpenAPIDocument.json, as: UTF8.self), terminator: "")
    }
}
