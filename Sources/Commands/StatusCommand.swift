import ArgumentParser
import Basics
import Foundation
import Workspace

/// `lunette status`: each run's lifecycle status.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "List every run with its status (queued, generating data, data ready, training, fine-tuned, registered, failed, cancelled).")

    @OptionGroup var global: GlobalOptions
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        do {
            let views = try global.workspace().statuses()
            if json {
                let value = JSONValue.object([
                    "runs": .array(views.map { view in
                        .object([
                            "project": .string(view.project), "run": .string(view.run), "metric": .string(view.metric),
                            "status": .string(view.status.rawValue), "reason": view.reason.map(JSONValue.string) ?? .null,
                            "updated_at": view.updatedAt.map { .string(UTCTimestamp.string(from: $0)) } ?? .null,
                            "interrupted": .bool(view.isInterrupted),
                        ])
                    })
                ])
                print(value.prettyText)
                return
            }
            if views.isEmpty {
                print("no runs: add one to a manifest under workflows/")
                return
            }
            let formatter = DateFormatter()
            formatter.dateFormat = "yyyy-MM-dd HH:mm"
            let rows = views.map { view in
                [
                    "\(view.project)/\(view.run)", view.metric, view.status.rawValue,
                    view.updatedAt.map { formatter.string(from: $0) } ?? "-", view.reason ?? "",
                ]
            }
            print(Table.render(header: ["RUN", "METRIC", "STATUS", "UPDATED", "REASON"], rows: rows), terminator: "")
        } catch {
            throw CommandFailure.report(error)
        }
    }
}

/// Plain aligned text tables.
enum Table {
    static func render(header: [String], rows: [[String]]) -> String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n") + "\n"
    }
}
