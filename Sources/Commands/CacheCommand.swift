import ArgumentParser
import Basics
import ContentCache
import Foundation
import Workspace

/// `lunette cache`: maintenance of the content cache.
struct CacheCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cache", abstract: "Maintain the content cache.", subcommands: [GC.self, Verify.self, Status.self])

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Per run, how many locked stages are in this cache, only on the remote cache, or nowhere.")
        @OptionGroup var global: GlobalOptions
        @Flag(help: "Print JSON: every stage with its place (local, remote, missing).") var json = false
        @Argument(help: "Only these projects, runs or stages.") var targets: [String] = []

        func run() async throws {
            do {
                let entries = try await global.workspace().cacheStatus(targets: targets)
                if json {
                    print(JSONValue.object([
                        "stages": .array(entries.map { .object(["id": .string($0.stage.description), "place": .string($0.place.rawValue)]) })
                    ]).prettyText)
                    return
                }
                var byRun: [String: [CacheStatusEntry.Place: Int]] = [:]
                for entry in entries { byRun["\(entry.stage.project)/\(entry.stage.run)", default: [:]][entry.place, default: 0] += 1 }
                let rows = byRun.keys.sorted().map { run -> [String] in
                    let counts = byRun[run] ?? [:]
                    return [run, String(counts[.local] ?? 0), String(counts[.remote] ?? 0), String(counts[.missing] ?? 0)]
                }
                print(Table.render(header: ["RUN", "LOCAL", "REMOTE ONLY", "MISSING"], rows: rows), terminator: "")
            } catch {
                throw CommandFailure.report(error)
            }
        }
    }

    struct GC: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "gc",
            abstract: "Remove cached results that no lock and no invocation of the last 14 days reaches.",
            discussion: """
                Without --remote only this workspace's cache is touched, never the remote cache. With --remote only the \
                remote cache is: its objects, action records and memo entries that no committed lock (and no version in the \
                committed registry file) on the --ref refs references are deleted (default: every local branch and tag, and \
                HEAD); records go first. Run it when no push of uncommitted locks is under way.
                """)
        @OptionGroup var global: GlobalOptions
        @Flag(help: "Only say what would be removed.") var dryRun = false
        @Flag(help: "Print JSON: what was (or would be) removed, item by item (docs/json-output.md).") var json = false
        @Flag(help: "Collect the remote cache's garbage instead of this cache's.") var remote = false
        @Option(name: .customLong("ref"), parsing: .upToNextOption,
                help: "With --remote: keep what committed locks on these git refs reference (default: every local branch and tag, and HEAD).")
        var refs: [String] = []

        func validate() throws {
            if !refs.isEmpty && !remote { throw ValidationError("--ref only applies with --remote") }
        }

        func run() async throws {
            if remote {
                try await runRemote()
                return
            }
            do {
                let report = try global.workspace().collectGarbage(dryRun: dryRun) { holder in
                    printError("waiting for \(holder) to finish…")
                }
                if json {
                    print(Self.jsonValue(report).prettyText)
                    return
                }
                let verb = dryRun ? "would remove" : "removed"
                print("kept \(report.kept.count) items (\(bytes(report.keptBytes))): reached from a lock or a recent invocation")
                for path in report.sharedWith { print("kept what \(path) needs: it shares this cache") }
                for group in report.removedByReason {
                    print("\(verb) \(group.count) items (\(bytes(group.bytes))): \(group.reason)")
                }
                if report.removed.isEmpty { print("nothing to remove") }
            } catch {
                throw CommandFailure.report(error)
            }
        }

        func runRemote() async throws {
            do {
                let report = try await global.workspace().collectRemoteGarbage(refs: refs, dryRun: dryRun)
                if json {
                    print(JSONValue.object([
                        "remote": .string(report.remote), "dry_run": .bool(report.isDryRun),
                        "refs": .array(report.refs.map(JSONValue.string)),
                        "kept_count": .int(report.keptCount), "kept_bytes": .int(Int(report.keptBytes)),
                        "removed_count": .int(report.removed.count), "removed_bytes": .int(Int(report.removedBytes)),
                        "removed": .array(report.removed.map { .string($0.key) }),
                    ]).prettyText)
                    return
                }
                let verb = dryRun ? "would remove" : "removed"
                if dryRun { for item in report.removed { print("would remove \(item.key)") } }
                print("remote \(report.remote): kept \(report.keptCount) keys (\(bytes(report.keptBytes))) that committed locks on "
                      + "\(report.refs.joined(separator: ", ")) reference")
                print(report.removed.isEmpty
                      ? "nothing to remove" : "\(verb) \(report.removed.count) keys (\(bytes(report.removedBytes)))")
            } catch {
                throw CommandFailure.report(error)
            }
        }

        /// `cache gc --json`'s one shape (see docs/json-output.md).
        static func jsonValue(_ report: GarbageReport) -> JSONValue {
            .object([
                "dry_run": .bool(report.isDryRun), "kept_count": .int(report.kept.count), "kept_bytes": .int(Int(report.keptBytes)),
                "removed_count": .int(report.removed.count), "removed_bytes": .int(Int(report.removedBytes)),
                "removed": .array(report.removed.map { item in
                    .object([
                        "kind": .string(item.kind.rawValue), "path": .string(item.path), "bytes": .int(Int(item.bytes)),
                        "reason": .string(item.reason),
                    ])
                }),
                "removed_by_reason": .array(report.removedByReason.map { group in
                    .object(["reason": .string(group.reason), "count": .int(group.count), "bytes": .int(Int(group.bytes))])
                }),
                "shared_with": .array(report.sharedWith.map(JSONValue.string)),
            ])
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Re-hash every cached object and registered model folder; quarantine or restore what is corrupt.")
        @OptionGroup var global: GlobalOptions
        @Flag(help: "Print JSON (docs/json-output.md); exit 1 still means something was corrupt.") var json = false

        func run() async throws {
            do {
                let report = try global.workspace().verifyCache()
                if json {
                    print(Self.jsonValue(report).prettyText)
                    if !report.isClean { throw ExitCode.failure }
                    return
                }
                print("checked \(report.objectsChecked) objects (\(bytes(report.bytesChecked)))")
                for digest in report.corrupt { print("corrupt: \(digest) (moved to quarantine)") }
                if !report.droppedRecords.isEmpty {
                    print("dropped \(report.droppedRecords.count) cache entries that pointed at them: their stages will run again")
                }
                print("checked \(report.foldersChecked) registered model folder\(report.foldersChecked == 1 ? "" : "s")")
                for folder in report.damagedFolders {
                    print("damaged: \(folder.path): \(folder.problem); \(folder.unrepaired ?? "restored from the cache")")
                }
                for path in report.removedFolders { print("removed: \(path) (no such registered metric)") }
                if report.isClean { print("ok: no corrupt objects or model folders") } else { throw ExitCode.failure }
            } catch {
                throw CommandFailure.report(error)
            }
        }

        /// `cache verify --json`'s one shape (see docs/json-output.md).
        static func jsonValue(_ report: VerifyReport) -> JSONValue {
            .object([
                "clean": .bool(report.isClean), "objects_checked": .int(report.objectsChecked),
                "bytes_checked": .int(Int(report.bytesChecked)),
                "corrupt": .array(report.corrupt.map { .string($0.description) }),
                "dropped_records": .array(report.droppedRecords.map { .string($0.description) }),
                "stray_files": .array(report.strayFiles.map(JSONValue.string)),
                "folders_checked": .int(report.foldersChecked),
                "damaged_folders": .array(report.damagedFolders.map { folder in
                    .object([
                        "path": .string(folder.path), "problem": .string(folder.problem),
                        "repaired": .bool(folder.unrepaired == nil), "unrepaired": folder.unrepaired.map(JSONValue.string) ?? .null,
                    ])
                }),
                "removed_folders": .array(report.removedFolders.map(JSONValue.string)),
            ])
        }
    }
}

func bytes(_ count: Int64) -> String {
    ByteCountFormatter.string(fromByteCount: count, countStyle: .file)
}
