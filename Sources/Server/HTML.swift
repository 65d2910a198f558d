import Basics
import Foundation
import Scoring
import WorkflowModel

/// Small helpers for the dashboard's server-rendered pages: escaping, the page frame, pills.
enum HTML {
    /// Escapes text for an HTML element or a quoted attribute.
    static func escape(_ text: String) -> String { text.htmlEscaped }

    /// Percent-encodes one path segment or query value for a link.
    static func component(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~@")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    /// A whole page: title, navigation, inline style, `body` (already escaped HTML).
    static func page(title: String, body: String) -> String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(title)) · Lunette</title>
        <style>\(style)</style></head>
        <body><header><a class="brand" href="/">Lunette</a><nav><a href="/">Projects</a><a href="/registry">Registry</a></nav></header>
        <main><h1>\(escape(title))</h1>
        \(body)
        </main><footer>Read-only view of this workspace. Reload to update.</footer></body></html>
        """
    }

    /// A coloured status pill.
    static func statusPill(_ status: RunStatus) -> String {
        let tone: String
        switch status {
        case .registered, .fineTuned: tone = "good"
        case .failed, .cancelled: tone = "bad"
        case .queued: tone = "idle"
        default: tone = "busy"
        }
        return "<span class=\"pill \(tone)\">\(escape(status.rawValue))</span>"
    }

    /// A macro-F1 pill coloured by quality, or a dash.
    static func scorePill(_ value: Double?) -> String {
        guard let value else { return "<span class=\"muted\">—</span>" }
        let tone = value >= 0.8 ? "good" : value >= 0.6 ? "busy" : "bad"
        return "<span class=\"pill \(tone)\">\(String(format: "%.3f", value))</span>"
    }

    /// `2026-11-25 02:45 UTC`, or a dash.
    static func date(_ date: Date?) -> String {
        guard let date else { return "—" }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm 'UTC'"
        return formatter.string(from: date)
    }

    /// A table with escaped headers and already-rendered cells.
    static func table(_ headers: [String], _ rows: [[String]], empty: String) -> String {
        guard !rows.isEmpty else { return "<p class=\"muted\">\(escape(empty))</p>" }
        let head = headers.map { "<th>\(escape($0))</th>" }.joined()
        let body = rows.map { "<tr>" + $0.map { "<td>\($0)</td>" }.joined() + "</tr>" }.joined(separator: "\n")
        return "<table><thead><tr>\(head)</tr></thead><tbody>\n\(body)\n</tbody></table>"
    }

    static let style = """
        body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d2430;background:#f6f7f9}
        header{display:flex;gap:2em;align-items:center;padding:.8em 2em;background:#1d2430;color:#fff}
        header a{color:#fff;text-decoration:none;margin-right:1.2em}.brand{font-weight:700;font-size:1.15em}
        main{padding:1em 2em;max-width:1200px}h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em}
        table{border-collapse:collapse;width:100%;background:#fff;box-shadow:0 1px 2px #0002}
        th,td{text-align:left;padding:.45em .7em;border-bottom:1px solid #e3e6ea;vertical-align:top}
        th{background:#eef0f3;font-weight:600}a{color:#2456c7}
        .pill{display:inline-block;padding:.05em .6em;border-radius:1em;font-size:.85em;font-weight:600}
        .good{background:#d5f2dd;color:#17622f}.bad{background:#fbdcdc;color:#8a1c1c}
        .busy{background:#fff0c7;color:#735400}.idle{background:#e6e8ec;color:#4a5261}
        .muted{color:#6b7380}.error{background:#fbdcdc;padding:.6em 1em;border-radius:.3em}
        form{margin:1em 0}select,button{font:inherit;margin-right:.6em}
        dl{display:grid;grid-template-columns:max-content auto;gap:.3em 1.2em}dt{font-weight:600}dd{margin:0}
        footer{padding:2em;color:#6b7380;font-size:.85em}code{background:#eef0f3;padding:0 .3em;border-radius:.2em}
        figure table{box-shadow:none;width:auto}figure{background:#fff;overflow-x:auto}
        """ + ReportPage.figureStyle
}
