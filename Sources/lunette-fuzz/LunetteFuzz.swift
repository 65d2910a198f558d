import _FuzzTargets
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `lunette-fuzz`: libFuzzer targets for the parsers of untrusted input, and a tool that replays inputs.
///
/// Built normally it is the replay tool:
///
/// ```
/// lunette-fuzz list                          # the targets
/// lunette-fuzz replay csv Fuzz/Corpus/csv    # run files (or folders of files) through a target
/// ```
///
/// Built with `-Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING` (`scripts/fuzz` does this) it is
/// a libFuzzer binary for the target named by `LUNETTE_FUZZ_TARGET`; every libFuzzer flag applies
/// (`lunette-fuzz -max_total_time=60 CORPUS_DIR`, `lunette-fuzz crash-file` to replay one input).
@main
enum LunetteFuzz {
    static func main() {
        #if FUZZING
            guard FuzzingSession.shared.target != nil else {
                let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
                FileHandle.standardError.write(Data("lunette-fuzz: set LUNETTE_FUZZ_TARGET to one of: \(names)\n".utf8))
                exit(2)
            }
            var argc = CommandLine.argc
            var argv = CommandLine.unsafeArgv
            exit(LLVMFuzzerRunDriver(&argc, &argv, LLVMFuzzerTestOneInput))
        #else
            exit(Replay.main(Array(CommandLine.arguments.dropFirst())))
        #endif
    }
}

#if FUZZING
    /// The target and sandbox of this fuzzing process, made once before the first input.
    final class FuzzingSession: Sendable {
        static let shared = FuzzingSession()

        let target: FuzzTarget?
        let sandbox: FuzzSandbox

        private init() {
            target = ProcessInfo.processInfo.environment["LUNETTE_FUZZ_TARGET"].flatMap(FuzzTarget.init(rawValue:))
            do {
                sandbox = try FuzzSandbox()
            } catch {
                fatalError("lunette-fuzz: cannot create the sandbox workspace: \(error)")
            }
        }
    }

    /// libFuzzer's entry: runs one input through the target; an invariant violation aborts, so
    /// libFuzzer records the input as a crash.
    @_cdecl("LLVMFuzzerTestOneInput")
    public func LLVMFuzzerTestOneInput(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
        let session = FuzzingSession.shared
        guard let target = session.target else { return 0 }
        let data = start.map { Data(bytes: $0, count: count) } ?? Data()
        do {
            _ = try target.runBlocking(data, in: session.sandbox)
        } catch {
            FileHandle.standardError.write(Data("lunette-fuzz: \(error)\n".utf8))
            abort()
        }
        return 0
    }

    /// libFuzzer's driver (`int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*cb)(const uint8_t *, size_t))`),
    /// from the runtime `-sanitize=fuzzer` links. Called instead of libFuzzer's own `main` because
    /// SwiftPM points an executable's `main` at its `@main` type.
    @_silgen_name("LLVMFuzzerRunDriver")
    func LLVMFuzzerRunDriver(
        _ argc: UnsafeMutablePointer<CInt>,
        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
        _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
    ) -> CInt
#endif
