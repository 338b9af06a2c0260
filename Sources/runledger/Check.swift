import ArgumentParser
import Foundation
import RunLedgerHTTP
import RunLedgerReports
import RunLedgerServer

struct Check: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate a config file: exit 0, or say exactly what is wrong.")

    @Option(name: .long, help: "The configuration file (JSON) to check.")
    var config: String

    func run() async throws {
        try await reportingFailures {
            let s = try Settings.load(config)
            for source in s.sources where !FileManager.default.fileExists(atPath: source) {
                printError("runledger: \(config): note: source \"\(source)\" does not exist yet (serve waits for it)")
            }
            if let db = s.executorDB {
                do { _ = try ExecutorDatabaseLocation(db) } catch {
                    throw Failure("\(config): \"executor_db\": \(error)")
                }
            }
            if let key = s.statusAPI?.apiKey {
                do { _ = try Secret.resolve(key, environment: ProcessInfo.processInfo.environment) } catch {
                    printError("runledger: \(config): note: \"status_api.api_key\": \(error) here")
                }
            }
            if let web = s.webConfigFile, !FileManager.default.isReadableFile(atPath: web) {
                printError(
                    "runledger: \(config): note: \"web_config_file\" \(web) cannot be read here (serve refuses to start without it)"
                )
            } else if let web = s.webConfigFile {
                // The YAML is the file's to get right; its certificates and key may only be readable where serve runs.
                _ = try WebConfig.load(web)
                do { _ = try await WebServing.load(web) } catch {
                    printError("runledger: \(config): note: \"web_config_file\": \(error) here")
                }
            }
            print("\(config): ok (\(s.sources.count) sources, profile \(s.profile))")
        }
    }
}
