import Foundation
import TaskInterface

#if canImport(Glibc)
import Glibc
#endif

extension Workspace {
    /// The folder where running stages get their scratch folders (`cache/work/stage-<uuid>/`).
    var stageScratchRoot: URL { stateDirectory.appendingPathComponent("work") }

    /// Ends what a killed invocation left behind: the process groups of every live process whose
    /// environment marks it as a stage of this workspace (`LUNETTE_STAGE_SCRATCH` inside
    /// `cache/work/`), and the scratch folders themselves.
    ///
    /// Called with the workspace lock held, so no live invocation of this workspace owns them.
    /// Processes are found by their environment rather than by the `process-group` file a stage
    /// records after it starts: a kill between the spawn and that write leaves no file, and a
    /// recorded id may by now belong to another workspace's stage. Only processes carrying this
    /// workspace's marker are signalled, so a recycled process id is never hit.
    /// - Returns: how many process groups were ended.
    @discardableResult
    func reapInterruptedStages() -> Int {
        let fileManager = FileManager.default
        var ended = 0
        for group in Self.stageProcessGroups(markedWith: stageScratchRoot.path + "/stage-") {
            if kill(-group, SIGKILL) == 0 { ended += 1 }
        }
        guard let entries = try? fileManager.contentsOfDirectory(atPath: stageScratchRoot.path) else { return ended }
        for entry in entries.sorted() where entry.hasPrefix("stage-") {
            try? fileManager.removeItem(at: stageScratchRoot.appendingPathComponent(entry))
        }
        return ended
    }

    /// The process groups of live processes whose `LUNETTE_STAGE_SCRATCH` starts with `prefix`
    /// (read from `/proc`; empty where there is none), never this process's own group.
    static func stageProcessGroups(markedWith prefix: String) -> Set<Int32> {
        let variable = Data("LUNETTE_STAGE_SCRATCH=\(prefix)".utf8)
        let own = getpgrp()
        var groups: Set<Int32> = []
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(entry), pid != getpid(),
                let environ = FileManager.default.contents(atPath: "/proc/\(pid)/environ"),
                environ.split(separator: 0).contains(where: { $0.starts(with: variable) }),
                let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { continue }
            // After "pid (comm)": state, ppid, pgrp.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 2, fields[0] != "Z", let group = Int32(fields[2]), group > 1, group != own else { continue }
            groups.insert(group)
        }
        return groups
    }
}
