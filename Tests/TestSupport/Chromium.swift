import Foundation

/// Headless Chromium (Debian package `chromium`, installed by tools/setup) for the HTML report's browser
/// checks. Callers record a missing browser as a failure, never skip silently.
public enum Chromium {
    public static let path: String? = {
        let env = ProcessInfo.processInfo.environment["CHROMIUM"].map { [$0] } ?? []
        return (env + ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/lib/chromium/chromium", "/snap/bin/chromium"])
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    public struct NotInstalled: Error, CustomStringConvertible {
        public var description: String { "chromium is not installed (apt-get install -y chromium)" }
    }

    /// Runs Chromium headless with its own profile folder (tests run in parallel), output through files,
    /// stopped after `timeout` seconds (then `timedOut` is true).
    public static func run(_ arguments: [String], in folder: URL, timeout: Double = 90) throws -> ProcessRun {
        guard let binary = path else { throw NotInstalled() }
        let profile = folder.appendingPathComponent(".profile-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: profile) }
        return try Subprocess.run(binary, ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-dev-shm-usage",
                                           "--user-data-dir=\(profile.path)", "--enable-logging=stderr", "--v=0"] + arguments,
                                  in: folder, timeout: timeout)
    }

    /// Lines where the page wrote to the console or threw: Chromium (with --enable-logging=stderr --v=0)
    /// logs every console message of a page as `...:CONSOLE:<line>] "message", source: file://...`
    /// (console.error included), and uncaught exceptions as "Uncaught ...".
    public static func consoleLines(_ stderr: String) -> [String] {
        stderr.split(separator: "\n").map(String.init).filter { $0.contains(":CONSOLE") || $0.contains("Uncaught") }
    }

    /// Width and height from a PNG's IHDR, nil when it is not a PNG.
    public static func pngSize(_ data: Data) -> (Int, Int)? {
        let bytes = [UInt8](data.prefix(24))
        guard bytes.count == 24, bytes[0..<8] == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], bytes[12..<16] == [0x49, 0x48, 0x44, 0x52] else { return nil }
        func be32(_ i: Int) -> Int { bytes[i..<i + 4].reduce(0) { $0 << 8 | Int($1) } }
        return (be32(16), be32(20))
    }
}
