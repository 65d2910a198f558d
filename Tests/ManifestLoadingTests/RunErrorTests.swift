import Basics
import Foundation
import ManifestLoading
import Testing
import WorkflowModel

/// One mistake added to a valid run (line 11 of ``Manifest/withRun(_:top:)``) and the one error it must give.
struct RunMistake: CustomTestStringConvertible, Sendable {
    let yaml: String
    let message: String
    let keyPath: String
    let column: Int
    var hint: String?

    var testDescription: String { yaml.trimmingCharacters(in: .whitespaces) }
}

@Suite("Mistakes in a run")
struct RunErrorTests {
    static let mistakes: [RunMistake] = [
        RunMistake(
            yaml: "    train: { epoch: 3 }", message: "unknown key 'epoch' in 'train'", keyPath: "runs.r.train.epoch",
            column: 14, hint: "did you mean 'epochs'?"),
        RunMistake(
            yaml: "    seed: seven", message: "expected an integer, found 'seven'", keyPath: "runs.r.seed", column: 11),
        RunMistake(
            yaml: "    base_model: minilm-l12", message: "unknown base model 'minilm-l12'", keyPath: "runs.r.base_model",
            column: 17, hint: "did you mean 'minilm-l6'?"),
        RunMistake(
            yaml: "    provider: lokal", message: "unknown provider 'lokal'", keyPath: "runs.r.provider", column: 15,
            hint: "did you mean 'local'?"),
        RunMistake(
            yaml: "    gate: { min_f1: 1.5 }", message: "min_f1 must be between 0 and 1, found 1.5",
            keyPath: "runs.r.gate.min_f1", column: 21),
        RunMistake(
            yaml: "    split: { seed_fraction: 1.0 }",
            message: "seed_fraction must be strictly between 0 and 1, found 1.0",
            keyPath: "runs.r.split.seed_fraction", column: 29),
        RunMistake(
            yaml: "    split: { group_bye: conversation }", message: "unknown key 'group_bye' in 'split'",
            keyPath: "runs.r.split.group_bye", column: 14, hint: "did you mean 'group_by'?"),
        RunMistake(
            yaml: "    split: { group_by: [a, b] }", message: "expected a string, found a list",
            keyPath: "runs.r.split.group_by", column: 24),
        RunMistake(
            yaml: "    split: { group_by: \"\" }", message: "expected a non-empty string",
            keyPath: "runs.r.split.group_by", column: 24),
        RunMistake(
            yaml: "    train: { mode: fast }", message: "unknown mode 'fast'", keyPath: "runs.r.train.mode", column: 20,
            hint: "expected one of: auto, head, full"),
        RunMistake(
            yaml: "    train: { mode: head, seeds: 3 }",
            message: "seeds: 3 needs mode full or auto: head mode's fit does not depend on the seed",
            keyPath: "runs.r.train.seeds", column: 5, hint: "remove seeds, or set mode to full or auto"),
        RunMistake(
            yaml: "    train: { learning_rate: fast }", message: "expected a number, found 'fast'",
            keyPath: "runs.r.train.learning_rate", column: 29),
        // The train stage's own limits (TrainSettings), refused at load (see TrainSettingsAgreementTests).
        RunMistake(
            yaml: "    train: { batch_size: 5000 }", message: "batch_size must be between 1 and 4096, found 5000",
            keyPath: "runs.r.train.batch_size", column: 26),
        RunMistake(
            yaml: "    train: { epochs: 1001 }", message: "epochs must be between 1 and 1000, found 1001",
            keyPath: "runs.r.train.epochs", column: 22),
        RunMistake(
            yaml: "    train: { threads: 257 }", message: "threads must be between 1 and 256, found 257",
            keyPath: "runs.r.train.threads", column: 23),
        RunMistake(
            yaml: "    train: { patience: 0 }", message: "patience must be between 1 and 1000, found 0",
            keyPath: "runs.r.train.patience", column: 24),
        RunMistake(
            yaml: "    train: { validation_fraction: 0.6 }",
            message: "validation_fraction must be between 0 and 0.5, found 0.6",
            keyPath: "runs.r.train.validation_fraction", column: 35),
        RunMistake(
            yaml: "    train: { dropout: 0.95 }", message: "dropout must be between 0 and 0.9, found 0.95",
            keyPath: "runs.r.train.dropout", column: 23),
        RunMistake(
            yaml: "    train: { class_weights: [1, 2, 3] }", message: "class_weights lists 3 weights for 2 labels",
            keyPath: "runs.r.train.class_weights", column: 29, hint: "one weight per label, in order: false, true"),
        RunMistake(
            yaml: "    train: { class_weights: { \"true\": 3 } }",
            message: "class_weights gives no weight for label 'false'", keyPath: "runs.r.train.class_weights",
            column: 29, hint: "weigh every label: false, true"),
        RunMistake(
            yaml: "    register: maybe", message: "expected true or false, found 'maybe'", keyPath: "runs.r.register",
            column: 15),
        RunMistake(
            yaml: "    metrics: toxicity", message: "unknown key 'metrics' in 'r'", keyPath: "runs.r.metrics", column: 5,
            hint: "did you mean 'metric'?"),
        RunMistake(
            yaml: "    stages: { train: { command: \"true\" } }",
            message: "'train' is a built-in stage; a custom stage needs another name", keyPath: "runs.r.stages.train",
            column: 15,
            hint: "built-in stages: load, split, load-training, generate, label, import, train, evaluate, register"),
        RunMistake(
            yaml: "    stages: { s: { command: \"true\", after: evaluat } }", message: "run 'r' has no stage 'evaluat'",
            keyPath: "runs.r.stages.s.after", column: 44, hint: "did you mean 'evaluate'?"),
        RunMistake(
            yaml: "    stages: { s: { command: \"true\", after: generate } }", message: "run 'r' has no stage 'generate'",
            keyPath: "runs.r.stages.s.after", column: 44,
            hint: "stages: load, split, load-training, train, evaluate, register, s"),
        RunMistake(
            yaml: "    stages: { s: { command: \"true\", inputs: [\"@splt.seeds\"] } }",
            message: "'@splt.seeds' refers to stage 'splt', which this run does not have",
            keyPath: "runs.r.stages.s.inputs[0]", column: 46, hint: "did you mean 'split'?"),
        RunMistake(
            yaml: "    stages: { s: { inputs: [] } }", message: "missing required key 'command' in 's'",
            keyPath: "runs.r.stages.s.command", column: 15,
            hint: "the shell command to run, e.g. command: python3 prep.py, or task: <id> for a registered task type"),
        RunMistake(
            yaml: "    stages: { s: { command: \"true\", inputs: [../nothing.txt] } }",
            message: "file not found: nothing.txt", keyPath: "runs.r.stages.s.inputs[0]", column: 46,
            hint: "no stage declares it as an output either; paths are relative to the manifest's folder"),
    ]

    @Test("each mistake gives one located error with its key path and hint", arguments: mistakes)
    func oneMistake(_ mistake: RunMistake) throws {
        let workspace = try TestWorkspace(manifests: ["demo.yaml": Manifest.withRun(mistake.yaml)])
        let result = workspace.load("demo.yaml")
        #expect(result.project == nil)
        let error = try result.onlyError()
        #expect(error.message == mistake.message)
        #expect(error.keyPath == mistake.keyPath)
        #expect(error.location == Basics.SourceLocation(file: "workflows/demo.yaml", line: 11, column: mistake.column))
        #expect(error.sourceLine == mistake.yaml)
        #expect(error.hint == mistake.hint)
    }
}
