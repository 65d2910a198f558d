import Foundation
import TaskInterface

#if canImport(Glibc)
import Glibc
#endif

extension Workspace {
    /// The folder where running stages get their scratch folders (`cache/work/stage-<uuid>/`).
    var stageScratchRoot: URL { stateDirectory.appendingPathComponent("work") }

    /// Ends what a killed invocation left behind: process groups its stages started (recorded in
    /// each scratch folder's `process-group` file) and the scratch folders themselves.
    ///
    /// Called with the workspace lock held, so no live invocation of this workspace owns them. A
    /// group is only signalled when its leader is still a Lunette stage process (its environment
    /// holds `LUNETTE_STAGE=`), so a recycled process id is never hit.
    /// - Returns: how many process groups were ended.
    @discardableResult
    func reapInterruptedStages() -> Int {
        let fileManager = FileManager.default
        guard let entries = try? fileManager.contentsOfDirectory(atPath: stageScratchRoot.path) else { return 0 }
        var ended = 0
        for entry in entries.sorted() where entry.hasPrefix("stage-") {
            let folder = stageScratchRoot.appendingPathComponent(entry)
            let file = folder.appendingPathComponent(StageContext.processGroupFileName)
            if let text = try? String(contentsOf: file, encoding: .utf8),
                let group = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), group > 1,
                let environ = fileManager.contents(atPath: "/proc/\(group)/environ"),
                environ.range(of: Data("LUNETTE_STAGE=".utf8)) != nil
            {
                if kill(-group, SIGKILL) == 0 { ended += 1 }
            }
            try? fileManager.removeItem(at: folder)
        }
        return ended
    }
}
