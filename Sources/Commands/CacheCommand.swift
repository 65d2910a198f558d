import ArgumentParser
import ContentCache
import Foundation
import Workspace

/// `lunette cache`: maintenance of the content cache.
struct CacheCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cache", abstract: "Maintain the content cache.", subcommands: [GC.self, Verify.self])

    struct GC: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "gc",
            abstract: "Remove cached results that no lock and no invocation of the last 14 days reaches.")
        @OptionGroup var global: GlobalOptions
        @Flag(help: "Only say what would be removed.") var dryRun = false

        func run() async throws {
            do {
                let report = try global.workspace().collectGarbage(dryRun: dryRun) { holder in
                    printError("waiting for \(holder) to finish…")
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
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Re-hash every cached object and registered model folder; quarantine or restore what is corrupt.")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            do {
                let report = try global.workspace().verifyCache()
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
    }
}

func bytes(_ count: Int64) -> String {
    ByteCountFormatter.string(fromByteCount: count, countStyle: .file)
}
