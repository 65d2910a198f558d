import Basics
import Foundation

/// Creates a new workspace for `lunette init`: a commented manifest, a small data set to start
/// from, and the `.gitignore` lines for `cache/`. Never overwrites anything.
public enum WorkspaceScaffold {
    /// Scaffolds a workspace in `directory` for a project called `name`.
    /// - Returns: the paths created or changed, relative to `directory`.
    /// - Throws: ``WorkspaceError`` `wouldOverwrite` naming every file that already exists; nothing is written then.
    public static func create(in directory: URL, project name: String) throws -> [String] {
        let files: [(String, String)] = [
            ("workflows/\(name).yaml", manifest(name)),
            ("data/\(name)-test.csv", sampleTestSet),
            ("data/\(name)-train.csv", sampleTrainingSet),
            ("data/README.md", dataReadme),
        ]
        let existing = files.map(\.0).filter { FileManager.default.fileExists(atPath: directory.appendingPathComponent($0).path) }
        guard existing.isEmpty else {
            throw WorkspaceError(
                .wouldOverwrite, "refusing to overwrite: " + existing.joined(separator: ", "),
                remedy: "choose another folder or project name (`lunette init DIR --name NAME`)")
        }
        var created: [String] = []
        for (path, text) in files {
            try AtomicFile.write(Data(text.utf8), to: directory.appendingPathComponent(path).path)
            created.append(path)
        }
        let ignore = directory.appendingPathComponent(".gitignore")
        let current = (try? String(contentsOf: ignore, encoding: .utf8)) ?? ""
        let lines = ["/cache/*", "!/cache/README.md"]
        let missing = lines.filter { line in !current.split(separator: "\n").contains { $0 == line } }
        if !missing.isEmpty {
            let separator = current.isEmpty || current.hasSuffix("\n") ? "" : "\n"
            let text = current + separator + "# Lunette: artifacts, store and models are rebuilt from the manifests\n"
                + missing.joined(separator: "\n") + "\n"
            try AtomicFile.write(Data(text.utf8), to: ignore.path)
            created.append(".gitignore")
        }
        return created
    }

    static func manifest(_ name: String) -> String {
        """
        # Lunette project manifest. Every field is shown; lines marked (default) can be deleted.
        # Reference: `lunette --help`, and the README's "Manifest reference".
        project: \(name)
        description: A first metric, trained from a small hand-labelled test set.

        defaults:
          base_model: minilm-l6          # (default) the pretrained encoder to fine-tune
          seed: 42                       # (default) seeds the split, generation and training

        runs:
          toxicity-v1:
            metric: toxicity             # a preset (`lunette presets`), or {name, prompt, output, labels, step, input}
            test_set:                    # hand-labelled rows: 20% seed generation, 80% are held out for evaluation
              path: ../data/\(name)-test.csv
              columns: { input: text, label: label }   # canonical field: your column name
            training_set:                # never the test set: rows you train on must not be evaluated on
              upload: { path: ../data/\(name)-train.csv, columns: { input: text, label: label } }
              # or generate: {count: 2000} (an LLM writes rows from the seeds), or import: traces.json
            split: { seed_fraction: 0.2 }              # (default); add group_by: COLUMN to keep rows sharing
                                                       # that column (a conversation, a prompt) on one side
            train:
              mode: head                 # head (seconds), full (minutes), or auto (the default: the
                                         # better of the two by cross-validation on the training rows)
              epochs: 3
            gate: { min_f1: 0.5 }        # a run below its gate ends failed and is not registered
            register: true               # (default)
            # Custom stages run shell commands with declared inputs and outputs, cached like the rest:
            # stages:
            #   stats:
            #     after: split
            #     command: wc -l "$LUNETTE_INPUT_SPLIT_EVAL" > ../data/eval-count.txt
            #     outputs: [../data/eval-count.txt]

        """
    }

    static let dataReadme = """
        # Data

        Put your hand-labelled test sets and training files here (CSV with a header row, or JSONL with
        one object per line) and point a run at them with a path relative to the manifest
        (`../data/my-test.csv`). Map your own column names with `columns:`.

        The `*-test.csv` and `*-train.csv` files are tiny made-up samples so that `lunette run` has
        something to train on; replace them with a few hundred real rows (the reference product asks
        for at least 300, with 100 per class). Lunette looks for the base model in `cache/models/` here,
        or in `$LUNETTE_MODELS` (point it at the `cache/models` folder `scripts/setup` filled).

        """

    static let sampleTestSet = """
        text,label
        "Thanks so much for the quick reply!",0
        "You are an idiot and everyone knows it.",1
        "Could you resend the invoice for March?",0
        "Shut up. Nobody asked for your garbage opinion.",1
        "The meeting moved to 3pm on Thursday.",0
        "What a pathetic excuse for a support team.",1
        "I appreciate your patience while we look into it.",0
        "Go away, you worthless troll.",1
        "The new release fixed my login problem.",0
        "You people are disgusting and stupid.",1
        "Happy to help, let me know if anything else comes up.",0
        "This is the dumbest thing I have ever read, moron.",1
        "Our office is closed on public holidays.",0
        "Get lost, loser.",1
        "Please find the attached report.",0
        "I hope you choke on your own lies.",1
        "The package should arrive by Friday.",0
        "Only a complete fool would write code like this.",1
        "Thank you for flagging the bug.",0
        "Shut your stupid mouth.",1

        """

    static let sampleTrainingSet = """
        text,label
        "Your order has shipped and is on its way.",0
        "Nobody cares about you, freak.",1
        "Let me check with the billing team and get back to you.",0
        "You are a clown and a liar.",1
        "Great question! Here is how to reset your password.",0
        "What an absolute waste of oxygen you are.",1
        "The update will be installed tonight.",0
        "Stop whining, you spineless worm.",1
        "We have refunded the duplicate charge.",0
        "Your brain must be the size of a pea.",1
        "Thanks for your feedback on the new design.",0
        "Take your idiotic ideas and shove them.",1
        "The conference room is booked until noon.",0
        "You are the worst person I have ever met, scum.",1
        "I will forward this to the right department.",0
        "Crawl back under your rock, imbecile.",1
        "Your account has been upgraded.",0
        "Everything you touch turns to garbage, loser.",1
        "Have a wonderful weekend!",0
        "Drop dead, you hateful troll.",1

        """
}
