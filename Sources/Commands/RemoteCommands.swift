import ArgumentParser
import Basics
import Foundation
import Workspace

/// `lunette push`: upload what the locks reference to the remote cache.
struct PushCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push",
        abstract: "Upload to the remote cache what the locks (and the registry) reference and the remote lacks.",
        discussion: """
            The remote is `remote:` in lunette.yaml (or lunette.local.yaml, or LUNETTE_REMOTE): s3://BUCKET/PREFIX \
            for S3-compatible storage (credentials from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE), or a \
            shared folder. Objects go first (with the provider-answer and embedding memo entries the stage used), \
            and each stage's action record last, so a reader never finds a record whose objects are missing; \
            pushing the same objects from two clones at once is safe. Progress goes to standard error: one \
            updating line on a terminal, a line every 5 s or 10% otherwise.
            """)
    @OptionGroup var global: GlobalOptions
    @Flag(help: "List what would be uploaded; upload nothing.") var dryRun = false
    @Flag(help: "Print JSON.") var json = false
    @Argument(help: "Only these projects, runs or stages (default: everything the locks and the registry reference).")
    var targets: [String] = []

    func run() async throws {
        do {
            let printer = TransferProgressPrinter(verb: dryRun ? "checking" : "pushing")
            let (workspace, targets, dryRun, sink) = (try global.workspace(), targets, dryRun, json ? .silent : printer.sink)
            // Ctrl-C cancels the transfers (multipart uploads are aborted) and exits 130.
            let transfer = try await Interrupts.cancellingOnSignal(Interrupts.cancellingTransfers) {
                try await workspace.push(targets: targets, dryRun: dryRun, progress: sink)
            }
            printer.finish()
            if json {
                print(RemoteTransferOutput.json(transfer, direction: "push", dryRun: dryRun).prettyText)
            } else {
                if dryRun { for key in transfer.uploaded { print("would push \(key)") } }
                print(RemoteTransferOutput.summary(transfer, verb: dryRun ? "would upload" : "uploaded"))
                for item in transfer.missingLocally { printError("not in this cache (run it first): \(item)") }
            }
            if !transfer.missingLocally.isEmpty { throw ExitCode.failure }
        } catch {
            throw CommandFailure.report(error)
        }
    }
}

/// `lunette pull`: download what the locks reference from the remote cache.
struct PullCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull",
        abstract: "Download from the remote cache what the locks (and the registry) reference and this cache lacks.",
        discussion: """
            Every object is re-hashed before it is used: a truncated, corrupt or substituted remote object is \
            reported and left out (its stage runs again), never used. After `git clone` and `lunette pull`, \
            `lunette run` runs nothing and `lunette score NAME` works; the memo entries (provider answers, \
            embeddings) the locked stages used come too, so a stage run again asks the provider nothing it \
            already asked. Several stages are pulled at once, at most `remote.jobs` (lunette.yaml; \
            LUNETTE_REMOTE_JOBS; default 8) transfers in flight, each object fetched once. Exit 1 when \
            something was missing or corrupt.
            """)
    @OptionGroup var global: GlobalOptions
    @Flag(help: "Print JSON.") var json = false
    @Argument(help: "Only these projects, runs or stages (default: everything the locks and the registry reference).")
    var targets: [String] = []

    func run() async throws {
        do {
            let printer = TransferProgressPrinter(verb: "pulling")
            let (workspace, targets, sink) = (try global.workspace(), targets, json ? .silent : printer.sink)
            // Ctrl-C cancels the downloads (nothing partial is kept) and exits 130.
            let transfer = try await Interrupts.cancellingOnSignal(Interrupts.cancellingTransfers) {
                try await workspace.pull(targets: targets, progress: sink)
            }
            printer.finish()
            if json {
                print(RemoteTransferOutput.json(transfer, direction: "pull", dryRun: false).prettyText)
            } else {
                print(RemoteTransferOutput.summary(transfer, verb: "downloaded"))
                for item in transfer.missingRemotely { printError("not on the remote: \(item)") }
                for item in transfer.corrupt { printError("corrupt on the remote (left out; its stage will run again): \(item)") }
            }
            if !transfer.corrupt.isEmpty || !transfer.missingRemotely.isEmpty { throw ExitCode.failure }
        } catch {
            throw CommandFailure.report(error)
        }
    }
}

/// The text and JSON of a push or a pull.
enum RemoteTransferOutput {
    static func summary(_ transfer: RemoteTransfer, verb: String) -> String {
        let count = max(transfer.uploaded.count, transfer.downloaded.count)
        return "\(verb) \(count) object\(count == 1 ? "" : "s") (\(ByteCountFormatter.string(fromByteCount: transfer.bytes, countStyle: .file))) "
            + "in \(String(format: "%.1f", transfer.seconds)) s; \(transfer.alreadyThere) already there; remote \(transfer.remote)"
    }

    static func json(_ transfer: RemoteTransfer, direction: String, dryRun: Bool) -> JSONValue {
        func list(_ items: [String]) -> JSONValue { .array(items.map(JSONValue.string)) }
        return .object([
            "direction": .string(direction), "dry_run": .bool(dryRun), "remote": .string(transfer.remote),
            "uploaded": list(transfer.uploaded), "downloaded": list(transfer.downloaded),
            "already_there": .int(transfer.alreadyThere), "missing_locally": list(transfer.missingLocally),
            "missing_remotely": list(transfer.missingRemotely), "corrupt": list(transfer.corrupt),
            "bytes": .int(Int(transfer.bytes)), "seconds": .double((transfer.seconds * 1000).rounded() / 1000),
        ])
    }
}
