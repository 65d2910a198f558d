import _FuzzTargets
import Foundation

/// `lunette-fuzz list` and `lunette-fuzz replay TARGET PATH…`: the normal build's commands.
enum Replay {
    static let usage = """
        usage: lunette-fuzz replay TARGET PATH...   run each file (or each file in a folder) through TARGET
               lunette-fuzz list                    list the targets
        targets: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))
        a fuzzing build (scripts/fuzz) takes libFuzzer's flags instead

        """

    /// Runs the command; returns the exit status (0 fine, 1 an invariant failed, 2 bad arguments).
    static func main(_ arguments: [String]) -> Int32 {
        switch arguments.first {
        case "list":
            print(FuzzTarget.allCases.map(\.rawValue).joined(separator: "\n"))
            return 0
        case "replay":
            guard arguments.count >= 3, let target = FuzzTarget(rawValue: arguments[1]) else { break }
            return replay(target, paths: Array(arguments.dropFirst(2)))
        default:
            break
        }
        FileHandle.standardError.write(Data(usage.utf8))
        return 2
    }

    private static func replay(_ target: FuzzTarget, paths: [String]) -> Int32 {
        let sandbox: FuzzSandbox
        do {
            sandbox = try FuzzSandbox()
        } catch {
            FileHandle.standardError.write(Data("lunette-fuzz: cannot create the sandbox workspace: \(error)\n".utf8))
            return 1
        }
        var status: Int32 = 0
        var counts = (accepted: 0, rejected: 0)
        for file in files(paths) {
            guard let data = FileManager.default.contents(atPath: file) else {
                FileHandle.standardError.write(Data("lunette-fuzz: cannot read \(file)\n".utf8))
                status = 2
                continue
            }
            do {
                let outcome = try target.runBlocking(data, in: sandbox)
                if outcome.isRejected { counts.rejected += 1 } else { counts.accepted += 1 }
                print("\(outcome.isRejected ? "rejected" : "accepted")  \(file): \(outcome.text.prefix(200))")
            } catch {
                print("FAILED    \(file): \(error)")
                status = 1
            }
        }
        print("\(target.rawValue): \(counts.accepted) accepted, \(counts.rejected) rejected")
        return status
    }

    /// The files named, with each folder replaced by its files (sorted, hidden files and READMEs skipped).
    private static func files(_ paths: [String]) -> [String] {
        paths.flatMap { path -> [String] in
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
                return [path]
            }
            let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            return names.filter { !$0.hasPrefix(".") && !$0.hasPrefix("README") }.sorted().map { path + "/" + $0 }
        }
    }
}
