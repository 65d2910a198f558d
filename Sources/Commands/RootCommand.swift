import ArgumentParser
import Foundation
import MLCore
import TaskInterface
import TaskTypes

#if canImport(Glibc)
    import Glibc
#endif

/// `lunette`: the root of the command tree.
public struct RootCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "lunette",
        abstract: "Turn a small hand-labelled test set into a fast, fine-tuned evaluation metric.",
        discussion: """
            Projects live in workflows/<project>.yaml. `lunette run` expands each run into cached stages (load, split, training data, train, evaluate, register) and runs only what changed; `lunette plan --explain` says why each stage runs or is reused.

            Exit codes: 0 success, 1 a stage or the command failed (or `check`/`verify` found a difference, `score` left rows out), 2 invalid manifests or arguments (usage errors included), 3 the workspace is busy (--no-wait), 4 `check` could not be made (an unreadable lock or store), 130 interrupted.
            """,
        version: LunetteVersion.text,
        subcommands: [
            InitCommand.self, PlanCommand.self, RunCommand.self, StatusCommand.self, ShowCommand.self,
            CheckCommand.self, VerifyCommand.self, CacheCommand.self, ReportCommand.self, CompareCommand.self, ScoresCommand.self, PushCommand.self, PullCommand.self,
            RegisterCommand.self, RegistryCommand.self, ScoreCommand.self, ServeCommand.self, ReviewCommand.self,
            PresetsCommand.self,
            EmbedCommand.self,
            ModelsCommand.self,
        ])

    public init() {}

    /// Parses `arguments`, runs the command and exits, as `main(_:)` does, except for the exit code
    /// of a usage error: an unknown option or subcommand, a missing argument, a bad value or a
    /// failed validation exits 2, as `--help` and the README say, not argument-parser's 64
    /// (`EX_USAGE`). The message is argument-parser's, with the usage line.
    public static func execute(_ arguments: [String]) async {
        do {
            var command = try await asyncParseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            guard exitCode(for: error) == .validationFailure else { exit(withError: error) }
            printError(fullMessage(for: error))
            Glibc.exit(CommandFailure.invalidInput)
        }
    }

    /// Runs `lunette` with `taskTypes` registered beside the built-in ones: the whole entry point of a
    /// `lunette`-compatible executable that adds task types a manifest names with `task: <id>`.
    ///
    /// ```swift
    /// import Commands
    ///
    /// @main
    /// struct MyLunette {
    ///     static func main() async { await RootCommand.main(registering: [LanguageFilter()]) }
    /// }
    /// ```
    /// Every command (`run`, `check`, `plan`, `verify`, …) then loads, plans and runs with them; a task
    /// type with a built-in's id replaces it. The registry is a task-local value, so nothing global changes.
    public static func main(registering taskTypes: [any TaskType]) async {
        prepareProcess()
        var registry = TaskTypeRegistry.builtin
        for type in taskTypes { registry.register(type) }
        await GlobalOptions.$taskTypes.withValue(registry) {
            await execute(arguments(Array(CommandLine.arguments.dropFirst())))
        }
    }

    /// Process-wide settings to apply before any command runs (OpenBLAS single-threaded, its idle
    /// workers ended).
    public static func prepareProcess() { BLAS.runSingleThreaded() }

    /// The command line with a leading `-C DIR` / `--directory DIR` (as `git -C` and `make -C` take
    /// it) moved behind the subcommands, where the commands declare it: `lunette -C examples run`
    /// means `lunette run -C examples`. Anything else is returned unchanged.
    public static func arguments(_ raw: [String]) -> [String] {
        guard let first = raw.first else { return raw }
        var option: [String]
        var rest: ArraySlice<String>
        if first == "-C" || first == "--directory", raw.count >= 2 {
            option = [first, raw[1]]
            rest = raw.dropFirst(2)
        } else if first.hasPrefix("--directory=") {
            option = [first]
            rest = raw.dropFirst()
        } else {
            return raw
        }
        // Before a `--` that ends the options, else at the end.
        if let end = rest.firstIndex(of: "--") {
            return Array(rest[..<end]) + option + Array(rest[end...])
        }
        option = Array(rest) + option
        return option
    }
}

/// The version `lunette --version` prints.
public enum LunetteVersion {
    public static let text = "0.1.0"
}
