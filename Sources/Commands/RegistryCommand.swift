import ArgumentParser
import Basics
import Foundation
import RunStore
import Workspace

/// `lunette registry`: the registered metrics.
struct RegistryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "registry", abstract: "List, show, alias and export registered metrics.",
        subcommands: [List.self, Show.self, Alias.self, Export.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every registered metric version, with aliases and headline scores.")
        @OptionGroup var global: GlobalOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            do {
                let metrics = try global.workspace().registeredMetrics()
                if json {
                    print(JSONValue.object(["metrics": .array(metrics.map(RegistryCommand.jsonValue))]).prettyText)
                    return
                }
                if metrics.isEmpty {
                    print("no registered metrics: a run registers its metric as its last stage")
                    return
                }
                let rows = metrics.map { metric -> [String] in
                    let summary = (try? JSONValue.parse(metric.summary)) ?? .null
                    return [
                        metric.reference, metric.aliases.joined(separator: ","), summary["output"]?.displayText ?? "",
                        summary["macro_f1"]?.doubleValue.map { String(format: "%.3f", $0) } ?? "-",
                        "\(metric.project)/\(metric.run)", String(metric.modelDigest.dropFirst(7).prefix(12)),
                    ]
                }
                print(Table.render(header: ["METRIC", "ALIASES", "OUTPUT", "MACRO F1", "RUN", "MODEL"], rows: rows), terminator: "")
            } catch {
                throw CommandFailure.report(error)
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One registered metric: NAME, NAME@VERSION or NAME@ALIAS.")
        @OptionGroup var global: GlobalOptions
        @Argument var metric: String

        func run() async throws {
            do {
                let metric = try global.workspace().registeredMetric(metric)
                print(RegistryCommand.jsonValue(metric).prettyText)
            } catch {
                throw CommandFailure.report(error)
            }
        }
    }

    struct Alias: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Point an alias (champion, staging, any name) at NAME@VERSION; moves it if it pointed elsewhere.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "NAME@VERSION") var metric: String
        @Argument(help: "The alias.") var alias: String

        func run() async throws {
            do {
                let moved = try global.workspace().setAlias(alias, for: metric)
                print("\(moved.name)@\(alias) → \(moved.reference)")
            } catch {
                throw CommandFailure.report(error)
            }
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a registered metric's model folder (loadable with transformers, see the README) to DIR.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "NAME@VERSION or NAME@ALIAS") var metric: String
        @Option(help: "The folder to create.") var to: String

        func run() async throws {
            do {
                let workspace = try global.workspace()
                let registered = try workspace.registeredMetric(metric)
                try workspace.export(registered, to: global.path(to))
                print("exported \(registered.reference) to \(to)")
            } catch {
                throw CommandFailure.report(error)
            }
        }
    }

    static func jsonValue(_ metric: RegisteredMetric) -> JSONValue {
        .object([
            "name": .string(metric.name), "version": .int(metric.version), "aliases": .array(metric.aliases.map(JSONValue.string)),
            "model": .string(metric.modelDigest), "report": metric.reportDigest.map(JSONValue.string) ?? .null,
            "project": .string(metric.project), "run": .string(metric.run),
            "manifest": metric.manifestDigest.map(JSONValue.string) ?? .null,
            "summary": (try? JSONValue.parse(metric.summary)) ?? .null,
            "registered_at": .string(UTCTimestamp.string(from: metric.registeredAt)),
        ])
    }
}
