import Basics
import Foundation

/// Hashes each file named on the command line with ``ContentHash/ofFile(at:)`` and prints
/// `HEX  PATH  BYTES  SECONDS  MiB/s`, like `sha256sum` plus the throughput.
///
/// Exit status 2 on a usage error, 1 when a file cannot be read.
let paths = CommandLine.arguments.dropFirst()
guard !paths.isEmpty else {
    FileHandle.standardError.write(Data("usage: lunette-hash FILE...\n".utf8))
    exit(2)
}
var failed = false
for path in paths {
    let clock = ContinuousClock()
    let start = clock.now
    do {
        let (hash, size) = try ContentHash.ofFile(at: path)
        let elapsed = clock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let rate = seconds > 0 ? Double(size) / 1_048_576 / seconds : 0
        print("\(hash.hex)  \(path)  \(size)  \(String(format: "%.3f", seconds))  \(String(format: "%.0f", rate))")
    } catch {
        FileHandle.standardError.write(Data("lunette-hash: \(path): \(error)\n".utf8))
        failed = true
    }
}
exit(failed ? 1 : 0)
