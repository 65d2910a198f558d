import Basics
import Foundation
import WorkflowModel

/// A kind of work a stage can do: the plug-in seam of the engine.
///
/// The engine looks task types up by ``id`` in a ``TaskTypeRegistry`` that the caller builds, so a
/// library user can add their own without touching the engine. A task type is a value with no
/// state of its own between runs: everything it needs arrives in the ``StageContext``.
///
/// ```swift
/// struct Uppercase: TaskType {
///     static let id = "uppercase"
///     static let version = 1
///     func run(_ context: StageContext) async throws -> StageResult {
///         let text = try String(contentsOf: context.inputs["text"]!, encoding: .utf8)
///         try text.uppercased().write(to: context.outputs["text"]!, atomically: false, encoding: .utf8)
///         return StageResult(summary: "uppercased \(text.count) characters")
///     }
/// }
/// ```
public protocol TaskType: Sendable {
    /// The id stages name it by, e.g. `load-dataset`, `split`, `exec`, `train`.
    static var id: String { get }
    /// Bump to invalidate every cached result of this task type (it is part of every action key).
    static var version: Int { get }
    /// The settings a manifest gives this task type (its section, e.g. `train:`): every key's kind,
    /// limits, default and meaning, declared once. The manifest reader checks the section through it at
    /// load time, the stage through ``SettingsSchema/check(_:labels:rules:)``, and the planner leaves
    /// keys that cannot change results out of the action key. `nil` (the default) for none.
    ///
    /// Declare it with its optional type, `static var settings: SettingsSchema? { … }`: a
    /// non-optional declaration would not implement this requirement.
    static var settings: SettingsSchema? { get }
    /// The names of the inputs a stage of this type reads (``StageContext/inputs``), each required: what
    /// a manifest's `task:` stage must give under `inputs:`. `nil` (the default) takes any names.
    static var inputNames: [String]? { get }
    /// The names of the outputs a stage of this type writes (``StageContext/outputs``): what other stages
    /// read as `@stage.name`. `nil` (the default) lets a manifest's `task:` stage list them under `outputs:`.
    ///
    /// As with ``settings``, declare both with their optional type (`static var inputNames: [String]? { … }`):
    /// a `static let inputNames = ["rows"]` would not implement the requirement and would go unseen.
    static var outputNames: [String]? { get }
    /// Whether the same inputs and params always give byte-identical outputs. `lunette verify`
    /// re-executes only deterministic task types; an LLM call says `false`.
    var isDeterministic: Bool { get }
    /// The resource pool a stage of this type takes a slot in (e.g. `train`, depth 1 by default),
    /// or `nil` for only the global `--jobs` limit.
    var pool: String? { get }
    /// The run's lifecycle status while a stage of this type runs (`generating data`, `training`),
    /// or `nil` to leave it as it is.
    var statusWhileRunning: RunStatus? { get }
    /// The run's lifecycle status after a stage of this type succeeds (`fine-tuned`, `registered`…).
    /// A run whose stages all completed ends at the latest status (in ``WorkflowModel/RunStatus``'s
    /// order) that its stages' types declare here, and at least `data ready`.
    var statusAfterSuccess: RunStatus? { get }
    /// The run's lifecycle status once the stage producing one of this type's inputs succeeds, by input
    /// name: `train` declares `["rows": .dataReady]` (its training rows exist), whichever stage made them.
    var statusWhenInputProduced: [String: RunStatus] { get }

    /// Checks, before any stage of the invocation runs, what a stage needs from outside the
    /// workspace: credentials in the environment, an installed tool. Returns one message per
    /// problem, naming what is missing and how to provide it (never a secret's value).
    func preflight(params: [String: JSONValue], environment: [String: String]) -> [String]

    /// A short note `lunette plan` prints beside a stage that will run, e.g. how many provider calls
    /// it will make and roughly how many tokens they cost; `nil` for nothing to say.
    func planNote(params: [String: JSONValue]) -> String?

    /// Whether outputs the cache recorded for this stage's action key still hold in this workspace.
    ///
    /// The cache may have them from another workspace sharing it (`$LUNETTE_CACHE`). Most results
    /// are a function of the key alone (the default: `true`); a stage whose effect also lives outside
    /// the cache checks it here, and runs again when it does not hold — `register` asks this
    /// workspace's registry for the version its recorded entry names. The answer must depend on
    /// `outputs` and `registry` alone: `lunette run`'s up-to-date stamp re-asks the files and the
    /// store's state it comes from, not this method.
    /// - Parameters:
    ///   - outputs: each recorded *file* output's object in the cache (read it, never write it).
    ///   - registry: this workspace's metric registry, when there is one.
    func cachedResultHolds(outputs: [String: URL], registry: (any MetricRegistry)?) -> Bool

    /// Does the work: reads ``StageContext/inputs``, writes every path in ``StageContext/outputs``.
    ///
    /// Throw ``TaskError`` for a failure a user can fix; the message is shown as it is.
    /// Cancellation arrives as Swift task cancellation: check it in long loops.
    func run(_ context: StageContext) async throws -> StageResult
}

extension TaskType {
    public static var settings: SettingsSchema? { nil }
    public static var inputNames: [String]? { nil }
    public static var outputNames: [String]? { nil }
    public var isDeterministic: Bool { true }
    public var pool: String? { nil }
    public var statusWhileRunning: RunStatus? { nil }
    public var statusAfterSuccess: RunStatus? { nil }
    public var statusWhenInputProduced: [String: RunStatus] { [:] }
    public func preflight(params: [String: JSONValue], environment: [String: String]) -> [String] { [] }
    public func planNote(params: [String: JSONValue]) -> String? { nil }
    public func cachedResultHolds(outputs: [String: URL], registry: (any MetricRegistry)?) -> Bool { true }

    /// The id of this value's type.
    public var id: String { Self.id }
    /// The version of this value's type.
    public var version: Int { Self.version }
    /// The settings schema of this value's type.
    public var settingsSchema: SettingsSchema? { Self.settings }
}

extension TaskTypeRegistry {
    /// Every registered task type's settings schema, by its manifest section (`train`, `generate`, …):
    /// what `ManifestLoader` checks each section through.
    public var settingsBySection: [String: SettingsSchema] {
        var schemas: [String: SettingsSchema] = [:]
        for id in ids {
            if let schema = taskType(id: id)?.settingsSchema { schemas[schema.section] = schema }
        }
        return schemas
    }

    /// What a manifest's `task:` stage may say to each registered task type, by id: what `ManifestLoader`
    /// checks custom task stages against.
    public var declarations: [String: TaskDeclaration] {
        var declarations: [String: TaskDeclaration] = [:]
        for id in ids {
            guard let type = taskType(id: id) else { continue }
            declarations[id] = TaskDeclaration(
                id: id, settings: type.settingsSchema, inputs: Swift.type(of: type).inputNames,
                outputs: Swift.type(of: type).outputNames)
        }
        return declarations
    }

    /// Every registered task type's settings schema, by task id: what the planner strips keys with.
    public var settingsByTask: [String: SettingsSchema] {
        var schemas: [String: SettingsSchema] = [:]
        for id in ids {
            if let schema = taskType(id: id)?.settingsSchema { schemas[id] = schema }
        }
        return schemas
    }
}
