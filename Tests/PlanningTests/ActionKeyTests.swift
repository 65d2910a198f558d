import Basics
import Planning
import Testing

@Suite struct ActionKeyTests {
    private let parts = ActionKeyParts(
        task: "split", version: 1, params: ["seed": 42, "seed_fraction": 0.2], inputs: ["rows": .of("rows")])

    /// A fixed key for a fixed blueprint: any change to the canonical encoding (and so to every
    /// key users have cached and locked) fails here first. Change it only on purpose.
    @Test func keyOfAFixedBlueprintNeverChanges() {
        #expect(ContentHash.of("rows").hex == "bc51e9e65d79e1c90ba544ab2eae1044ccdf8c1af7a559ba375cba4276f7d99e")
        #expect(
            parts.canonicalValue.canonicalText
                == #"{"inputs":{"rows":"sha256:bc51e9e65d79e1c90ba544ab2eae1044ccdf8c1af7a559ba375cba4276f7d99e"},"params":{"seed":42,"seed_fraction":0.2},"task":"split","version":1}"#
        )
        #expect(parts.key.description == "sha256:79bc8f0a03f454f0ee174cfd5fca61097fed73c73aadbdf4838d4d44a08ee9e0")
    }

    @Test func keyChangesWithEachPart() {
        var variants: [ActionKeyParts] = []
        var changed = parts
        changed.task = "split2"
        variants.append(changed)
        changed = parts
        changed.version = 2
        variants.append(changed)
        changed = parts
        changed.params["seed"] = 43
        variants.append(changed)
        changed = parts
        changed.params["seed_fraction"] = 0.25
        variants.append(changed)
        changed = parts
        changed.params["seed"] = 42.0  // 42 and 42.0 are different params
        variants.append(changed)
        changed = parts
        changed.inputs["rows"] = .of("other rows")
        variants.append(changed)
        changed = parts
        changed.inputs = ["lines": .of("rows")]  // renaming an input matters too
        variants.append(changed)
        let keys = Set(variants.map(\.key) + [parts.key])
        #expect(keys.count == variants.count + 1)
    }

    @Test func keyDoesNotDependOnInsertionOrder() {
        var params: [String: JSONValue] = [:]
        for name in ["z", "a", "m", "b"] { params[name] = .string(name) }
        var reversed: [String: JSONValue] = [:]
        for name in ["b", "m", "a", "z"] { reversed[name] = .string(name) }
        let a = ActionKeyParts(task: "t", version: 1, params: params, inputs: [:])
        let b = ActionKeyParts(task: "t", version: 1, params: reversed, inputs: [:])
        #expect(a.key == b.key)
    }

    @Test func differencesAreSentences() {
        let old = ActionKeyParts(
            task: "train", version: 1,
            params: ["train": ["epochs": 3, "mode": "full"], "seed": 7, "dropped": true],
            inputs: ["rows": .of("a"), "source": .of("csv"), "gone": .of("g")])
        let new = ActionKeyParts(
            task: "train", version: 2,
            params: ["train": ["epochs": 4, "mode": "full", "learning_rate": 3e-05], "seed": 7],
            inputs: ["rows": .of("a"), "source": .of("csv v2"), "fresh": .of("f")])
        #expect(new.differences(from: old) == [
            "task version changed 1 → 2",
            "input fresh added",
            "input gone removed",
            "input source changed (content)",
            "params.dropped removed (was true)",
            "params.train.epochs changed 3 → 4",
            "params.train.learning_rate added (3e-05)",
        ])
        #expect(new.differences(from: new).isEmpty)
    }

    @Test func longValuesAreShortenedAndTypeChangesShown() {
        let old = ActionKeyParts(task: "exec", version: 1, params: ["command": .string(String(repeating: "x", count: 60))], inputs: [:])
        let new = ActionKeyParts(task: "exec", version: 1, params: ["command": ["a", "b"]], inputs: [:])
        #expect(new.differences(from: old) == [
            "params.command changed \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx… → [\"a\",\"b\"]"
        ])
        let renamed = ActionKeyParts(task: "exec2", version: 1, params: old.params, inputs: [:])
        #expect(renamed.differences(from: old) == ["task changed exec → exec2"])
    }
}
